"""Pages of appeals and incidents, mounted at /appeals/."""

from kezek.appeals.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
