"""Pages of kezek.integrity at /integrity/."""

from kezek.integrity.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
