"""Back-office view of the outbox: administrators read it and retry failed messages, nothing else."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kezek.accounts.permissions import is_admin
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from kezek.notifications.services import outbox_requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "recipient", "template", "language", "status", "attempts", "available_at", "sent_at")
    list_filter = ("status", "channel", "language", "template")
    search_fields = ("recipient", "idempotency_key", "provider_message_id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    # Bodies can hold sign-in codes: shown to administrators only, never editable.
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry"]

    def has_module_permission(self, request) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_retry_permission(self, request) -> bool:
        return is_admin(request.user)

    @admin.action(description=_("Send the selected failed messages again"), permissions=["retry"])
    def retry(self, request, queryset) -> None:
        done = 0
        for message in queryset:
            try:
                outbox_requeue(actor=request.user, message=message)
            except DomainError as exc:
                self.message_user(request, f"#{message.pk}: {error_text(exc)}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d message queued again.", "%(count)d messages queued again.", done) % {"count": done},
                messages.SUCCESS,
            )
