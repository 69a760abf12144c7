import pytest
from django.urls import reverse

from kezek.accounts.models import Role
from kezek.audit.models import AuditEvent
from kezek.domain.bin import build_bin
from kezek.organisations.models import Group, Organisation
from tests.factories.organisations import make_group, make_organisation
from tests.integration.organisations.conftest import make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:organisations_organisation_changelist")
ADD = reverse("admin:organisations_organisation_add")
GROUP_CHANGELIST = reverse("admin:organisations_group_changelist")


def org_events():
    # Signing in writes its own audit events; these tests are about the organisation ones.
    return list(AuditEvent.objects.filter(action__startswith="organisations."))


def change_url(org):
    return reverse("admin:organisations_organisation_change", args=[org.pk])


def form_data(district, **overrides):
    data = {"kind": "kindergarten", "ownership": "state", "name": "Айгөлек", "bin": build_bin("23054000777"),
            "district": district.pk, "address": "Сығанақ, 5", "languages": ["kk", "ru"]}
    data.update(overrides)
    return data


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def test_changelist_lists_only_the_officers_district(officer_client, yesil, baikonur):
    mine = make_organisation(district=yesil, name="Менің балабақшам")
    make_organisation(district=baikonur, name="Бөтен балабақша")
    response = officer_client.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]
    assert "Менің балабақшам" in response.text and "Бөтен балабақша" not in response.text


def test_other_districts_organisation_page_is_not_shown(officer_client, baikonur):
    foreign = make_organisation(district=baikonur, name="Бөтен")
    response = officer_client.get(change_url(foreign))
    assert response.status_code in (302, 404)
    response = officer_client.post(change_url(foreign), form_data(baikonur, name="Захвачен", bin=foreign.bin))
    assert response.status_code in (302, 403, 404)
    foreign.refresh_from_db()
    assert foreign.name == "Бөтен"
    assert not org_events()


def test_officer_adds_an_organisation_through_the_service(officer_client, officer, yesil):
    response = officer_client.post(ADD, form_data(yesil))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    org = Organisation.objects.get()
    assert (org.name, org.languages, org.status, org.district_id) == ("Айгөлек", ["kk", "ru"], "pending", yesil.pk)
    [event] = AuditEvent.objects.filter(action="organisations.organisation.create")
    assert event.actor_id == officer.pk


