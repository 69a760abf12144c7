"""Pages of club vouchers (the catalogue at /clubs/, campaigns and vouchers at /vouchers/)."""

from kezek.vouchers.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
