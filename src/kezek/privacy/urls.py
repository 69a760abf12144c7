"""Pages of kezek.privacy at /account/privacy/."""

from kezek.privacy.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
