"""Club sections: provider staff maintain their own, officers approve new ones; the catalogue shows approved ones only."""

from __future__ import annotations

import pytest

from kezek.accounts.permissions import OutOfScope
from kezek.audit.models import AuditEvent
from kezek.organisations.errors import InvalidAgeRange
from kezek.vouchers import errors, selectors
from kezek.vouchers.services.sections import section_approve, section_create, section_update
from tests.factories.accounts import make_provider_staff
from tests.factories.organisations import make_organisation
from tests.factories.vouchers import make_club_section


def new_section(staff, organisation, **overrides):
    values = {"name": "Бокс", "kind": "sport", "age_min_months": 84, "age_max_months": 204, "language": "ru",
              "capacity": 15, "schedule": "Вт, Чт 18:00", "monthly_price": 20000}
    values.update(overrides)
    return section_create(actor=staff, organisation=organisation, **values)


def test_staff_open_a_section_that_waits_for_approval(officer):
    organisation = make_organisation(kind="club")
    staff = make_provider_staff(organisation)
    section = new_section(staff, organisation)
    assert (section.is_approved, section.monthly_price, section.schedule) == (False, 20000, "Вт, Чт 18:00")
    assert not selectors.catalogue_sections().filter(pk=section.pk).exists()
    with pytest.raises(errors.SectionAlreadyApproved):
        section_approve(actor=officer, section=section_approve(actor=officer, section=section))
    assert selectors.catalogue_sections().filter(pk=section.pk).exists()
    assert AuditEvent.objects.filter(action="vouchers.section.approve", object_id=str(section.pk)).exists()


def test_section_rules(officer):
    organisation = make_organisation(kind="club")
    staff = make_provider_staff(organisation)
    with pytest.raises(InvalidAgeRange):
        new_section(staff, organisation, age_min_months=200, age_max_months=100)
    with pytest.raises(errors.InvalidPrice):
        new_section(staff, organisation, monthly_price=-1)
    with pytest.raises(errors.InvalidValue):
        new_section(staff, organisation, kind="nursery")
    kindergarten = make_organisation()
    with pytest.raises(errors.NotAClubProvider):
        new_section(make_provider_staff(kindergarten), kindergarten)
    with pytest.raises(OutOfScope):
        new_section(make_provider_staff(make_organisation(kind="club")), organisation)
    assert not organisation.groups.exists()


def test_update_keeps_capacity_above_the_children_enrolled():
    section = make_club_section(capacity=5)
    section.enrolled = 3
    section.save()
    staff = make_provider_staff(section.organisation)
    with pytest.raises(errors.InvalidValue):
        section_update(actor=staff, section=section, capacity=2)
    updated = section_update(actor=staff, section=section, capacity=8, schedule="Сб 11:00", monthly_price=None)
    assert (updated.capacity, updated.schedule, updated.monthly_price) == (8, "Сб 11:00", None)
    with pytest.raises(OutOfScope):
        section_update(actor=make_provider_staff(make_organisation(kind="club")), section=section, name="Мой")
