"""The district officer's review of the scan's flags: confirm or dismiss, always with a note, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kezek.accounts.permissions import require_district, require_role
from kezek.accounts.models import Role
from kezek.audit.services import audit_record
from kezek.domain.errors import NotFound, gettext_noop
from kezek.domain.integrity import FlagStatus, check_flag_transition, clean_note
from kezek.integrity.models import IntegrityFlag


class FlagNotFound(NotFound):
    code = "flag_not_found"
    message = gettext_noop("There is no such flag.")


def flag_review(*, actor: Any, flag_id: int, confirm: bool, note: str) -> IntegrityFlag:
    """Confirm or dismiss an open flag with a note (rule: the flag's district officer, once)."""
    note = clean_note(note, required=True)
    with transaction.atomic():
        flag = IntegrityFlag.objects.select_for_update().filter(pk=flag_id).first() if isinstance(flag_id, int) else None
        if flag is None:
            raise FlagNotFound()
        if flag.district_id is None:
            require_role(actor, Role.ADMIN)
        else:
            require_district(actor, flag.district_id)
        target = FlagStatus.CONFIRMED if confirm else FlagStatus.DISMISSED
        check_flag_transition(flag.status, target)
        flag.status = target.value
        flag.reviewer = actor
        flag.reviewed_at = timezone.now()
        flag.note = note
        flag.save(update_fields=["status", "reviewer", "reviewed_at", "note"])
        audit_record(actor=actor, action=f"integrity.flag.{target.value}", obj=flag, before={"status": "open"},
                     after={"status": target.value, "note": note, "kind": flag.kind})
    return flag
