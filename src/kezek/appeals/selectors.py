"""Reading appeals, their subjects and documents, incidents and what happened inside an incident's window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin, require_role
from kezek.appeals.models import Appeal, AppealDocument, Incident, RemedyAction
from kezek.attendance.models import RegionAttendanceRules
from kezek.domain.appeals import AppealNotFound, AppealSubjectNotFound, IncidentNotFound, SubjectKind, is_overdue
from kezek.domain.documents import EXTENSIONS
from kezek.placements.models import Offer
from kezek.rush.models import PoolClaim
from kezek.vouchers.models import Voucher, VoucherEvent

DEFAULT_APPEAL_WORKING_DAYS = RegionAttendanceRules._meta.get_field("appeal_working_days").default


def appeal_working_days(*, region_id: int | None) -> int:
    """The region's number of working days to decide an appeal (the model's default without a rules row)."""
    days = RegionAttendanceRules.objects.filter(region_id=region_id).values_list("appeal_working_days", flat=True).first()
    return days or DEFAULT_APPEAL_WORKING_DAYS


# --- subjects ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Where an appealed record belongs: the district whose officers decide, its organisation and child."""

    district_id: int | None
    organisation_id: int | None = None
    child_id: int | None = None
    region_id: int | None = None


def _payment_statement_model() -> Any | None:
    # Payment statements live in kezek.payments; without it there is nothing a provider could appeal about.
    return apps.get_model("payments", "Statement") if apps.is_installed("kezek.payments") else None


def _own_subject(*, user: Any, subject_kind: str, subject_id: int) -> Subject | None:
    uid = user.pk
    if subject_kind == SubjectKind.APPLICATION:
        from kezek.applications.models import Application

        row = Application.objects.filter(pk=subject_id, applicant_id=uid).select_related("district").first()
        return row and Subject(row.district_id, None, row.child_id, row.district.region_id)
    if subject_kind == SubjectKind.OFFER:
        row = Offer.objects.filter(pk=subject_id, application__applicant_id=uid).select_related("application__district").first()
        return row and Subject(row.application.district_id, None, row.application.child_id, row.application.district.region_id)
    if subject_kind == SubjectKind.VOUCHER:
        row = Voucher.objects.filter(pk=subject_id, holder_id=uid).select_related("campaign", "child").first()
        return row and Subject(row.campaign.district_id or row.child.district_id, None, row.child_id, row.campaign.region_id)
    model = _payment_statement_model()
    row = (
        model.objects.filter(pk=subject_id, organisation_id=user.organisation_id).select_related("organisation__district").first()
        if model is not None and user.organisation_id else None
    )
    return row and Subject(row.organisation.district_id, row.organisation_id, None, row.organisation.district.region_id)


def subject_of_filer(*, user: Any, subject_kind: str, subject_id: Any) -> Subject:
    """The filer's own record (rule: an appeal names only a record of the filer; anyone else's is 'not found')."""
    number = subject_id if isinstance(subject_id, int) and 0 < subject_id < 2**62 else None
    found = _own_subject(user=user, subject_kind=subject_kind, subject_id=number) if number else None
    if found is None:
        raise AppealSubjectNotFound(subject=str(Appeal.SubjectKind(subject_kind).label), number=str(subject_id)[:20])
    return found


# --- appeals -----------------------------------------------------------------------------------------------


def _appeals() -> QuerySet[Appeal]:
    return Appeal.objects.select_related("filer", "district", "child", "organisation", "decided_by").annotate(
        document_count=Count("documents")
    )


def appeals_of_filer(*, user: Any) -> list[Appeal]:
    """The user's own appeals, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(_appeals().filter(filer_id=user.pk).order_by("-filed_at", "-pk"))


def appeals_for_officer(*, user: Any, status: str | None = Appeal.Status.OPEN, overdue_only: bool = False,
                        now: dt.datetime | None = None) -> list[Appeal]:
    """Appeals of the officer's district (all for an administrator), earliest deadline first; each marked ``overdue``."""
    require_role(user, Role.OFFICER)
    now = now or timezone.now()
    queryset = _appeals()
    scope = district_scope(user)
    if scope is not None:
        queryset = queryset.filter(district_id__in=scope)
    if status:
        queryset = queryset.filter(status=status)
    if overdue_only:
        queryset = queryset.filter(status=Appeal.Status.OPEN, deadline__lte=now)
    rows = list(queryset.order_by("deadline", "pk"))
    for appeal in rows:
        appeal.overdue = is_overdue(status=appeal.status, deadline=appeal.deadline, now=now)
    return rows


def can_decide(*, user: Any, appeal: Appeal) -> bool:
    """An officer of the appeal's district, or an administrator."""
    if is_admin(user):
        return True
    scope = district_scope(user)
    return getattr(user, "role", None) == Role.OFFICER and appeal.district_id is not None and appeal.district_id in (scope or ())


