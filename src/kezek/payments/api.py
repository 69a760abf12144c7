"""Payments API, mounted at /api/v1/payments (signed in: provider staff see their own statements, officers their
district's; officers generate drafts, approve them and add adjustments). Same services as the pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from kezek.accounts.api import session_auth
from kezek.domain import payments as rules
from kezek.payments import documents, selectors, services
from kezek.payments.models import Statement, StatementLine
from kezek.payments.schemas import AdjustmentIn, GenerateIn, LineOut, StatementOut
from kezek.privacy.masking import iin_for_viewer

router = Router()


def line_out(line: StatementLine, viewer: Any = None) -> dict[str, Any]:
    return {
        **{f: getattr(line, f) for f in (
            "id", "kind", "child_id", "group_id", "sessions", "paid", "absent", "contested", "upheld", "awaiting",
            "unconfirmed", "monthly_value", "amount", "reason", "created_at")},
        "child_iin": iin_for_viewer(iin=line.child.iin, viewer=viewer) if line.child else None, "child_name": line.child.full_name if line.child else None,
        "group_name": line.group.name if line.group else None,
    }


def statement_out(statement: Statement, *, with_lines: bool = False, viewer: Any = None) -> dict[str, Any]:
    totals = selectors.statement_totals(statement=statement)
    return {
        "id": statement.pk, "organisation_id": statement.organisation_id, "organisation": statement.organisation.name,
        "district_id": statement.organisation.district_id, "month": f"{statement.month:%Y-%m}", "status": statement.status,
        "payment_rule": statement.payment_rule, "due_on": statement.due_on,
        "late": selectors.statement_is_late(statement=statement), "generated_at": statement.generated_at,
        "approved_at": statement.approved_at, "attendance_total": totals.attendance, "adjustments_total": totals.adjustments,
        "total": totals.total, "intact": selectors.statement_intact(statement=statement),
        "lines": [line_out(line, viewer) for line in selectors.statement_lines(statement=statement)] if with_lines else None,
    }


class StatementFilter(Schema):
    month: str | None = None
    late: bool = False


@router.get("/statements", auth=session_auth, response=list[StatementOut], summary="Statements you may see")
def statement_list(request: HttpRequest, filters: Query[StatementFilter]):
    month = rules.parse_month(filters.month, today=timezone.localdate()) if filters.month else None
    found = selectors.late_statements(user=request.auth) if filters.late else selectors.statements_for_user(user=request.auth)
    if month is not None:
        found = found.filter(month=month)
    return [statement_out(s) for s in found[:500]]


@router.get("/statements/{int:statement_id}", auth=session_auth, response=StatementOut, summary="A statement with its lines")
def statement_detail(request: HttpRequest, statement_id: int):
    return statement_out(selectors.statement_get(user=request.auth, statement_id=statement_id), with_lines=True, viewer=request.auth)


@router.get("/statements/{int:statement_id}/csv", auth=session_auth, summary="The statement as CSV")
def statement_csv(request: HttpRequest, statement_id: int):
    statement = selectors.statement_get(user=request.auth, statement_id=statement_id)
    return HttpResponse(documents.statement_csv(statement=statement, viewer=request.auth), content_type="text/csv; charset=utf-8")


@router.post("/statements", auth=session_auth, response={201: StatementOut},
             summary="Officer: generate (or refresh) a provider's draft for a month")
def statement_generate(request: HttpRequest, payload: GenerateIn):
    month = rules.parse_month(payload.month, today=timezone.localdate())
    organisation = selectors.organisations_for_officer(user=request.auth).filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise selectors.ProviderNotFound()
    statement = services.statement_generate(organisation=organisation, month=month, actor=request.auth)
    return Status(201, statement_out(selectors.statement_get(user=request.auth, statement_id=statement.pk), with_lines=True, viewer=request.auth))


@router.post("/statements/{int:statement_id}/regenerate", auth=session_auth, response=StatementOut,
             summary="Officer: refresh a draft from the latest attendance")
def statement_regenerate(request: HttpRequest, statement_id: int):
    selectors.statement_get(user=request.auth, statement_id=statement_id)
    services.statement_regenerate(actor=request.auth, statement_id=statement_id)
    return statement_out(selectors.statement_get(user=request.auth, statement_id=statement_id), with_lines=True, viewer=request.auth)


@router.post("/statements/{int:statement_id}/approve", auth=session_auth, response=StatementOut,
             summary="Officer: approve and lock a draft")
def statement_approve(request: HttpRequest, statement_id: int):
    selectors.statement_get(user=request.auth, statement_id=statement_id)
    services.statement_approve(actor=request.auth, statement_id=statement_id)
    return statement_out(selectors.statement_get(user=request.auth, statement_id=statement_id), with_lines=True, viewer=request.auth)


@router.post("/statements/{int:statement_id}/adjustments", auth=session_auth, response={201: LineOut},
             summary="Officer: add an adjustment line with a reason to an approved statement")
def statement_adjust(request: HttpRequest, statement_id: int, payload: AdjustmentIn):
    selectors.statement_get(user=request.auth, statement_id=statement_id)
    line = services.statement_adjust(actor=request.auth, statement_id=statement_id, amount=payload.amount,
                                     reason=payload.reason, line_id=payload.line_id)
    return Status(201, line_out(line, request.auth))
