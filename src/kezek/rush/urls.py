"""Pages of openings: the waiting room."""

from kezek.rush.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
