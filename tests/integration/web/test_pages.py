"""Every page renders in Kazakh, Russian and English, with the language in <html lang>."""

import re

import pytest
from django.test import Client

from tests.factories.accounts import make_officer, make_parent
from tests.integration.web.helpers import html

pytestmark = pytest.mark.django_db

# One string per page that we translated ourselves, in each language.
PAGES = {
    "/": {
        "kk": "Балабақшадағы орындар мен үйірме ваучерлеріне әділ кезек",
        "ru": "Честная очередь за местами в детских садах и ваучерами в кружки",
        "en": "A fair queue for kindergarten places and club vouchers",
    },
    "/signin/": {"kk": "Ұялы телефон нөмірі", "ru": "Номер мобильного телефона", "en": "Mobile phone number"},
    "/staff/signin/": {"kk": "Қызметкерлердің кіруі", "ru": "Вход для сотрудников", "en": "Staff sign-in"},
}


def client_in(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_public_pages_render_in_each_language(path, language):
    response = client_in(language).get(path)
    assert response.status_code == 200
    body = html(response)
    assert f'<html lang="{language}">' in body
    assert PAGES[path][language] in body
    # The switcher names each language in that language, whatever the page's language.
    for name in ("Қазақша", "Русский", "English"):
        assert name in body


@pytest.mark.parametrize(
    ("language", "title", "role"),
    [("kk", "Жеке кабинет", "ата-ана"), ("ru", "Личный кабинет", "родитель"), ("en", "My account", "parent")],
)
def test_account_page_renders_in_each_language(language, title, role):
    client = client_in(language)
    client.force_login(make_parent())
    response = client.get("/account/")
    assert response.status_code == 200
    body = html(response)
    assert f'<html lang="{language}">' in body
    assert title in body and role in body


@pytest.mark.parametrize(
    ("language", "text"), [("kk", "Бет табылмады"), ("ru", "Страница не найдена"), ("en", "Page not found")]
)
def test_not_found_page_is_friendly_and_translated(language, text):
    response = client_in(language).get("/no-such-page/")
    assert response.status_code == 404
    assert text in html(response)


def test_language_switcher_posts_to_set_language_and_comes_back():
    client = client_in("ru")
    page = html(client.get("/signin/"))
    assert 'action="/i18n/setlang/"' in page and 'name="language" value="kk"' in page
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/signin/"})
    assert response.status_code == 302 and response["Location"] == "/signin/"
    body = html(client.get("/signin/"))
    assert '<html lang="kk">' in body and "Кіру" in body


def test_switcher_refuses_to_redirect_off_site():
    response = client_in("ru").post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_base_template_is_accessible_and_loads_htmx_deferred():
    body = html(Client().get("/"))
    assert 'class="skip-link" href="#main"' in body and 'id="main"' in body
    assert re.search(r'<script src="/static/kezek/htmx.min.js" nonce="[^"]+" defer></script>', body)
    assert 'name="viewport"' in body


def test_nav_shows_sign_in_links_or_account_and_sign_out():
    anonymous = html(Client().get("/"))
    assert 'href="/signin/"' in anonymous and 'action="/signout/"' not in anonymous
    client = Client()
    client.force_login(make_parent())
    signed_in = html(client.get("/"))
    assert 'href="/account/"' in signed_in and 'action="/signout/"' in signed_in
    assert 'href="/admin/"' not in signed_in


def test_back_office_link_only_for_staff():
    officer = make_officer()
    officer.is_staff = True
    officer.save()
    client = Client()
    client.force_login(officer)
    assert 'href="/admin/"' in html(client.get("/"))


def test_static_files_are_served():
    client = Client()
    assert client.get("/static/kezek/site.css").status_code == 200
    assert client.get("/static/kezek/htmx.min.js").status_code == 200


def test_server_error_page_renders_without_a_request_context():
    from django.test import RequestFactory
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("kk"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = html(response)
    assert "Бірдеңе дұрыс болмады" in body and '<html lang="kk">' in body
    assert "csrfmiddlewaretoken" not in body


def test_staff_account_page_shows_role_and_no_iin():
    officer = make_officer()
    client = client_in("ru")
    client.force_login(officer)
    body = html(client.get("/account/"))
    assert "специалист отдела образования" in body
    assert "ИИН" not in body
