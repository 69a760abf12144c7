"""The application wizard's pages: one application end to end, and each step's mistakes shown in the page."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.test import Client
from django.utils import timezone

from kezek.applications.models import Application, BenefitClaim
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import add_benefit, make_family, make_person

pytestmark = pytest.mark.django_db

STEP = "/kindergarten/apply/step/{}/"


def html(response) -> str:
    return response.content.decode()


def alerts(response) -> str:
    """The text of every role="alert" block of the page, tags removed."""
    blocks = re.findall(r'role="alert">(.*?)</div>', html(response), flags=re.S)
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", b) for b in blocks))


@pytest.fixture
def family():
    parent_person, (child,) = make_family(children=1, child_birth_dates=[dt.date(2022, 3, 1)], district=district())
    user = make_parent(parent_person)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return {"parent": parent_person, "child": child, "user": user, "client": client}


@pytest.fixture
def kindergartens():
    orgs = [make_organisation(name=f"Балабақша {n}", languages=["kk", "ru"]) for n in ("Айгөлек", "Балдырған", "Құлыншақ")]
    for org in orgs:
        make_group(organisation=org, language="kk", capacity=20)
    return orgs


def start_date() -> dt.date:
    return dt.date(timezone.localdate().year + 1, 9, 1)


def contacts(**overrides) -> dict:
    data = {"phone_1": "+7 701 555 12 34", "phone_2": "8 702 555 43 21", "phone_3": "", "email": "",
            "notify_channel": "sms", "notify_language": "kk"}
    data.update(overrides)
    return data


def walk_to_summary(client: Client, child, kindergartens, *, claimed=()) -> str:
    """Answer steps 1 to 5 and return the summary page."""
    assert client.post(STEP.format(1), {"child": child.iin, "iin": ""}).url == STEP.format(2)
    details = {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"}
    assert client.post(STEP.format(2), details).url == STEP.format(3)
    choices = {"choice_1": kindergartens[1].pk, "choice_2": kindergartens[0].pk}
    assert client.post(STEP.format(3), choices).url == STEP.format(4)
    assert client.post(STEP.format(4), contacts()).url == STEP.format(5)
    assert client.post(STEP.format(5), {"claimed": list(claimed)}).url == STEP.format(6)
    summary = client.get(STEP.format(6))
    assert summary.status_code == 200
    return html(summary)


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_signed_out_parent_is_sent_to_the_sms_signin():
    response = Client().get("/kindergarten/apply/step/1/")
    assert response.status_code == 302
    assert response.url.startswith("/signin/?next=/kindergarten/apply/step/1/")


def test_staff_cannot_use_the_wizard():
    client = Client()
    client.force_login(make_officer())
    assert client.get("/kindergarten/apply/step/1/").status_code == 403


def test_the_wizard_creates_one_application_and_a_repost_returns_the_same(family, kindergartens):
    client, child = family["client"], family["child"]
    add_benefit(child, "large_family")

    page = html(client.get(STEP.format(1)))
    assert child.full_name in page
    # A later step cannot be opened before the earlier ones are answered.
    assert client.get(STEP.format(4)).url == STEP.format(1)

    summary = walk_to_summary(client, child, kindergartens, claimed=["special_needs"])
    assert child.iin not in summary and child.iin[-2:] in summary  # the IIN is partly hidden
    assert "Балабақша Балдырған" in summary and "+77015551234" in summary and "+77025554321" in summary
    assert "large family" in summary and "special educational needs" in summary
    token = token_of(summary)

    done = client.post(STEP.format(6), {"token": token})
    application = Application.objects.get(child=child)
    assert done.url == f"/kindergarten/apply/done/{application.pk}/"
    assert list(application.preferences.values_list("organisation_id", flat=True)) == [kindergartens[1].pk, kindergartens[0].pk]
    assert application.phones == ["+77015551234", "+77025554321"]
    assert application.priority_class == 1  # the registry's large-family right

    # A double click / re-POST of the same summary lands on the same application.
    again = client.post(STEP.format(6), {"token": token})
    assert again.url == done.url
    assert Application.objects.filter(child=child).count() == 1

    result = client.get(done.url)
    body = html(result)
    assert result.status_code == 200
    assert f"№ {application.queue_number}" in body
    claim = application.claims.get(kind="special_needs")
    assert claim.status == BenefitClaim.Status.PENDING
    assert "Upload the document" in body
    assert 'data-testid="position">1<' in body


def test_a_repost_after_the_session_lost_the_wizard_still_returns_the_same_application(family, kindergartens):
    client, child = family["client"], family["child"]
    token = token_of(walk_to_summary(client, child, kindergartens))
    first = client.post(STEP.format(6), {"token": token})
    session = client.session
    session.pop("kezek_apply_submitted")
    session.save()
    # The answers are gone too, so the wizard starts again rather than making a second application.
    second = client.post(STEP.format(6), {"token": token})
    assert second.status_code == 302 and second.url == STEP.format(1)
    assert Application.objects.filter(child=child).count() == 1
    assert first.url.endswith(f"/{Application.objects.get(child=child).pk}/")


def test_a_stale_summary_token_is_refused_and_nothing_is_saved(family, kindergartens):
    client, child = family["client"], family["child"]
    walk_to_summary(client, child, kindergartens)
    response = client.post(STEP.format(6), {"token": "not-the-one-shown"})
    assert response.status_code == 200
    assert "The summary has changed" in alerts(response)
    assert not Application.objects.filter(child=child).exists()


@pytest.mark.parametrize(
    ("iin", "expected"),
    [
        ("190523501237", "check digit does not match"),
        ("12345", "An IIN has exactly 12 digits"),
        ("abcdefghijkl", "An IIN contains digits only"),
    ],
)
def test_step_1_shows_an_invalid_iin_in_the_page(family, iin, expected):
    response = family["client"].post(STEP.format(1), {"child": "other", "iin": iin})
    assert response.status_code == 200
    assert expected in alerts(response)
    assert 'aria-invalid="true"' in html(response)


def test_step_1_refuses_a_child_the_parent_does_not_represent(family):
    stranger = make_person(birth_date=dt.date(2021, 6, 1))
    response = family["client"].post(STEP.format(1), {"child": "other", "iin": stranger.iin})
    assert response.status_code == 200
    text = alerts(response)
    assert "does not list you as this child's legal representative" in text
    assert "Public Service Centre" in text  # says what to do


def test_step_1_refuses_an_iin_unknown_to_the_registry(family):
    from kezek.domain.iin import build_iin

    iin = next(i for s in range(9000, 9999) if (i := build_iin(dt.date(2020, 1, 1), "M", s)))
    response = family["client"].post(STEP.format(1), {"child": "other", "iin": iin})
    assert "No child with this IIN is in the civil registry" in alerts(response)


def test_step_2_refuses_a_child_too_old_on_the_start_date(family):
    parent = family["parent"]
    old_child = make_person(birth_date=dt.date(timezone.localdate().year - 6, 1, 10))
    from kezek.people.models import LegalRepresentation

    LegalRepresentation.objects.create(representative=parent, child=old_child)
    client = family["client"]
    assert client.post(STEP.format(1), {"child": old_child.iin}).url == STEP.format(2)
    response = client.post(
        STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "ru"}
    )
    assert response.status_code == 200
    assert "kindergarten is for children under 6" in alerts(response)
    assert "district_id" not in client.session["kezek_apply"]


def test_step_2_refuses_a_start_date_in_the_past(family):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    response = client.post(STEP.format(2), {"district": district().pk, "desired_start_date": "2020-01-01", "language": "kk"})
    assert "The desired start date is in the past" in alerts(response)


def test_step_2_offers_the_districts_of_the_parents_region(family):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    page = html(client.get(STEP.format(2)))
    assert district().name in page
    assert district("astana-almaty").name in page


@pytest.mark.parametrize(
    ("phones", "expected"),
    [
        ({"phone_2": "+7 701 555 12 34"}, "already given above"),
        ({"phone_2": "+44 7911 123456"}, "not a Kazakhstan mobile phone number"),
        ({"phone_1": "12ab"}, "not a Kazakhstan mobile phone number"),
        ({"phone_2": ""}, "This field is required"),
    ],
)
def test_step_4_shows_bad_phones_in_the_page(family, kindergartens, phones, expected):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    client.post(STEP.format(3), {"choice_1": kindergartens[0].pk})
    response = client.post(STEP.format(4), contacts(**phones))
    assert response.status_code == 200
    assert expected in alerts(response)
    assert "phones" not in client.session["kezek_apply"]


def test_step_4_needs_an_email_for_email_news(family, kindergartens):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    client.post(STEP.format(3), {"choice_1": kindergartens[0].pk})
    response = client.post(STEP.format(4), contacts(notify_channel="email"))
    assert "Give an e-mail address" in alerts(response)


def test_step_3_needs_a_kindergarten_and_refuses_the_same_one_twice(family, kindergartens):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    assert "Choose at least one kindergarten" in alerts(client.post(STEP.format(3), {}))
    twice = client.post(STEP.format(3), {"choice_1": kindergartens[0].pk, "choice_2": kindergartens[0].pk})
    assert "only once" in alerts(twice)


def test_step_3_search_and_add_work_without_javascript_and_with_htmx(family, kindergartens):
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    found = client.get("/kindergarten/apply/kindergartens/", {"q": "Құлыншақ"})
    assert "Балабақша Құлыншақ" in html(found) and "Балабақша Айгөлек" not in html(found)
    assert "20 places in its groups" in html(found)
    # Without JavaScript the Search button posts the form and the page comes back with the results.
    searched = client.post(STEP.format(3), {"q": "Айгөлек", "search": "1", "choice_1": kindergartens[1].pk})
    assert searched.status_code == 200 and "<html" in html(searched)
    assert 'aria-label="Kindergartens found"' in html(searched) and "Add<span" in html(searched)
    assert f'<option value="{kindergartens[1].pk}" selected>' in html(searched)
    assert "preferences" not in client.session["kezek_apply"]
    added = client.post(STEP.format(3), {"q": "", "add": kindergartens[2].pk, "choice_1": kindergartens[0].pk}, HTTP_HX_REQUEST="true")
    body = html(added)
    assert "<html" not in body  # the fragment only
    assert f'<option value="{kindergartens[2].pk}" selected>' in body
    assert "preferences" not in client.session["kezek_apply"]  # adding is not yet saving
    go_on = client.post(STEP.format(3), {"choice_1": kindergartens[0].pk, "choice_2": kindergartens[2].pk}, HTTP_HX_REQUEST="true")
    assert go_on.status_code == 204 and go_on["HX-Redirect"] == STEP.format(4)


def test_step_5_shows_registry_rights_as_automatic(family, kindergartens):
    add_benefit(family["child"], "large_family")
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    client.post(STEP.format(3), {"choice_1": kindergartens[0].pk})
    client.post(STEP.format(4), contacts())
    page = html(client.get(STEP.format(5)))
    assert "large family" in page and "Applied automatically" in page
    assert 'value="large_family"' not in page  # not claimable again
    assert 'value="special_needs"' in page


def test_a_second_application_for_the_same_child_is_refused_on_the_summary(family, kindergartens):
    client, child = family["client"], family["child"]
    token = token_of(walk_to_summary(client, child, kindergartens))
    # Meanwhile the child was registered from another device.
    existing = make_application(child=child, applicant=family["user"])
    response = client.post(STEP.format(6), {"token": token})
    assert response.status_code == 422
    assert f"already has a kindergarten application, queue number {existing.queue_number}" in alerts(response)
    assert Application.objects.filter(child=child).count() == 1


def test_step_1_refuses_a_child_who_already_has_an_open_application(family):
    existing = make_application(child=family["child"], applicant=family["user"])
    client = family["client"]
    assert "already in the queue" in html(client.get(STEP.format(1)))
    response = client.post(STEP.format(1), {"child": family["child"].iin})
    assert response.status_code == 200
    assert f"queue number {existing.queue_number}" in alerts(response)
    assert f'href="/kindergarten/{existing.pk}/"' in html(response)
    assert "child_iin" not in client.session.get("kezek_apply", {})


def test_a_parent_on_the_stop_list_is_refused_on_the_summary(family, kindergartens):
    from kezek.applications.models import StopListEntry

    until = timezone.now() + dt.timedelta(days=10)
    StopListEntry.objects.create(person=family["parent"], until=until, reason="false right")
    client, child = family["client"], family["child"]
    token = token_of(walk_to_summary(client, child, kindergartens))
    response = client.post(STEP.format(6), {"token": token})
    assert response.status_code == 422
    assert "You cannot apply until" in alerts(response)
    assert not Application.objects.filter(child=child).exists()


def test_the_wizard_pages_render_in_kazakh_and_russian(family, kindergartens):
    client = family["client"]
    titles = {"kk": ("Балабақшаға орынға өтініш беру", "Немесе баланың ЖСН-ін енгізіңіз"), "ru": ("Заявление на место в детском саду", "Или введите ИИН ребёнка")}
    for language, expected in titles.items():
        client.cookies["django_language"] = language
        response = client.get(STEP.format(1))
        assert response.status_code == 200
        assert f'<html lang="{language}">' in html(response)
        assert all(text in html(response) for text in expected)
    # A refusal is in the page's language too.
    refused = client.post(STEP.format(1), {"child": "other", "iin": "12345"})
    assert "Сверьте ИИН с удостоверением личности" in alerts(refused)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_confirm_makes_one_application(kindergartens):
    import threading

    from django.db import connection

    parent_person, (child,) = make_family(children=1, child_birth_dates=[dt.date(2022, 3, 1)], district=district())
    first = Client()
    first.force_login(make_parent(parent_person))
    token = token_of(walk_to_summary(first, child, kindergartens))
    second = Client()
    second.cookies = first.cookies  # the same browser: one session, two requests in flight
    barrier = threading.Barrier(2)
    results: list = []

    def click(client: Client) -> None:
        try:
            barrier.wait()
            results.append(client.post(STEP.format(6), {"token": token}))
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    application = Application.objects.get(child=child)
    assert sorted(r.status_code for r in results) == [302, 302]
    assert {r.url for r in results} == {f"/kindergarten/apply/done/{application.pk}/"}


def test_step_3_refuses_a_sixth_kindergarten(family):
    orgs = [make_organisation(name=f"Балабақша {n}", languages=["kk"]) for n in range(6)]
    client = family["client"]
    client.post(STEP.format(1), {"child": family["child"].iin})
    client.post(STEP.format(2), {"district": district().pk, "desired_start_date": start_date().isoformat(), "language": "kk"})
    full = {f"choice_{rank}": org.pk for rank, org in enumerate(orgs[:5], start=1)}
    response = client.post(STEP.format(3), {**full, "add": orgs[5].pk})
    assert response.status_code == 200
    assert "Your list already has 5 kindergartens" in alerts(response)
    assert f'<option value="{orgs[5].pk}" selected>' not in html(response)
