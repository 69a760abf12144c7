from django.urls import path

from kezek.transparency import views

app_name = "transparency"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("data/kindergarten-queue.csv", views.queue_csv, name="queue-csv"),
    path("data/kindergarten-queue.json", views.queue_json, name="queue-json"),
    path("regions/<slug:region_code>/", views.region, name="region"),
    path("regions/<slug:region_code>/<slug:dataset>.<slug:fmt>", views.activity_download, name="activity-download"),
]
