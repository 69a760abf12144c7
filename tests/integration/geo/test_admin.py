import pytest
from django.urls import reverse

from kezek.accounts.models import Role, User
from kezek.geo.models import District

pytestmark = pytest.mark.django_db


def test_officers_may_look_up_districts_but_not_change_them(client):
    yesil = District.objects.get(code="astana-yesil")
    officer = User.objects.create_user(username="officer", password="x" * 12, role=Role.OFFICER, district=yesil, is_staff=True)
    client.force_login(officer)
    url = reverse("admin:geo_district_change", args=[yesil.pk])
    assert client.get(reverse("admin:geo_district_changelist")).status_code == 200
    assert client.get(url).status_code == 200
    response = client.post(url, {"region": yesil.region_id, "code": "astana-yesil", "name_kk": "X", "name_ru": "X", "name_en": "X"})
    assert response.status_code == 403
    assert client.get(reverse("admin:geo_district_add")).status_code == 403
    yesil.refresh_from_db()
    assert yesil.name_en == "Yesil District"


def test_superusers_may_correct_a_name(client):
    yesil = District.objects.get(code="astana-yesil")
    client.force_login(User.objects.create_superuser(username="root", password="x" * 12))
    url = reverse("admin:geo_district_change", args=[yesil.pk])
    response = client.post(url, {"region": yesil.region_id, "code": "astana-yesil", "name_kk": "Есіл ауданы",
                                 "name_ru": "район Есиль", "name_en": "Esil District"})
    assert response.status_code == 302
    yesil.refresh_from_db()
    assert yesil.name_en == "Esil District"
    assert client.get(reverse("admin:geo_region_change", args=[yesil.region_id])).status_code == 200
