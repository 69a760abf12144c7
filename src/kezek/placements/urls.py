"""Pages of offers, referrals and the public referral check (mounted at the site root, see config/urls.py)."""

from kezek.placements.views import urlpatterns

app_name = "placements"

__all__ = ["app_name", "urlpatterns"]
