"""Personal data: a family whose whole history is over (closed application, ended place, paid month, decided appeal,
documents, messages, sessions), so it can be exported and erased; helpers to make one of its records live again."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from kezek.accounts.models import OtpChallenge, User, UserSession
from kezek.appeals.models import Appeal, AppealDocument
from kezek.applications.models import Application, BenefitClaim
from kezek.attendance.models import Session
from kezek.domain.payments import previous_month
from kezek.notifications.models import OutboxMessage
from kezek.payments.models import Statement
from kezek.payments.services import statement_approve, statement_generate
from kezek.people.models import Person
from kezek.placements.models import Enrolment
from tests.factories.accounts import make_officer, make_parent, make_provider_staff
from tests.factories.applications import make_application, make_claim
from tests.factories.attendance import enrol_child, make_mark, make_session, make_sheet
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import add_benefit, make_family


@pytest.fixture(autouse=True)
def _db(db, settings, tmp_path):
    """Every privacy test uses the database, and a private media folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "private"


def last_month() -> dt.date:
    return previous_month(timezone.localdate())


@dataclass
class Family:
    parent: Person
    account: User
    child: Person
    application: Application
    enrolment: Enrolment
    claim: BenefitClaim
    appeal: Appeal
    appeal_document: AppealDocument
    statement: Statement
    staff: User
    officer: User
    group: object
    sessions: list[Session]


def _document(name: str) -> ContentFile:
    return ContentFile(b"%PDF-1.4 certificate of a large family", name=name)


@pytest.fixture
def family() -> Family:
    """A parent and child whose kindergarten place ended after a month that was confirmed and paid."""
    group = make_group(organisation=make_organisation(name="Балбөбек"))
    staff, officer = make_provider_staff(group.organisation), make_officer(group.organisation.district)
    parent, (child,) = make_family(children=1, child_birth_dates=[dt.date(2021, 3, 17)])
    add_benefit(child, "large_family")
    account = make_parent(parent)
    enrolment = enrol_child(group, child, applicant=account)
    application = enrolment.application
    sessions = [make_session(group, day=last_month() + dt.timedelta(days=2 + i)) for i in range(3)]
    for session in sessions:
        make_mark(session, child, marked_by=staff)
    make_sheet(child, group, month=last_month(), status="confirmed")
    statement = statement_generate(organisation=group.organisation, month=last_month())
    statement = statement_approve(actor=officer, statement_id=statement.pk)
    enrolment.status, enrolment.ended_on, enrolment.end_reason = "ended", timezone.localdate(), "moved away"
    enrolment.save()
    Application.objects.filter(pk=application.pk).update(status="closed")
    application.refresh_from_db()
    claim = make_claim(application, status="verified", decided_at=timezone.now(), decided_by=officer, document=_document("claim.pdf"),
                       document_sha256="a" * 64, document_content_type="application/pdf", document_size=38)
    appeal = Appeal.objects.create(
        kind="wrong_priority", subject_kind="application", subject_id=application.pk, filer=account,
        district=application.district, child=child, text="Мой номер телефона +77011234567, пишите",
        status="rejected", deadline=timezone.now() + dt.timedelta(days=10), decided_at=timezone.now(), decided_by=officer,
        decision_reason="No grounds", remedy="none",
    )
    appeal_document = AppealDocument.objects.create(appeal=appeal, file=_document("appeal.pdf"), content_type="application/pdf",
                                                    size=38, sha256="0" * 64)
    OutboxMessage.objects.create(channel="sms", recipient=parent.phone, language="ru", template="test", body=f"{child.first_name}: ok",
                                 user=account, status="sent", sent_at=timezone.now())
    UserSession.objects.create(user=account, session_key="privacy-test-session", ip="10.0.0.1", user_agent="Firefox")
    OtpChallenge.objects.create(phone=parent.phone, code_hash="x", expires_at=timezone.now() + dt.timedelta(minutes=5))
    return Family(parent=parent, account=account, child=child, application=application, enrolment=enrolment, claim=claim,
                  appeal=appeal, appeal_document=appeal_document, statement=statement, staff=staff, officer=officer,
                  group=group, sessions=sessions)


def live_application(family: Family) -> Application:
    """A new open kindergarten application for the family's child."""
    return make_application(child=family.child, applicant=family.account, with_event=True)


def client_for(user) -> Client:
    """A signed-in client that reads the pages in English."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


# --- reading the text of the PDFs fpdf2 writes (DejaVu subset, 2-byte glyph codes, a ToUnicode map) ------------

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i:i + 1] != b"\\":
            out += raw[i:i + 1]
            i += 1
            continue
        following = raw[i + 1:i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if following in _ESCAPES:
            out += _ESCAPES[following]
            i += 2
        elif octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            i += 1
    return bytes(out)


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw  # stored plain (fpdf2 writes the ToUnicode map uncompressed)


def pdf_text(content: bytes) -> str:
    """The text shown by a PDF's ``Tj`` operators, one line per operator, decoded through its ToUnicode maps."""
    streams = [_inflate(s) for s in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)]
    cmap: dict[int, str] = {}
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    lines = []
    for stream in streams:
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            data = _unescape(raw)
            lines.append("".join(cmap.get(int.from_bytes(data[i:i + 2], "big"), "?") for i in range(0, len(data), 2)))
    return "\n".join(lines)
