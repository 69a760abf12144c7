"""Admin building blocks shared by apps."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReferenceDataPermissions:
    """Any active back-office user may look; only superusers may change (data loaded by a command)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff


class ReadOnlyPermissions(ReferenceDataPermissions):
    """Nobody changes these rows in the admin: they change only through their services or imports."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfficersReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    """Officers and administrators look; writes happen through the services so they are checked and audited."""

    # The lookup of the row's district (e.g. "group__organisation__district_id"): officers see their district's rows.
    district_path = ""

    def get_queryset(self, request: HttpRequest):
        from kezek.accounts.permissions import district_scope

        queryset = super().get_queryset(request)
        scope = district_scope(request.user)
        if scope is None or not self.district_path:
            return queryset
        return queryset.filter(**{f"{self.district_path}__in": scope})

    def has_module_permission(self, request: HttpRequest) -> bool:
        from kezek.accounts.models import Role
        from kezek.accounts.permissions import is_admin

        user = request.user
        return is_admin(user) or (user.is_active and user.is_staff and user.role == Role.OFFICER)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)
