"""The plain-link language switch used on cached public pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_link_sets_the_language_cookie_and_returns_to_the_page(client):
    response = client.get("/language/kk/?next=/transparency/regions/astana/")
    assert response.status_code == 302 and response.url == "/transparency/regions/astana/"
    assert response.cookies["django_language"].value == "kk"
    assert 'lang="kk"' in client.get("/transparency/regions/astana/").content.decode()


def test_unknown_language_changes_nothing_and_foreign_next_is_refused(client):
    response = client.get("/language/xx/?next=https://evil.example/")
    assert response.status_code == 302 and response.url == "/"
    assert "django_language" not in response.cookies


def test_public_page_offers_links_not_a_form(client):
    body = client.get("/transparency/regions/astana/").content.decode()
    assert "/language/en/?next=" in body and "csrfmiddlewaretoken" not in body
