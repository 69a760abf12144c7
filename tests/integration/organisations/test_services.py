import pytest

from kezek.accounts.models import Role
from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.audit.models import AuditEvent
from kezek.domain.bin import InvalidBin, build_bin
from kezek.domain.errors import DomainError
from kezek.organisations.errors import (
    AlreadyApproved,
    BinTaken,
    InvalidAgeRange,
    InvalidCapacity,
    InvalidChoice,
    InvalidLanguages,
    RequiredField,
)
from kezek.organisations.models import Group, Organisation
from kezek.organisations.selectors import group_list, organisation_list
from kezek.organisations.services import (
    group_create,
    group_update,
    organisation_approve,
    organisation_create,
    organisation_update,
)
from tests.factories.organisations import make_group, make_organisation
from tests.integration.organisations.conftest import make_staff

pytestmark = pytest.mark.django_db

BIN = build_bin("23054000123")


def create(actor, district, **overrides):
    values = {"kind": "kindergarten", "ownership": "private", "name": " Балдәурен ", "bin": BIN, "district": district,
              "address": "Мәңгілік Ел, 10", "languages": ["ru", "kk", "kk"]}
    values.update(overrides)
    return organisation_create(actor=actor, **values)


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_officer_registers_an_organisation_pending_and_audited(officer, yesil):
    org = create(officer, yesil)
    org.refresh_from_db()
    assert (org.name, org.bin, org.district_id, org.languages, org.status) == ("Балдәурен", BIN, yesil.pk, ["kk", "ru"], "pending")
    [event] = events("organisations.organisation.create")
    assert (event.actor_id, event.object_type, event.object_id) == (officer.pk, "organisations.organisation", str(org.pk))
    assert event.before is None
    assert event.after["bin"] == BIN and event.after["status"] == "pending" and event.after["district_id"] == yesil.pk


@pytest.mark.parametrize(
    ("overrides", "error", "reason"),
    [
        ({"bin": "123"}, InvalidBin, "length"),
        ({"bin": BIN[:-1] + str((int(BIN[-1]) + 1) % 10)}, InvalidBin, "check_digit"),
        ({"bin": "12345678901x"}, InvalidBin, "non_digit"),
        ({"languages": []}, InvalidLanguages, None),
        ({"languages": ["kk", "de"]}, InvalidLanguages, None),
        ({"languages": "kk"}, InvalidLanguages, None),
        ({"name": "   "}, RequiredField, None),
        ({"address": ""}, RequiredField, None),
        ({"kind": "school"}, InvalidChoice, None),
        ({"ownership": "mixed"}, InvalidChoice, None),
    ],
)
def test_invalid_organisation_is_rejected_and_nothing_saved(officer, yesil, overrides, error, reason):
    with pytest.raises(error) as err:
        create(officer, yesil, **overrides)
    assert isinstance(err.value, DomainError)
    if reason:
        assert err.value.reason == reason
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_duplicate_bin_is_a_conflict(officer, yesil):
    create(officer, yesil)
    with pytest.raises(BinTaken):
        create(officer, yesil, name="Другой")
    assert Organisation.objects.count() == 1


def test_officer_cannot_register_in_another_district(other_officer, yesil):
    with pytest.raises(OutOfScope):
        create(other_officer, yesil)
    assert not Organisation.objects.exists()


def test_parent_and_anonymous_cannot_register(yesil):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(RoleRequired):
        create(AnonymousUser(), yesil)
    assert not Organisation.objects.exists()


def test_administrator_registers_anywhere(administrator, baikonur):
    assert create(administrator, baikonur).district_id == baikonur.pk


def test_update_records_before_and_after(officer, yesil):
    org = make_organisation(district=yesil, status="pending", languages=["kk"], name="Ескі атау")
    updated = organisation_update(actor=officer, organisation=org, name="Жаңа атау", languages=["ru", "kk"])
    org.refresh_from_db()
    assert (org.name, org.languages) == ("Жаңа атау", ["kk", "ru"])
    assert updated.name == org.name
    [event] = events("organisations.organisation.update")
    assert (event.before["name"], event.after["name"]) == ("Ескі атау", "Жаңа атау")
    assert event.before["languages"] == ["kk"] and event.after["languages"] == ["kk", "ru"]


def test_update_without_a_change_writes_nothing(officer, yesil):
    org = make_organisation(district=yesil)
    organisation_update(actor=officer, organisation=org, name=org.name)
    assert not AuditEvent.objects.exists()


def test_invalid_update_changes_nothing(officer, yesil):
    org = make_organisation(district=yesil, name="Старое")
    with pytest.raises(InvalidBin):
        organisation_update(actor=officer, organisation=org, name="Новое", bin="000000000001")
    org.refresh_from_db()
    assert org.name == "Старое"
    assert not AuditEvent.objects.exists()


def test_update_to_another_organisations_bin_is_a_conflict(officer, yesil):
    first = make_organisation(district=yesil)
    second = make_organisation(district=yesil)
    with pytest.raises(BinTaken):
        organisation_update(actor=officer, organisation=second, bin=first.bin)
    # Keeping its own BIN is not a conflict.
    organisation_update(actor=officer, organisation=second, bin=second.bin, name="X")


def test_update_cannot_touch_status_directly(officer, yesil):
    org = make_organisation(district=yesil, status="pending")
    with pytest.raises(TypeError):
        organisation_update(actor=officer, organisation=org, status="approved")


