import pytest
from django.core.management import call_command

from kezek.domain import geo as geo_data
from kezek.geo.models import District, Region
from kezek.geo.services import geo_sync

pytestmark = pytest.mark.django_db


def test_migrations_load_the_twenty_regions_and_every_district():
    assert Region.objects.count() == 20
    assert set(Region.objects.values_list("code", flat=True)) == {r.code for r in geo_data.all_regions()}
    assert District.objects.count() == len(geo_data.all_districts())
    assert Region.objects.filter(kind=Region.Kind.CITY).count() == 3


def test_astana_has_its_five_districts_named_in_three_languages():
    astana = Region.objects.get(code="astana")
    districts = {d.code: (d.name_kk, d.name_ru, d.name_en) for d in astana.districts.all()}
    assert set(districts) == {"astana-almaty", "astana-baikonur", "astana-yesil", "astana-saryarka", "astana-nura"}
    assert districts["astana-baikonur"] == ("Байқоңыр ауданы", "район Байконур", "Baikonur District")
    assert (astana.name_kk, astana.name_ru, astana.name_en, astana.kind) == ("Астана", "Астана", "Astana", "city")


def test_name_follows_the_active_language(settings):
    from django.utils import translation

    yesil = District.objects.get(code="astana-yesil")
    with translation.override("kk"):
        assert str(yesil) == "Есіл ауданы"
    with translation.override("en"):
        assert yesil.name == "Yesil District"
    with translation.override("ru"):
        assert yesil.name == "район Есиль"


def test_sync_twice_changes_nothing():
    before = list(District.objects.order_by("code").values_list("pk", "code", "region_id", "name_kk", "name_ru", "name_en"))
    first = geo_sync()
    second = geo_sync()
    assert (first.created, first.updated, first.changed) == (0, 0, False)
    assert (second.created, second.updated) == (0, 0)
    assert list(District.objects.order_by("code").values_list("pk", "code", "region_id", "name_kk", "name_ru", "name_en")) == before


def test_sync_restores_changed_names_and_missing_rows_keeping_ids():
    yesil = District.objects.get(code="astana-yesil")
    District.objects.filter(pk=yesil.pk).update(name_en="Wrong")
    District.objects.filter(code="ulytau-zhanaarka").delete()
    result = geo_sync()
    assert (result.created, result.updated, result.changed) == (1, 1, True)
    yesil.refresh_from_db()
    assert yesil.name_en == "Yesil District"
    assert District.objects.get(code="ulytau-zhanaarka").region.code == "ulytau"


def test_load_geo_command_reports_counts(capsys):
    District.objects.filter(code="astana-nura").delete()
    call_command("load-geo")
    assert "1 created, 0 updated" in capsys.readouterr().out
    assert District.objects.filter(code="astana-nura").exists()
