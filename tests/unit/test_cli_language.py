from kezek.core.cli import cli_language


def test_locale_variables_pick_the_language_in_order():
    assert cli_language({}) == "en"
    assert cli_language({"LANG": "C.UTF-8"}) == "en"
    assert cli_language({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert cli_language({"LANG": "ru_RU.UTF-8", "LC_ALL": "kk_KZ.UTF-8"}) == "kk"
    assert cli_language({"LANGUAGE": "de:kk", "LANG": "ru_RU.UTF-8"}) == "kk"
    assert cli_language({"LANG": "fr_FR.UTF-8"}) == "en"
