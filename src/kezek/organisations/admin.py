"""Back office for providers and groups, used by district officers.

Officers see and edit only their district's organisations; provider staff see their own organisation
read-only. Saving goes through the services, so the same validation, scope checks and audit apply as
through the API; a refused save is shown on the form, never as a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.geo.models import District
from kezek.organisations.models import Group, Language, Organisation
from kezek.organisations.services import (
    group_create,
    group_update,
    organisation_approve,
    organisation_create,
    organisation_update,
)

# Which form field a refusal belongs to, so the message appears next to it.
FIELD_BY_ERROR = {
    "invalid_bin": "bin",
    "bin_taken": "bin",
    "invalid_languages": "languages",
    "invalid_age_range": "age_max_months",
    "invalid_capacity": "capacity",
}


def _is_officer(user: Any) -> bool:
    return is_admin(user) or (user.is_active and user.is_staff and user.role == Role.OFFICER)


def _is_staff_of_provider(user: Any) -> bool:
    return user.is_active and user.is_staff and user.role == Role.PROVIDER_STAFF and bool(user.organisation_id)


class ServiceForm(forms.ModelForm):
    """A model form whose save is the service call, made while validating so refusals become form errors."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.saved_object: Any = None

    def call_service(self) -> Any:  # set per request by the admin's get_form
        raise NotImplementedError

    def _post_clean(self) -> None:
        # Instead of the model's validation (which repeats the service's with vaguer messages) the service
        # validates and saves here; the admin view's transaction is still open and wraps it.
        if self._errors:
            return
        try:
            self.saved_object = self.call_service()
        except DomainError as exc:
            field = FIELD_BY_ERROR.get(exc.code)
            self.add_error(field if field in self.fields else None, error_text(exc))


class OrganisationForm(ServiceForm):
    languages = forms.TypedMultipleChoiceField(
        label=_("languages of instruction"), choices=Language.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Organisation
        fields = ["kind", "ownership", "name", "bin", "district", "address", "languages"]


class GroupForm(ServiceForm):
    class Meta:
        model = Group
        fields = ["organisation", "name", "kind", "age_min_months", "age_max_months", "language", "capacity", "is_active"]


class ScopedAdmin(admin.ModelAdmin):
    """Officers change what is in their district; provider staff only look at their own organisation."""

    service_form: type[ServiceForm]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_officer(request.user) or _is_staff_of_provider(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_officer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_officer(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Providers and groups are never deleted: they are referenced by applications and the audit trail.
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = self.service_form
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_self = self

        class RequestForm(form_class):  # type: ignore[valid-type, misc]
            def call_service(self) -> Any:
                return admin_self.save_through_service(request, self, obj)

        return RequestForm

    def save_through_service(self, request: HttpRequest, form: ServiceForm, obj: Any) -> Any:
        raise NotImplementedError

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.saved_object

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Already saved by the service while the form was validated (see ``ServiceForm``)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing related to save: both models have no many-to-many fields or inlines."""


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    service_form = OrganisationForm
    list_display = ("name", "bin", "kind", "ownership", "district", "status")
    list_filter = ("status", "kind", "ownership")
    list_select_related = ("district",)
    search_fields = ("name", "=bin")
    readonly_fields = ("status", "created_at")
    actions = ["approve"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        qs = super().get_queryset(request)
        if _is_staff_of_provider(request.user):
            return qs.filter(pk=request.user.organisation_id)
        scope = district_scope(request.user)
        return qs if scope is None else qs.filter(district_id__in=scope)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "district":
            scope = district_scope(request.user)
            qs = District.objects.select_related("region")
            kwargs["queryset"] = qs if scope is None else qs.filter(pk__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_through_service(self, request: HttpRequest, form: ServiceForm, obj: Organisation | None) -> Organisation:
        data = form.cleaned_data
        if obj is None:
            return organisation_create(actor=request.user, **{f: data[f] for f in OrganisationForm.Meta.fields})
        changes = {f: data[f] for f in form.changed_data if f in OrganisationForm.Meta.fields}
        return organisation_update(actor=request.user, organisation=obj, **changes)

    @admin.action(description=_("Approve selected organisations"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        approved = 0
        for organisation in queryset:
            try:
                organisation_approve(actor=request.user, organisation=organisation)
                approved += 1
            except DomainError as exc:
                self.message_user(request, f"{organisation}: {error_text(exc)}", messages.ERROR)
        if approved:
            self.message_user(request, _("Approved: %(count)d.") % {"count": approved}, messages.SUCCESS)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return _is_officer(request.user)


@admin.register(Group)
class GroupAdmin(ScopedAdmin):
    service_form = GroupForm
    list_display = ("name", "organisation", "kind", "language", "age_min_months", "age_max_months", "capacity", "is_active")
    list_filter = ("kind", "language", "is_active")
    list_select_related = ("organisation",)
    search_fields = ("name", "organisation__name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        qs = super().get_queryset(request)
        if _is_staff_of_provider(request.user):
            return qs.filter(organisation_id=request.user.organisation_id)
        scope = district_scope(request.user)
        return qs if scope is None else qs.filter(organisation__district_id__in=scope)

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None):
        # A group stays with the organisation that opened it; a new one starts active.
        return ("organisation",) if obj is not None else ("is_active",)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "organisation":
            scope = district_scope(request.user)
            qs = Organisation.objects.all()
            kwargs["queryset"] = qs if scope is None else qs.filter(district_id__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_through_service(self, request: HttpRequest, form: ServiceForm, obj: Group | None) -> Group:
        data = form.cleaned_data
        if obj is None:
            fields = ("organisation", "name", "kind", "age_min_months", "age_max_months", "language", "capacity")
            return group_create(actor=request.user, **{f: data[f] for f in fields})
        changes = {f: data[f] for f in form.changed_data if f in data and f != "organisation"}
        return group_update(actor=request.user, group=obj, **changes)
