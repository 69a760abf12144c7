import re

import pytest

from kezek.domain import geo
from kezek.domain.errors import NotFound

CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def test_seventeen_regions_and_three_cities():
    regions = geo.all_regions()
    assert len(regions) == 20
    assert sorted(r.code for r in regions if r.kind == "city") == ["almaty-city", "astana", "shymkent"]
    assert len([r for r in regions if r.kind == "region"]) == 17


def test_region_codes_are_the_published_ones():
    assert {r.code for r in geo.all_regions()} == {
        "astana", "almaty-city", "shymkent", "abai", "akmola", "aktobe", "almaty-region", "atyrau",
        "east-kazakhstan", "jambyl", "jetisu", "karaganda", "kostanay", "kyzylorda", "mangystau",
        "north-kazakhstan", "pavlodar", "turkestan", "ulytau", "west-kazakhstan",
    }


def test_codes_are_unique_ascii_slugs():
    codes = [r.code for r in geo.all_regions()] + [d.code for d in geo.all_districts()]
    assert len(codes) == len(set(codes))
    assert all(CODE.match(c) for c in codes)


def test_every_district_belongs_to_its_region_and_is_prefixed_by_it():
    for region in geo.all_regions():
        assert region.districts, region.code
        for district in region.districts:
            assert district.region_code == region.code
            assert district.code.startswith(f"{region.code}-")
            assert geo.district_by_code(district.code) is district
    assert len(geo.all_districts()) == sum(len(r.districts) for r in geo.all_regions())


def test_no_empty_names_and_kazakh_and_russian_are_cyrillic():
    for item in (*geo.all_regions(), *geo.all_districts()):
        for name in (item.name_kk, item.name_ru, item.name_en):
            assert name.strip() == name and name
        assert CYRILLIC.search(item.name_kk) and CYRILLIC.search(item.name_ru)
        assert item.name_en.isascii()


def test_city_districts_of_the_three_cities():
    def slugs(code):
        return [d.code for d in geo.region_by_code(code).districts]

    assert slugs("astana") == ["astana-almaty", "astana-baikonur", "astana-yesil", "astana-saryarka", "astana-nura"]
    assert len(slugs("almaty-city")) == 8
    assert len(slugs("shymkent")) == 5
    assert all(d.kind == "district" for code in ("astana", "almaty-city", "shymkent") for d in geo.region_by_code(code).districts)


def test_regions_list_their_cities_of_regional_significance():
    semey = geo.district_by_code("abai-semey-city")
    assert (semey.kind, semey.name_kk, semey.name_ru, semey.name_en) == ("city", "Семей қаласы", "город Семей", "Semey City")
    # A city and a rural district of the same name get different codes.
    assert geo.district_by_code("pavlodar-pavlodar").kind == "district"
    assert geo.district_by_code("pavlodar-pavlodar-city").kind == "city"


def test_regions_created_in_2022():
    assert geo.region_by_code("abai").name_kk == "Абай облысы"
    assert geo.region_by_code("jetisu").name_en == "Jetisu Region"
    assert geo.region_by_code("ulytau").name_ru == "область Улытау"
    assert "karaganda-zhanaarka" not in {d.code for d in geo.all_districts()}
    assert geo.district_by_code("ulytau-zhanaarka").region_code == "ulytau"


def test_astana_yesil_names_in_three_languages():
    yesil = geo.district_by_code("astana-yesil")
    assert (yesil.name_kk, yesil.name_ru, yesil.name_en) == ("Есіл ауданы", "район Есиль", "Yesil District")


def test_incomplete_regions_are_real_regions():
    assert geo.INCOMPLETE_REGIONS <= {r.code for r in geo.all_regions()}


@pytest.mark.parametrize("code", ["", "Astana", "nowhere", "astana-yesil"])
def test_unknown_region_raises_not_found(code):
    with pytest.raises(geo.UnknownRegion) as err:
        geo.region_by_code(code)
    assert isinstance(err.value, NotFound)
    assert err.value.code == "unknown_region"
    assert repr(code)[1:-1] in str(err.value)


@pytest.mark.parametrize("code", ["", "astana", "astana-moon"])
def test_unknown_district_raises_not_found(code):
    with pytest.raises(geo.UnknownDistrict) as err:
        geo.district_by_code(code)
    assert isinstance(err.value, NotFound)
    assert err.value.code == "unknown_district"


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        geo.region_by_code("astana").code = "x"  # type: ignore[misc]
