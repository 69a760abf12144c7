"""Parent check-in: the section shows a code that changes every 30 seconds; a parent of a child on the roster scans it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_organisation
from kezek.attendance import errors
from kezek.attendance.models import CheckIn, Mark, Session
from kezek.attendance.selectors import children_of_parent, group_roster
from kezek.audit.services import audit_record
from kezek.domain import attendance as rules
from kezek.people.models import Person


def _key() -> bytes:
    return rules.qr_key(settings.SECRET_KEY)


@dataclass(frozen=True)
class CurrentCode:
    session_id: int
    window: int
    code: str
    path: str
    seconds_left: int


def checkin_code_current(*, actor: Any, session: Session, now: float | None = None) -> CurrentCode:
    """The code the section shows now (rule: only the provider's staff see it; it changes every 30 seconds)."""
    require_organisation(actor, session.group.organisation)
    now = time.time() if now is None else now
    window = rules.qr_window(now)
    code = rules.qr_code(key=_key(), session_id=session.pk, window=window)
    left = int((window + 1) * rules.QR_WINDOW_SECONDS - now) + 1
    return CurrentCode(session.pk, window, code, f"/attendance/checkin/{session.pk}/{window}/{code}/", left)


def _eligible_children(actor: Any, session: Session) -> list[Person]:
    if getattr(actor, "role", None) != Role.PARENT or getattr(actor, "person_id", None) is None:
        raise errors.NotAParent()
    children = list(group_roster(group=session.group_id, on=session.date).filter(pk__in=children_of_parent(user=actor)))
    if not children:
        raise errors.NoChildInGroup()
    return children


def checkin_verify(*, actor: Any, session_id: int, window: int, code: str, now: float | None = None) -> list[Person]:
    """Check a scanned code and who scanned it; the parent's children on the roster (rule: current code, own child)."""
    session = Session.objects.select_related("group").filter(pk=session_id).first()
    if session is None:
        raise errors.SessionNotFound()
    rules.check_qr_code(key=_key(), session_id=session.pk, window=window, code=code, now=time.time() if now is None else now)
    return _eligible_children(actor, session)


def checkin_record(
    *, actor: Any, session_id: int, window: int, code: str, child_ids: list[int] | None = None,
    now: float | None = None, request_id: str = "",
) -> list[CheckIn]:
    """Record the parent's check-in of their children on the roster (rule: once per child and session; the child is
    marked present unless the provider has marked them already)."""
    children = checkin_verify(actor=actor, session_id=session_id, window=window, code=code, now=now)
    if child_ids:
        chosen = [c for c in children if c.pk in set(child_ids)]
        if len(chosen) != len(set(child_ids)):
            raise errors.NoChildInGroup()
        children = chosen
    moment = timezone.now()
    made: list[CheckIn] = []
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id)
        done = set(CheckIn.objects.filter(session=session, child__in=children).values_list("child_id", flat=True))
        for child in children:
            if child.pk in done:
                continue
            try:
                with transaction.atomic():
                    checkin = CheckIn.objects.create(session=session, child=child, parent=actor, code_window=window,
                                                     checked_in_at=moment)
            except IntegrityError:
                continue  # the other parent checked the same child in at the same moment
            mark, created = Mark.objects.get_or_create(
                session=session, child=child,
                defaults={"status": Mark.Status.PRESENT, "marked_by": actor, "marked_at": moment,
                          "client_mark_id": f"checkin-{checkin.pk}"},
            )
            audit_record(actor=actor, action="attendance.checkin", obj=checkin, request_id=request_id,
                         after={"session": session.pk, "child": child.pk, "window": window,
                                "marked_present": created, "mark_status": mark.status})
            made.append(checkin)
    if not made:
        raise errors.AlreadyCheckedIn()
    return made

