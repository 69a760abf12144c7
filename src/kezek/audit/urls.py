"""Public pages of the audit trail, mounted under /transparency/ next to the dashboard."""

from django.urls import path

from kezek.audit import views

app_name = "audit"

urlpatterns = [
    path("checkpoints/", views.checkpoints, name="checkpoints"),
    path("checkpoints.json", views.checkpoints_json, name="checkpoints-json"),
    path("checkpoints.csv", views.checkpoints_csv, name="checkpoints-csv"),
    path("timeline/", views.timeline, name="timeline"),
]