def test_officer_cannot_update_or_approve_another_districts_organisation(other_officer, yesil):
    org = make_organisation(district=yesil, status="pending", name="Чужой")
    with pytest.raises(OutOfScope):
        organisation_update(actor=other_officer, organisation=org, name="Захвачен")
    with pytest.raises(OutOfScope):
        organisation_approve(actor=other_officer, organisation=org)
    org.refresh_from_db()
    assert (org.name, org.status) == ("Чужой", "pending")
    assert not AuditEvent.objects.exists()


def test_officer_cannot_move_an_organisation_out_of_their_district(officer, yesil, baikonur):
    org = make_organisation(district=yesil)
    with pytest.raises(OutOfScope):
        organisation_update(actor=officer, organisation=org, district=baikonur)
    org.refresh_from_db()
    assert org.district_id == yesil.pk


def test_approve_once(officer, yesil):
    org = make_organisation(district=yesil, status="pending")
    approved = organisation_approve(actor=officer, organisation=org)
    assert approved.status == "approved"
    org.refresh_from_db()
    assert org.status == "approved"
    [event] = events("organisations.organisation.approve")
    assert (event.before["status"], event.after["status"], event.actor_id) == ("pending", "approved", officer.pk)
    with pytest.raises(AlreadyApproved):
        organisation_approve(actor=officer, organisation=org)
    assert len(events("organisations.organisation.approve")) == 1


def test_provider_staff_cannot_approve_their_own_organisation(yesil):
    org = make_organisation(district=yesil, status="pending")
    staff = make_staff("staff", role=Role.PROVIDER_STAFF, organisation=org)
    with pytest.raises(RoleRequired):
        organisation_approve(actor=staff, organisation=org)


# --- groups -----------------------------------------------------------------------------------------


def new_group(actor, org, **overrides):
    values = {"name": "Күншуақ", "kind": "junior", "age_min_months": 24, "age_max_months": 35, "language": "kk", "capacity": 20}
    values.update(overrides)
    return group_create(actor=actor, organisation=org, **values)


def test_group_create_and_update_audited(officer, yesil):
    org = make_organisation(district=yesil)
    group = new_group(officer, org)
    assert (group.organisation_id, group.capacity, group.is_active) == (org.pk, 20, True)
    [created] = events("organisations.group.create")
    assert created.after["capacity"] == 20 and created.after["organisation_id"] == org.pk
    group_update(actor=officer, group=group, capacity=25, age_max_months=40)
    group.refresh_from_db()
    assert (group.capacity, group.age_min_months, group.age_max_months) == (25, 24, 40)
    [updated] = events("organisations.group.update")
    assert (updated.before["capacity"], updated.after["capacity"]) == (20, 25)
    assert (updated.before["age_max_months"], updated.after["age_max_months"]) == (35, 40)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"age_min_months": 48, "age_max_months": 36}, InvalidAgeRange),
        ({"age_min_months": -1}, InvalidAgeRange),
        ({"age_max_months": 300}, InvalidAgeRange),
        ({"age_min_months": "24"}, InvalidAgeRange),
        ({"capacity": -1}, InvalidCapacity),
        ({"capacity": True}, InvalidCapacity),
        ({"language": "de"}, InvalidChoice),
        ({"kind": "chess"}, InvalidChoice),
        ({"name": ""}, RequiredField),
    ],
)
def test_invalid_group_is_rejected_and_nothing_saved(officer, yesil, overrides, error):
    org = make_organisation(district=yesil)
    with pytest.raises(error):
        new_group(officer, org, **overrides)
    assert not Group.objects.exists()
    assert not AuditEvent.objects.exists()


def test_group_update_checks_the_range_against_the_stored_end(officer, yesil):
    group = make_group(organisation=make_organisation(district=yesil), age_min_months=36, age_max_months=47)
    with pytest.raises(InvalidAgeRange):
        group_update(actor=officer, group=group, age_min_months=50)
    group.refresh_from_db()
    assert group.age_min_months == 36
    assert not AuditEvent.objects.exists()


def test_provider_staff_manage_only_their_own_groups(yesil):
    own = make_organisation(district=yesil)
    other = make_organisation(district=yesil)
    staff = make_staff("staff", role=Role.PROVIDER_STAFF, organisation=own)
    group = new_group(staff, own)
    group_update(actor=staff, group=group, is_active=False)
    group.refresh_from_db()
    assert group.is_active is False
    with pytest.raises(OutOfScope):
        new_group(staff, other)
    with pytest.raises(OutOfScope):
        group_update(actor=staff, group=make_group(organisation=other), capacity=1)


def test_other_districts_officer_cannot_touch_groups(other_officer, yesil):
    group = make_group(organisation=make_organisation(district=yesil), capacity=10)
    with pytest.raises(OutOfScope):
        group_update(actor=other_officer, group=group, capacity=99)
    group.refresh_from_db()
    assert group.capacity == 10


# --- selectors --------------------------------------------------------------------------------------


def test_selectors_filter_by_district_kind_and_language(yesil, baikonur):
    kg = make_organisation(district=yesil)
    club = make_organisation(district=baikonur, kind="club")
    make_group(organisation=kg, language="ru")
    sport = make_group(organisation=club, kind="sport", age_min_months=72, age_max_months=144, language="kk")
    make_group(organisation=club, kind="arts", age_min_months=72, age_max_months=144, is_active=False)
    assert list(organisation_list(district_ids={yesil.pk})) == [kg]
    assert list(organisation_list(kind="club")) == [club]
    assert set(organisation_list()) == {kg, club}
    assert list(organisation_list(status="pending")) == []
    assert list(group_list(district_ids=[baikonur.pk], active_only=True)) == [sport]
    assert list(group_list(organisation_id=club.pk, kind="sport", language="kk")) == [sport]
    assert group_list().count() == 3
