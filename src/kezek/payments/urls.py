"""Payment pages, mounted at /payments/."""

from kezek.payments.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
