"""The back office: Django's admin under Kezek's name, signing staff in through the staff sign-in page."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kezek.web.views import admin_login, admin_logout

admin.site.site_header = _("Kezek back office")
admin.site.site_title = _("Kezek back office")
admin.site.index_title = _("Providers, groups and registry data")
admin.site.login = admin_login
admin.site.logout = admin_logout
