"""Shapes of the appeals API: the service checks the rules, these only the types and lengths."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from kezek.domain.appeals import MAX_REASON_CHARS, MAX_TEXT_CHARS


class AppealIn(Schema):
    kind: str = Field(..., max_length=32, description="lost_place, offer_expired_while_down, wrong_priority or payment_refused")
    subject_kind: str = Field(..., max_length=20, description="application, offer, voucher or payment_statement")
    subject_id: int = Field(..., description="The record's number; it must be yours")
    text: str = Field(..., max_length=MAX_TEXT_CHARS)


class DecisionIn(Schema):
    upheld: bool = Field(..., description="True: in the filer's favour, and the remedy runs")
    reason: str = Field(..., max_length=MAX_REASON_CHARS, description="Sent to the filer")
    amount: Decimal | None = Field(None, max_digits=12, decimal_places=2, description="Refused payment: the adjustment line")


class RemedyOut(Schema):
    remedy: str
    outcome: str
    new_item_id: int | None
    beyond_quota: bool
    note: str
    executed_at: datetime


class DocumentOut(Schema):
    id: int
    content_type: str
    size: int
    uploaded_at: datetime


class AppealOut(Schema):
    id: int
    kind: str
    subject_kind: str
    subject_id: int
    status: str
    text: str
    filed_at: datetime
    deadline: datetime
    overdue: bool
    district_id: int | None
    decided_at: datetime | None
    decision_reason: str
    documents: list[DocumentOut]
    remedy: RemedyOut | None


class IncidentIn(Schema):
    starts_at: datetime
    ends_at: datetime
    description: str = Field(..., max_length=MAX_REASON_CHARS)


class IncidentOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    description: str
    recorded_at: datetime
    restored_at: datetime | None


class IncidentItemOut(Schema):
    id: int
    outcome: str | None = Field(None, description="What the restore did; null while not restored")
    new_item_id: int | None = None


class IncidentItemsOut(Schema):
    incident: IncidentOut
    expired_offers: list[IncidentItemOut]
    cancelled_vouchers: list[IncidentItemOut]
    rush_claims: list[dict]
    refused_claims_stored: bool = Field(False, description="The rush does not store refused claims")


class RestoreOut(Schema):
    outcomes: dict[str, int]
