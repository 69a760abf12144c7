"""Back office: erasure requests and anonymisations (administrators only), and the person actions
"download data export" and "anonymise", which kezek.people's PersonAdmin takes from ``PersonPrivacyActions``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kezek.accounts.admin import AdminOnlyReadOnly
from kezek.accounts.permissions import is_admin
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.privacy import services
from kezek.privacy.forms import AnonymiseForm
from kezek.privacy.models import Anonymisation, ErasureRequest


class _AdminsOnly(AdminOnlyReadOnly):
    def has_privacy_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)


def _report(modeladmin, request: HttpRequest, label: str, result: services.AnonymiseResult) -> None:
    if result.changed:
        modeladmin.message_user(request, _("%(who)s: anonymised %(count)d person(s).") % {"who": label, "count": len(result.people)},
                                messages.SUCCESS)
    else:
        modeladmin.message_user(request, _("%(who)s: already anonymised; nothing changed.") % {"who": label}, messages.INFO)


@admin.register(ErasureRequest)
class ErasureRequestAdmin(_AdminsOnly):
    list_display = ("id", "person", "requested_by", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("=person__id",)
    actions = ["carry_out"]

    @admin.action(description=gettext_lazy("Carry out: anonymise the person and their children"), permissions=["privacy"])
    def carry_out(self, request: HttpRequest, queryset) -> None:
        for erasure in queryset.filter(status=ErasureRequest.Status.OPEN):
            try:
                result = services.erasure_request_carry_out(request_id=erasure.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"#{erasure.pk}: {error_text(exc)}", messages.ERROR)
            else:
                _report(self, request, f"#{erasure.pk}", result)


@admin.register(Anonymisation)
class AnonymisationAdmin(_AdminsOnly):
    list_display = ("person", "anonymised_at", "requested_by_id", "reason")
    readonly_fields = ("person", "anonymised_at", "requested_by_id", "reason", "removed")


class PersonPrivacyActions:
    """Admin actions on people: their data export (one person) and anonymisation with a reason."""

    actions = ["privacy_export", "privacy_anonymise"]

    def has_privacy_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    @admin.action(description=gettext_lazy("Download everything held about the person (ZIP)"), permissions=["privacy"])
    def privacy_export(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one person to export."), messages.WARNING)
            return None
        person = queryset.get()
        body = services.person_data_export(person=person, requested_by=request.user, with_files=True)
        response = HttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="kezek-person-{person.pk}.zip"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Anonymise (erase personal data)"), permissions=["privacy"])
    def privacy_anonymise(self, request: HttpRequest, queryset) -> HttpResponse | None:
        form = AnonymiseForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "title": _("Anonymise people"), "people": queryset,
                       "form": form, "opts": self.model._meta, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME}
            return TemplateResponse(request, "admin/privacy/anonymise.html", context)
        for person in queryset:
            label = f"#{person.pk}"
            try:
                result = services.person_anonymise(person=person, requested_by=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                self.message_user(request, f"{label}: {error_text(exc)}", messages.ERROR)
            else:
                _report(self, request, label, result)
        return None