def appeal_get(*, user: Any, appeal_id: int, now: dt.datetime | None = None) -> Appeal:
    """One appeal for its filer or for the officers who decide it; anyone else gets 'not found'."""
    appeal = _appeals().filter(pk=appeal_id).first() if isinstance(appeal_id, int) else None
    if appeal is None or not getattr(user, "is_authenticated", False):
        raise AppealNotFound()
    if appeal.filer_id != user.pk and not can_decide(user=user, appeal=appeal):
        raise AppealNotFound()
    appeal.overdue = is_overdue(status=appeal.status, deadline=appeal.deadline, now=now or timezone.now())
    return appeal


def appeal_remedy(*, appeal: Appeal) -> RemedyAction | None:
    """What the decision's remedy did, if it ran."""
    return appeal.remedy_actions.first()


def appeal_document_for_user(*, user: Any, appeal_id: int, document_id: int) -> tuple[str, str, str]:
    """A stored document's ``(path, content_type, download name)``: for the filer and the district's officers only."""
    appeal = appeal_get(user=user, appeal_id=appeal_id)
    document = AppealDocument.objects.filter(pk=document_id, appeal=appeal).first() if isinstance(document_id, int) else None
    if document is None:
        raise AppealNotFound()
    extension = EXTENSIONS.get(document.content_type, "bin")
    return document.file.path, document.content_type, f"appeal-{appeal.pk}-document-{document.pk}.{extension}"


# --- incidents ---------------------------------------------------------------------------------------------


def incidents_list(*, user: Any) -> list[Incident]:
    """Every recorded incident, newest first (administrators only)."""
    require_role(user, Role.ADMIN)
    return list(Incident.objects.select_related("recorded_by").order_by("-starts_at", "-pk"))


def incident_get(*, user: Any, incident_id: int) -> Incident:
    require_role(user, Role.ADMIN)
    incident = Incident.objects.filter(pk=incident_id).first() if isinstance(incident_id, int) else None
    if incident is None:
        raise IncidentNotFound()
    return incident


@dataclass
class IncidentItems:
    """What the failure touched: expired offers, cancelled vouchers, and what the rush stored about its claims."""

    offers: list[Offer] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    rush_claims: list[dict[str, Any]] = field(default_factory=list)
    # Remedy already done per ("offer" | "voucher", id), so the page can say "restored" instead of a button.
    done: dict[tuple[str, int], RemedyAction] = field(default_factory=dict)

    @property
    def restorable(self) -> int:
        return sum((kind, item.pk) not in self.done for kind, items in (("offer", self.offers), ("voucher", self.vouchers))
                   for item in items)


def incident_items(*, incident: Incident) -> IncidentItems:
    """Everything inside the window (rule: offers that expired there, vouchers cancelled there; refused rush claims
    are not stored by the rush, so the claims it did take in the window are listed per pool instead)."""
    window = Q(deadline__gte=incident.starts_at, deadline__lt=incident.ends_at)
    offers = Offer.objects.filter(window, status=Offer.Status.EXPIRED)
    cancelled_ids = VoucherEvent.objects.filter(
        kind=VoucherEvent.Kind.CANCELLED, occurred_at__gte=incident.starts_at, occurred_at__lt=incident.ends_at
    ).values("voucher_id")
    vouchers = Voucher.objects.filter(pk__in=cancelled_ids, status=Voucher.Status.CANCELLED)
    rush_claims = list(
        PoolClaim.objects.filter(created_at__gte=incident.starts_at, created_at__lt=incident.ends_at)
        .values("pool__opening__title", "pool__key", "pool__capacity", "pool__taken")
        .annotate(claims=Count("pk"))
        .order_by("pool__opening__title", "pool__key")
    )
    done = {
        (action.item_kind, action.item_id): action
        for action in RemedyAction.objects.filter(
            Q(item_kind="offer", item_id__in=offers.values("pk")) | Q(item_kind="voucher", item_id__in=vouchers.values("pk"))
        ).filter(Q(incident=incident) | Q(outcome=RemedyAction.Outcome.RESTORED))
    }
    items = IncidentItems(
        list(offers.select_related("application__child", "application__district", "place__group__organisation").order_by("deadline", "pk")),
        list(vouchers.select_related("campaign", "child").order_by("status_changed_at", "pk")),
        rush_claims,
        done,
    )
    for kind, rows in (("offer", items.offers), ("voucher", items.vouchers)):
        for row in rows:
            row.remedy = done.get((kind, row.pk))  # shown next to the item on the incident page
    for row in rush_claims:
        row["left"] = row["pool__capacity"] - row["pool__taken"]
    return items
