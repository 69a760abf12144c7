"""Reading benefit claims and their documents, with the same permission rules as the services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin, require_district, require_role
from kezek.applications.errors import ClaimNotFound, DocumentNotFound
from kezek.applications.models import BenefitClaim
from kezek.domain.documents import EXTENSIONS
from kezek.domain.errors import DomainError


def can_read_document(*, user: Any, application: Any) -> bool:
    """The applicant and the officers of the application's district (and administrators) may read its documents."""
    if not getattr(user, "is_authenticated", False):
        return False
    if application.applicant_id == user.pk or is_admin(user):
        return True
    try:
        require_district(user, application.district_id)
    except DomainError:
        return False
    return True


def claims_waiting_review(*, user: Any, district_id: int | None = None) -> QuerySet[BenefitClaim]:
    """Pending rights with an uploaded document in the officer's district, oldest claim first."""
    require_role(user, Role.OFFICER)
    claims = BenefitClaim.objects.filter(
        status=BenefitClaim.Status.PENDING, source=BenefitClaim.Source.DOCUMENT
    ).exclude(document="")
    if district_id is not None:
        require_district(user, district_id)
        claims = claims.filter(application__district_id=district_id)
    scope = district_scope(user)
    if scope is not None:
        claims = claims.filter(application__district_id__in=scope)
    return claims.select_related("application", "application__child", "application__district").order_by("submitted_at", "pk")


def claim_for_user(*, user: Any, claim_id: int) -> BenefitClaim:
    """A claim the user may see (its applicant or an officer of its district); anyone else gets NotFound."""
    claim = BenefitClaim.objects.select_related("application", "application__district").filter(pk=claim_id).first()
    if claim is None or not can_read_document(user=user, application=claim.application):
        raise ClaimNotFound()
    return claim


def claim_document_for_user(*, user: Any, claim_id: int) -> tuple[str, str, str]:
    """The stored document's ``(path, content_type, download file name)`` if the user may read it."""
    claim = claim_for_user(user=user, claim_id=claim_id)
    if not claim.document:
        raise DocumentNotFound()
    extension = EXTENSIONS.get(claim.document_content_type, "bin")
    return claim.document.path, claim.document_content_type, f"benefit-document-{claim.pk}.{extension}"
