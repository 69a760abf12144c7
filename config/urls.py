from django.contrib import admin
from django.urls import include, path

from config.api import api
from kezek.core import health, metrics

# An unreachable database answers 503 with Retry-After, also when a middleware met it (kezek.core.outage).
handler500 = "kezek.core.outage.server_error"

urlpatterns = [
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("kindergarten/", include("kezek.applications.urls")),
    path("rounds/", include("kezek.rounds.urls")),
    path("rush/", include("kezek.rush.urls")),
    path("appeals/", include("kezek.appeals.urls")),
    path("transparency/", include("kezek.transparency.urls")),
    path("transparency/", include("kezek.audit.urls")),
    path("payments/", include("kezek.payments.urls")),
    path("attendance/", include("kezek.attendance.urls")),
    path("account/privacy/", include("kezek.privacy.urls")),
    path("", include("kezek.vouchers.urls")),
    path("", include("kezek.placements.urls")),
    path("", include("kezek.integrity.urls")),
    path("", include("kezek.web.urls")),
]
