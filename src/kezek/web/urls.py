from django.urls import path

from kezek.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.parent_signin, name="parent-signin"),
    path("staff/signin/", views.staff_signin, name="staff-signin"),
    path("account/", views.account, name="account"),
    path("account/sessions/<int:session_id>/end/", views.session_end, name="session-end"),
    path("signout/", views.signout, name="signout"),
    path("language/<str:code>/", views.language_use, name="language-use"),
]
