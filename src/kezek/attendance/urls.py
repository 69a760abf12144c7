"""Attendance pages, mounted at /attendance/."""

from kezek.attendance.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
