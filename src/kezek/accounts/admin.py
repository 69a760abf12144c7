"""Back office for accounts: administrators look up accounts and sessions, block shared accounts, end sessions.

Every change goes through the services, so it is checked and audited the same way as in the API.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kezek.accounts import services
from kezek.accounts.models import PhoneLock, User, UserSession
from kezek.accounts.permissions import is_admin
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError


class AdminOnlyReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, action, items) -> None:
    done = 0
    for item in items:
        try:
            action(item)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{item}: {error_text(exc)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("Done for %(count)d item(s).") % {"count": done}, messages.SUCCESS)


@admin.register(User)
class UserAdmin(AdminOnlyReadOnly):
    list_display = ("username", "display_name", "role", "district", "organisation", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "=person__iin")
    exclude = ("password", "groups", "user_permissions")
    actions = ["block_for_sharing", "unblock"]

    @admin.action(description=_("Block for account sharing and sign out everywhere"))
    def block_for_sharing(self, request: HttpRequest, queryset) -> None:
        _run(self, request, lambda u: services.account_block(actor=request.user, user_id=u.pk, reason="account sharing"), queryset)

    @admin.action(description=_("Unblock"))
    def unblock(self, request: HttpRequest, queryset) -> None:
        _run(self, request, lambda u: services.account_unblock(actor=request.user, user_id=u.pk), queryset)


@admin.register(UserSession)
class UserSessionAdmin(AdminOnlyReadOnly):
    list_display = ("user", "created_at", "last_seen_at", "ip", "user_agent", "ended_at")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "=ip")
    exclude = ("session_key",)
    actions = ["end_sessions"]

    @admin.action(description=_("End the selected sessions"))
    def end_sessions(self, request: HttpRequest, queryset) -> None:
        _run(self, request, lambda s: services.session_end(actor=request.user, session_id=s.pk), queryset)


@admin.register(PhoneLock)
class PhoneLockAdmin(AdminOnlyReadOnly):
    list_display = ("phone", "failures", "locked_until")
    search_fields = ("phone",)