def test_district_field_offers_only_the_officers_district(officer_client, yesil, baikonur):
    response = officer_client.get(ADD)
    assert list(response.context["adminform"].form.fields["district"].queryset) == [yesil]
    response = officer_client.post(ADD, form_data(baikonur))
    assert response.status_code == 200
    assert "district" in response.context["adminform"].form.errors
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"bin": "123456789012"}, "bin"), ({"languages": []}, "languages"), ({"languages": ["de"]}, "languages")],
)
def test_invalid_input_is_a_form_error_not_a_500(officer_client, yesil, overrides, field):
    response = officer_client.post(ADD, form_data(yesil, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Organisation.objects.exists()
    assert not org_events()


def test_domain_error_from_the_service_shows_on_the_field(officer_client, yesil):
    valid = build_bin("23054000778")
    response = officer_client.post(ADD, form_data(yesil, bin=valid[:-1] + str((int(valid[-1]) + 1) % 10)),
                               HTTP_ACCEPT_LANGUAGE="en")
    errors = response.context["adminform"].form.errors
    # A mistyped check digit is only caught by the domain rule, so this message comes from the service.
    assert response.status_code == 200
    assert "check digit" in errors["bin"][0]
    assert not Organisation.objects.exists()


def test_duplicate_bin_is_shown_on_the_bin_field(officer_client, yesil):
    existing = make_organisation(district=yesil)
    response = officer_client.post(ADD, form_data(yesil, bin=existing.bin))
    assert response.status_code == 200
    assert "bin" in response.context["adminform"].form.errors
    assert Organisation.objects.count() == 1


def test_officer_edits_an_organisation_and_the_change_is_audited(officer_client, yesil):
    org = make_organisation(district=yesil, name="Ескі", languages=["kk"])
    response = officer_client.post(change_url(org), form_data(yesil, name="Жаңа", bin=org.bin, languages=["kk"]))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Жаңа"
    [event] = AuditEvent.objects.filter(action="organisations.organisation.update")
    assert (event.before["name"], event.after["name"]) == ("Ескі", "Жаңа")


def action_names(response):
    action_form = response.context.get("action_form")
    return [name for name, _ in action_form.fields["action"].choices] if action_form else []


def test_approve_action(officer_client, yesil):
    org = make_organisation(district=yesil, status="pending")
    assert "approve" in action_names(officer_client.get(CHANGELIST))
    response = officer_client.post(CHANGELIST, {"action": "approve", "_selected_action": [org.pk]})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == "approved"
    assert AuditEvent.objects.filter(action="organisations.organisation.approve").count() == 1


def test_approve_action_reports_a_refusal(officer_client, yesil):
    org = make_organisation(district=yesil, status="approved")
    response = officer_client.post(CHANGELIST, {"action": "approve", "_selected_action": [org.pk]}, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert not org_events()


def test_administrator_sees_every_district(client, administrator, yesil, baikonur):
    make_organisation(district=yesil)
    make_organisation(district=baikonur)
    client.force_login(administrator)
    assert client.get(CHANGELIST).context["cl"].queryset.count() == 2


# --- groups -----------------------------------------------------------------------------------------


def group_data(org, **overrides):
    data = {"organisation": org.pk, "name": "Ертегі", "kind": "senior", "age_min_months": 48, "age_max_months": 59,
            "language": "ru", "capacity": 24}
    data.update(overrides)
    return data


def test_group_changelist_and_pages_are_scoped(officer_client, yesil, baikonur):
    mine = make_group(organisation=make_organisation(district=yesil), name="Менің тобым")
    foreign = make_group(organisation=make_organisation(district=baikonur), name="Бөтен топ")
    response = officer_client.get(GROUP_CHANGELIST)
    assert list(response.context["cl"].queryset) == [mine]
    assert officer_client.get(reverse("admin:organisations_group_change", args=[foreign.pk])).status_code in (302, 404)
    assert officer_client.get(reverse("admin:organisations_group_change", args=[mine.pk])).status_code == 200


def test_officer_adds_a_group_and_a_bad_age_range_is_a_form_error(officer_client, yesil, baikonur):
    org = make_organisation(district=yesil)
    add = reverse("admin:organisations_group_add")
    response = officer_client.post(add, group_data(org, age_min_months=60, age_max_months=48))
    assert response.status_code == 200
    assert "age_max_months" in response.context["adminform"].form.errors
    assert not Group.objects.exists()
    foreign = make_organisation(district=baikonur)
    response = officer_client.post(add, group_data(foreign))
    assert "organisation" in response.context["adminform"].form.errors
    response = officer_client.post(add, group_data(org))
    assert response.status_code == 302
    group = Group.objects.get()
    assert (group.organisation_id, group.capacity, group.is_active) == (org.pk, 24, True)
    assert AuditEvent.objects.filter(action="organisations.group.create").count() == 1


def test_officer_edits_a_group(officer_client, yesil):
    group = make_group(organisation=make_organisation(district=yesil), capacity=10)
    url = reverse("admin:organisations_group_change", args=[group.pk])
    data = group_data(group.organisation, name=group.name, kind=group.kind, age_min_months=group.age_min_months,
                      age_max_months=group.age_max_months, language=group.language, capacity=12, is_active="on")
    response = officer_client.post(url, data)
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.capacity == 12
    [event] = AuditEvent.objects.filter(action="organisations.group.update")
    assert (event.before["capacity"], event.after["capacity"]) == (10, 12)


def test_provider_staff_see_only_their_groups_read_only(client, yesil):
    own = make_organisation(district=yesil)
    mine = make_group(organisation=own)
    make_group(organisation=make_organisation(district=yesil))
    staff = make_staff("staff", role=Role.PROVIDER_STAFF, organisation=own)
    client.force_login(staff)
    response = client.get(GROUP_CHANGELIST)
    assert list(response.context["cl"].queryset) == [mine]
    url = reverse("admin:organisations_group_change", args=[mine.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, group_data(own, capacity=99)).status_code == 403
    assert client.get(reverse("admin:organisations_group_add")).status_code == 403
    response = client.get(CHANGELIST)
    assert list(response.context["cl"].queryset) == [own]
    assert "approve" not in action_names(response)


def test_officer_without_back_office_access_is_sent_to_sign_in(client, yesil):
    make_organisation(district=yesil)
    user = make_staff("nostaff", role=Role.OFFICER, district=yesil)
    user.is_staff = False
    user.save()
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 302
