"""A small world for authorisation tests: two districts, three providers, one user per role and a parent's records.

``build_world()`` writes it with the factories and services (no HTTP) and returns a ``World``:

- districts: ``district`` = A (Astana, Yesil), ``other_district`` = B (Astana, Almaty; same region, so a region-wide
  rule cannot hide a district leak).
- providers: ``org`` (kindergarten in A, with ``group``), ``other_org`` (kindergarten in B, with ``other_group``),
  ``club`` (club provider in A, with the sport ``section``). Staff scope is per organisation, so ``other_org`` sits in
  the other district as well: the other provider's staff must be refused whether the check is by district or by
  organisation.
- ``users`` (keys are the matrix roles): ``anonymous`` (None), ``parent``, ``other_parent`` (a parent in district A
  with a child of their own and nothing else), ``provider_staff`` (org), ``other_provider_staff`` (other_org),
  ``officer`` (district A), ``other_officer`` (district B), ``admin``; extra: ``club_staff`` (club).
- the parent's records, all in district A, ids in ``ids``:
  ``child`` (3 years old next September) with ``application`` (active, prefers org, with the SUBMITTED event) and
  its benefit ``claim`` (pending, with an uploaded PDF ``claim_document``), an open ``offer`` of a place in ``group``
  from ``round`` (its ``round_code``), an ``appeal`` about the application (with ``appeal_document``);
  ``enrolled_child`` with ``enrolled_application`` (status enrolled) and an active ``enrolment`` in ``group``, today's
  attendance ``session`` with a present ``mark``, this month's open ``sheet`` with a ``contest`` of that session, a
  ``dispute`` about the enrolment; ``voucher_child`` with a ``voucher`` placed in ``section`` (waiting for the
  provider, agreement accepted by the parent) of ``campaign`` (a queue campaign of district A, open since
  yesterday);
  ``referral_child`` with ``accepted_offer`` (from ``referral_round``) and its ``referral`` (``referral_token``).
- other rows: ``past_session`` and ``past_mark`` (last month, for the statement), ``statement`` (org's draft payment
  statement of last month, with ``statement_line`` for the enrolled
  child), ``draft_campaign`` (district A, made by the officer, not announced), ``incident`` (recorded by the
  administrator an hour ago), ``opening`` (a waiting room's slug), ``user_session`` (a recorded session of the
  parent), ``other_child`` (the other parent's child; no records).

Ids of the other parent's own child and of org/district rows are there too (``district``, ``other_district``,
``organisation``, ``other_organisation``, ``club``, ``group``, ``other_group``, ``section``, ``region``).
Documents are stored under ``settings.MEDIA_ROOT``: point it at a temporary folder before building.
Only add to this module; helper tests import it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from kezek.domain.workdays import is_working_day
from tests.factories.accounts import (
    make_admin,
    make_officer,
    make_parent,
    make_provider_staff,
)
from tests.factories.applications import make_application, make_claim
from tests.factories.attendance import (
    enrol_child,
    make_contest,
    make_mark,
    make_session,
    make_sheet,
)
from tests.factories.geo import district as get_district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import make_family
from tests.factories.placements import make_ran_round
from tests.factories.rush import make_opening
from tests.factories.vouchers import child_born, make_campaign, make_club_section

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = (
    "anonymous", "parent", "other_parent", "provider_staff", "other_provider_staff", "officer", "other_officer", "admin",
)


@dataclass
class World:
    """Everything ``build_world`` made: model instances by name, users by role, ids for URL templates."""

    users: dict[str, Any]
    ids: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # world.org, world.application ... read the instances made (dataclass fields are found first).
        objects = self.__dict__.get("objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(name)

    def url(self, template: str) -> str:
        """``template`` with ``{name}`` filled from ``ids``, e.g. ``/api/v1/applications/{application}``."""
        return template.format(**self.ids)


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _providers() -> dict[str, Any]:
    district_a, district_b = get_district("astana-yesil"), get_district("astana-almaty")
    org = make_organisation(district=district_a, name="Security kindergarten A")
    other_org = make_organisation(district=district_b, name="Security kindergarten B")
    club = make_organisation(district=district_a, kind="club", ownership="private", name="Security club A")
    return {
        "district": district_a, "other_district": district_b, "org": org, "other_org": other_org, "club": club,
        "group": make_group(organisation=org, capacity=30),
        "other_group": make_group(organisation=other_org, capacity=30),
        "section": make_club_section(organisation=club, capacity=10),
    }


def _users(o: dict[str, Any]) -> dict[str, Any]:
    parent_person, kids = make_family(
        children=4, district=o["district"],
        child_birth_dates=[dt.date(2023, 3, 1), dt.date(2021, 3, 1), child_born(8), dt.date(2023, 5, 1)],
    )
    other_person, (other_child,) = make_family(children=1, district=o["district"], child_birth_dates=[dt.date(2023, 4, 1)])
    o.update(child=kids[0], enrolled_child=kids[1], voucher_child=kids[2], referral_child=kids[3], other_child=other_child)
    return {
        "anonymous": None,
        "parent": make_parent(parent_person),
        "other_parent": make_parent(other_person),
        "provider_staff": make_provider_staff(o["org"]),
        "other_provider_staff": make_provider_staff(o["other_org"]),
        "officer": make_officer(o["district"]),
        "other_officer": make_officer(o["other_district"]),
        "admin": make_admin(),
        "club_staff": make_provider_staff(o["club"]),
    }


def _queue(o: dict[str, Any], users: dict[str, Any]) -> None:
    from kezek.applications.services.claims import claim_document_upload
    from kezek.placements.services.offers import offer_accept

    parent = users["parent"]
    registered = timezone.now() - dt.timedelta(days=30)
    o["application"] = make_application(child=o["child"], applicant=parent, district=o["district"],
                                        preferences=[o["org"]], registered_at=registered, with_event=True)
    claim = make_claim(o["application"], kind="large_family")
    o["claim"] = claim_document_upload(actor=parent, claim_id=claim.pk, uploaded_file=pdf())
    ran = make_ran_round(applications=[o["application"]], groups=[(o["group"], 1)])
    o["round"], o["offer"] = ran.round, ran.offers[0]
    referral_application = make_application(child=o["referral_child"], applicant=parent, district=o["district"],
                                            preferences=[o["org"]], registered_at=registered)
    accepted = make_ran_round(applications=[referral_application], groups=[(o["group"], 1)])
    o["referral_round"], o["accepted_offer"] = accepted.round, accepted.offers[0]
    o["referral"] = offer_accept(user=parent, offer=accepted.offers[0].pk)


def _attendance(o: dict[str, Any], users: dict[str, Any]) -> None:
    from kezek.integrity.services.disputes import dispute_file
    from kezek.payments.services import statement_generate

    parent, staff = users["parent"], users["provider_staff"]
    o["enrolment"] = enrol_child(o["group"], o["enrolled_child"], applicant=parent)
    o["enrolled_application"] = o["enrolment"].application
    o["session"] = make_session(o["group"], created_by=staff)
    o["mark"] = make_mark(o["session"], o["enrolled_child"], marked_by=staff)
    o["sheet"] = make_sheet(o["enrolled_child"], o["group"], month=timezone.localdate())
    o["contest"] = make_contest(o["sheet"], o["session"])
    o["dispute"] = dispute_file(actor=parent, subject="enrolment", subject_id=o["enrolment"].pk, reason="Not there")
    # Statements are of months that have ended: last month's session and mark give the statement its line.
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    while not is_working_day(last_month):
        last_month += dt.timedelta(days=1)
    o["past_session"] = make_session(o["group"], day=last_month, created_by=staff)
    o["past_mark"] = make_mark(o["past_session"], o["enrolled_child"], marked_by=staff)
    o["statement"] = statement_generate(organisation=o["org"], month=last_month.replace(day=1), actor=users["officer"])
    o["statement_line"] = o["statement"].lines.order_by("pk").first()


def _vouchers(o: dict[str, Any], users: dict[str, Any]) -> None:
    from kezek.vouchers.models import CampaignStage, Voucher, VoucherCampaign
    from kezek.vouchers.services.placement import voucher_place

    district, officer, parent = o["district"], users["officer"], users["parent"]
    # A queue campaign that opened yesterday (made through the services, then moved back in time).
    campaign = make_campaign(officer=officer, district=district, policy="queue", quota=10)
    CampaignStage.objects.filter(campaign=campaign).update(opens_at=timezone.now() - dt.timedelta(days=1))
    VoucherCampaign.objects.filter(pk=campaign.pk).update(status="open")
    o["campaign"] = VoucherCampaign.objects.get(pk=campaign.pk)
    voucher = Voucher.objects.create(campaign=o["campaign"], kind="universal", child=o["voucher_child"], holder=parent)
    o["voucher"] = voucher_place(actor=parent, voucher_id=voucher.pk, section_id=o["section"].pk, accept_agreement=True)
    o["draft_campaign"] = make_campaign(officer=officer, district=district, announce=False)


def _appeals_and_more(o: dict[str, Any], users: dict[str, Any]) -> None:
    from kezek.accounts.models import UserSession
    from kezek.appeals.services.appeals import appeal_file
    from kezek.appeals.services.incidents import incident_record

    o["appeal"] = appeal_file(actor=users["parent"], kind="wrong_priority", subject_kind="application",
                              subject_id=o["application"].pk, text="My large family is not counted.", documents=[pdf()])
    o["appeal_document"] = o["appeal"].documents.get()
    now = timezone.now()
    o["incident"] = incident_record(actor=users["admin"], starts_at=now - dt.timedelta(hours=2),
                                    ends_at=now - dt.timedelta(hours=1), description="Security test outage")
    o["opening"] = make_opening(opens_at=now + dt.timedelta(days=3))
    o["user_session"] = UserSession.objects.create(user=users["parent"], session_key=secrets.token_hex(16))


def _ids(o: dict[str, Any]) -> dict[str, Any]:
    ids = {name: getattr(obj, "pk", obj) for name, obj in o.items()}
    ids.update(
        organisation=o["org"].pk, other_organisation=o["other_org"].pk, region=o["district"].region_id,
        round_code=o["round"].code, referral_round_code=o["referral_round"].code,
        referral_token=o["referral"].check_token, opening=o["opening"].slug, claim_document=o["claim"].pk,
        statement_line=o["statement_line"].pk if o["statement_line"] else None,
    )
    return ids


def build_world() -> World:
    """Write the world (see the module docstring) and return it; about a second on SQLite."""
    objects = _providers()
    users = _users(objects)
    _queue(objects, users)
    _attendance(objects, users)
    _vouchers(objects, users)
    _appeals_and_more(objects, users)
    return World(users=users, ids=_ids(objects), objects=objects)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff passwords: the slow hasher is not under test


@contextmanager
def rolled_back_world(builder: Callable[[], Any], *, media: Path, django_db_blocker, **overrides: Any) -> Iterator[Any]:
    """A world written once for a module inside a transaction rolled back at its end; each test nests a savepoint."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=FAST_HASHERS, **overrides):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield builder()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
