"""Kazakhstan's administrative divisions (2025): 17 regions, 3 cities of republican significance, districts.

Regions (облыс) include Abai, Jetisu and Ulytau, created in 2022. For the three cities of republican
significance the districts are city districts; for a region they are its rural districts (аудан) and its
cities of regional significance, because officers of a city's education department act like a district's.
Codes are stable ASCII identifiers: other data refers to them, so a code never changes once published;
district codes are ``<region code>-<slug>`` and cities of regional significance end in ``-city``.

Names are official Kazakh (Cyrillic), Russian and a common English transliteration. Where a name was not
certain it was left out rather than guessed (see ``INCOMPLETE_REGIONS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kezek.domain.errors import NotFound, gettext_noop

RegionKind = Literal["region", "city"]
DistrictKind = Literal["district", "city"]


class UnknownRegion(NotFound):
    code = "unknown_region"
    message = gettext_noop("There is no region with the code %(region_code)s.")
    hint = gettext_noop("Pick a region from the list.")


class UnknownDistrict(NotFound):
    code = "unknown_district"
    message = gettext_noop("There is no district with the code %(district_code)s.")
    hint = gettext_noop("Pick a district from the list.")


@dataclass(frozen=True)
class District:
    """A district of a region (a rural district or a city of regional significance) or a city district."""

    code: str
    region_code: str
    kind: DistrictKind
    name_kk: str
    name_ru: str
    name_en: str


@dataclass(frozen=True)
class Region:
    """A region (облыс) or a city of republican significance, with its districts."""

    code: str
    kind: RegionKind
    name_kk: str
    name_ru: str
    name_en: str
    districts: tuple[District, ...] = field(default=())


# (slug, Kazakh stem, Russian full name, English stem); the suffixes are added below.
_Row = tuple[str, str, str, str]


def _districts(region: str, rows: list[_Row], cities: list[_Row]) -> tuple[District, ...]:
    made = [District(f"{region}-{s}", region, "district", f"{kk} ауданы", ru, f"{en} District") for s, kk, ru, en in rows]
    made += [
        District(f"{region}-{s}-city", region, "city", f"{kk} қаласы", f"город {ru}", f"{en} City")
        for s, kk, ru, en in cities
    ]
    return tuple(made)


def _region(code: str, kk: str, ru: str, en: str, rows: list[_Row], cities: list[_Row]) -> Region:
    return Region(code, "region", f"{kk} облысы", ru, f"{en} Region", _districts(code, rows, cities))


def _city(code: str, kk: str, ru: str, en: str, rows: list[_Row]) -> Region:
    return Region(code, "city", kk, ru, en, _districts(code, rows, []))


_REGIONS: tuple[Region, ...] = (
    _city("astana", "Астана", "Астана", "Astana", [
        ("almaty", "Алматы", "район Алматы", "Almaty"),
        ("baikonur", "Байқоңыр", "район Байконур", "Baikonur"),
        ("yesil", "Есіл", "район Есиль", "Yesil"),
        ("saryarka", "Сарыарқа", "район Сарыарка", "Saryarka"),
        ("nura", "Нұра", "район Нура", "Nura"),
    ]),
    _city("almaty-city", "Алматы", "Алматы", "Almaty", [
        ("alatau", "Алатау", "Алатауский район", "Alatau"),
        ("almaly", "Алмалы", "Алмалинский район", "Almaly"),
        ("auezov", "Әуезов", "Ауэзовский район", "Auezov"),
        ("bostandyk", "Бостандық", "Бостандыкский район", "Bostandyk"),
        ("zhetysu", "Жетісу", "Жетысуский район", "Zhetysu"),
        ("medeu", "Медеу", "Медеуский район", "Medeu"),
        ("nauryzbay", "Наурызбай", "Наурызбайский район", "Nauryzbay"),
        ("turksib", "Түрксіб", "Турксибский район", "Turksib"),
    ]),
    _city("shymkent", "Шымкент", "Шымкент", "Shymkent", [
        ("abay", "Абай", "Абайский район", "Abay"),
        ("al-farabi", "Әл-Фараби", "Аль-Фарабийский район", "Al-Farabi"),
        ("enbekshi", "Еңбекші", "Енбекшинский район", "Enbekshi"),
        ("karatau", "Қаратау", "Каратауский район", "Karatau"),
        ("turan", "Тұран", "Туранский район", "Turan"),
    ]),
    _region("abai", "Абай", "Абайская область", "Abai", [
        ("abai", "Абай", "Абайский район", "Abai"),
        ("aksuat", "Ақсуат", "Аксуатский район", "Aksuat"),
        ("ayagoz", "Аягөз", "Аягозский район", "Ayagoz"),
        ("beskaragai", "Бесқарағай", "Бескарагайский район", "Beskaragai"),
        ("borodulikha", "Бородулиха", "Бородулихинский район", "Borodulikha"),
        ("zhanasemey", "Жаңасемей", "Жанасемейский район", "Zhanasemey"),
        ("zharma", "Жарма", "Жарминский район", "Zharma"),
        ("kokpekti", "Көкпекті", "Кокпектинский район", "Kokpekti"),
        ("makanshy", "Мақаншы", "Маканчинский район", "Makanshy"),
        ("urzhar", "Үржар", "Урджарский район", "Urzhar"),
    ], [
        ("semey", "Семей", "Семей", "Semey"),
        ("kurchatov", "Курчатов", "Курчатов", "Kurchatov"),
    ]),
    _region("akmola", "Ақмола", "Акмолинская область", "Akmola", [
        ("akkol", "Ақкөл", "Аккольский район", "Akkol"),
        ("arshaly", "Аршалы", "Аршалынский район", "Arshaly"),
        ("astrakhan", "Астрахан", "Астраханский район", "Astrakhan"),
        ("atbasar", "Атбасар", "Атбасарский район", "Atbasar"),
        ("birzhan-sal", "Біржан сал", "район Биржан сал", "Birzhan Sal"),
        ("bulandy", "Буланды", "Буландынский район", "Bulandy"),
        ("burabay", "Бурабай", "Бурабайский район", "Burabay"),
        ("egindykol", "Егіндікөл", "Егиндыкольский район", "Egindykol"),
        ("ereymentau", "Ерейментау", "Ерейментауский район", "Ereymentau"),
        ("esil", "Есіл", "Есильский район", "Esil"),
        ("zhaksy", "Жақсы", "Жаксынский район", "Zhaksy"),
        ("zharkain", "Жарқайың", "Жаркаинский район", "Zharkain"),
        ("zerendi", "Зеренді", "Зерендинский район", "Zerendi"),
        ("korgalzhyn", "Қорғалжын", "Коргалжынский район", "Korgalzhyn"),
        ("sandyktau", "Сандықтау", "Сандыктауский район", "Sandyktau"),
        ("tselinograd", "Целиноград", "Целиноградский район", "Tselinograd"),
        ("shortandy", "Шортанды", "Шортандинский район", "Shortandy"),
    ], [
        ("kokshetau", "Көкшетау", "Кокшетау", "Kokshetau"),
        ("stepnogorsk", "Степногорск", "Степногорск", "Stepnogorsk"),
    ]),
    _region("aktobe", "Ақтөбе", "Актюбинская область", "Aktobe", [
        ("aiteke-bi", "Әйтеке би", "Айтекебийский район", "Aiteke Bi"),
        ("alga", "Алға", "Алгинский район", "Alga"),
        ("baiganin", "Байғанин", "Байганинский район", "Baiganin"),
        ("kargaly", "Қарғалы", "Каргалинский район", "Kargaly"),
        ("khobda", "Қобда", "Хобдинский район", "Khobda"),
        ("martuk", "Мәртөк", "Мартукский район", "Martuk"),
        ("mugalzhar", "Мұғалжар", "Мугалжарский район", "Mugalzhar"),
        ("temir", "Темір", "Темирский район", "Temir"),
        ("uil", "Ойыл", "Уилский район", "Uil"),
        ("khromtau", "Хромтау", "Хромтауский район", "Khromtau"),
        ("shalkar", "Шалқар", "Шалкарский район", "Shalkar"),
        ("irgiz", "Ырғыз", "Иргизский район", "Irgiz"),
    ], [
        ("aktobe", "Ақтөбе", "Актобе", "Aktobe"),
    ]),
    _region("almaty-region", "Алматы", "Алматинская область", "Almaty", [
        ("balkhash", "Балқаш", "Балхашский район", "Balkhash"),
        ("enbekshikazakh", "Еңбекшіқазақ", "Енбекшиказахский район", "Enbekshikazakh"),
        ("zhambyl", "Жамбыл", "Жамбылский район", "Zhambyl"),
        ("ile", "Іле", "Илийский район", "Ile"),
        ("karasai", "Қарасай", "Карасайский район", "Karasai"),
        ("kegen", "Кеген", "Кегенский район", "Kegen"),
        ("raiymbek", "Райымбек", "Райымбекский район", "Raiymbek"),
        ("talgar", "Талғар", "Талгарский район", "Talgar"),
        ("uigur", "Ұйғыр", "Уйгурский район", "Uigur"),
    ], [
        ("konaev", "Қонаев", "Конаев", "Konaev"),
    ]),
    _region("atyrau", "Атырау", "Атырауская область", "Atyrau", [
        ("zhylyoi", "Жылыой", "Жылыойский район", "Zhylyoi"),
        ("inder", "Индер", "Индерский район", "Inder"),
        ("isatai", "Исатай", "Исатайский район", "Isatai"),
        ("kurmangazy", "Құрманғазы", "Курмангазинский район", "Kurmangazy"),
        ("kyzylkoga", "Қызылқоға", "Кызылкогинский район", "Kyzylkoga"),
        ("makat", "Мақат", "Макатский район", "Makat"),
        ("makhambet", "Махамбет", "Махамбетский район", "Makhambet"),
    ], [
        ("atyrau", "Атырау", "Атырау", "Atyrau"),
    ]),
    _region("east-kazakhstan", "Шығыс Қазақстан", "Восточно-Казахстанская область", "East Kazakhstan", [
        ("altai", "Алтай", "Алтайский район", "Altai"),
        ("glubokoe", "Глубокое", "Глубоковский район", "Glubokoe"),
        ("zaysan", "Зайсан", "Зайсанский район", "Zaysan"),
        ("katonkaragai", "Катонқарағай", "Катон-Карагайский район", "Katonkaragai"),
        ("kurshim", "Күршім", "Курчумский район", "Kurshim"),
        ("markakol", "Марқакөл", "Маркакольский район", "Markakol"),
        ("samar", "Самар", "Самарский район", "Samar"),
        ("tarbagatai", "Тарбағатай", "Тарбагатайский район", "Tarbagatai"),
        ("ulan", "Ұлан", "Уланский район", "Ulan"),
        ("shemonaikha", "Шемонаиха", "Шемонаихинский район", "Shemonaikha"),
    ], [
        ("oskemen", "Өскемен", "Усть-Каменогорск", "Oskemen"),
        ("ridder", "Риддер", "Риддер", "Ridder"),
    ]),
    _region("jambyl", "Жамбыл", "Жамбылская область", "Jambyl", [
        ("baizak", "Байзақ", "Байзакский район", "Baizak"),
        ("zhambyl", "Жамбыл", "Жамбылский район", "Zhambyl"),
        ("zhualy", "Жуалы", "Жуалынский район", "Zhualy"),
        ("kordai", "Қордай", "Кордайский район", "Kordai"),
        ("merki", "Меркі", "Меркенский район", "Merki"),
        ("moiynkum", "Мойынқұм", "Мойынкумский район", "Moiynkum"),
        ("sarysu", "Сарысу", "Сарысуский район", "Sarysu"),
        ("talas", "Талас", "Таласский район", "Talas"),
        ("shu", "Шу", "Шуский район", "Shu"),
        ("turar-ryskulov", "Тұрар Рысқұлов", "район Турара Рыскулова", "Turar Ryskulov"),
    ], [
        ("taraz", "Тараз", "Тараз", "Taraz"),
    ]),
    # Panfilov district is left out: a rename has been discussed and the current official name is unconfirmed.
    _region("jetisu", "Жетісу", "область Жетісу", "Jetisu", [
        ("aksu", "Ақсу", "Аксуский район", "Aksu"),
        ("alakol", "Алакөл", "Алакольский район", "Alakol"),
        ("eskeldi", "Ескелді", "Ескельдинский район", "Eskeldi"),
        ("karatal", "Қаратал", "Каратальский район", "Karatal"),
        ("kerbulak", "Кербұлақ", "Кербулакский район", "Kerbulak"),
        ("koksu", "Көксу", "Коксуский район", "Koksu"),
        ("sarkand", "Сарқан", "Саркандский район", "Sarkand"),
    ], [
        ("taldykorgan", "Талдықорған", "Талдыкорган", "Taldykorgan"),
        ("tekeli", "Текелі", "Текели", "Tekeli"),
    ]),
    _region("karaganda", "Қарағанды", "Карагандинская область", "Karaganda", [
        ("abai", "Абай", "Абайский район", "Abai"),
        ("aktogay", "Ақтоғай", "Актогайский район", "Aktogay"),
        ("bukhar-zhyrau", "Бұқар жырау", "Бухар-Жырауский район", "Bukhar-Zhyrau"),
        ("karkaraly", "Қарқаралы", "Каркаралинский район", "Karkaraly"),
        ("nura", "Нұра", "Нуринский район", "Nura"),
        ("osakarov", "Осакаров", "Осакаровский район", "Osakarov"),
        ("shet", "Шет", "Шетский район", "Shet"),
    ], [
        ("karaganda", "Қарағанды", "Караганда", "Karaganda"),
        ("balkhash", "Балқаш", "Балхаш", "Balkhash"),
        ("priozersk", "Приозерск", "Приозерск", "Priozersk"),
        ("saran", "Саран", "Сарань", "Saran"),
        ("shakhtinsk", "Шахтинск", "Шахтинск", "Shakhtinsk"),
        ("temirtau", "Теміртау", "Темиртау", "Temirtau"),
    ]),
    _region("kostanay", "Қостанай", "Костанайская область", "Kostanay", [
        ("altynsarin", "Алтынсарин", "Алтынсаринский район", "Altynsarin"),
        ("amangeldi", "Амангелді", "Амангельдинский район", "Amangeldi"),
        ("auliekol", "Әулиекөл", "Аулиекольский район", "Auliekol"),
        ("beimbet-mailin", "Бейімбет Майлин", "район Беимбета Майлина", "Beimbet Mailin"),
        ("denisov", "Денисов", "Денисовский район", "Denisov"),
        ("zhangeldi", "Жангелдин", "Джангельдинский район", "Zhangeldi"),
        ("zhitikara", "Жітіқара", "Житикаринский район", "Zhitikara"),
        ("kamysty", "Қамысты", "Камыстинский район", "Kamysty"),
        ("karabalyk", "Қарабалық", "Карабалыкский район", "Karabalyk"),
        ("karasu", "Қарасу", "Карасуский район", "Karasu"),
        ("kostanay", "Қостанай", "Костанайский район", "Kostanay"),
        ("mendykara", "Меңдіқара", "Мендыкаринский район", "Mendykara"),
        ("nauyrzym", "Науырзым", "Наурзумский район", "Nauyrzym"),
        ("sarykol", "Сарыкөл", "Сарыкольский район", "Sarykol"),
        ("uzunkol", "Ұзынкөл", "Узункольский район", "Uzunkol"),
        ("fedorov", "Федоров", "Федоровский район", "Fedorov"),
    ], [
        ("kostanay", "Қостанай", "Костанай", "Kostanay"),
        ("arkalyk", "Арқалық", "Аркалык", "Arkalyk"),
        ("lisakovsk", "Лисаков", "Лисаковск", "Lisakovsk"),
        ("rudny", "Рудный", "Рудный", "Rudny"),
    ]),
    _region("kyzylorda", "Қызылорда", "Кызылординская область", "Kyzylorda", [
        ("aral", "Арал", "Аральский район", "Aral"),
        ("zhalagash", "Жалағаш", "Жалагашский район", "Zhalagash"),
        ("zhanakorgan", "Жаңақорған", "Жанакорганский район", "Zhanakorgan"),
        ("kazaly", "Қазалы", "Казалинский район", "Kazaly"),
        ("karmakshy", "Қармақшы", "Кармакшинский район", "Karmakshy"),
        ("syrdariya", "Сырдария", "Сырдарьинский район", "Syrdariya"),
        ("shieli", "Шиелі", "Шиелийский район", "Shieli"),
    ], [
        ("kyzylorda", "Қызылорда", "Кызылорда", "Kyzylorda"),
    ]),
    _region("mangystau", "Маңғыстау", "Мангистауская область", "Mangystau", [
        ("beineu", "Бейнеу", "Бейнеуский район", "Beineu"),
        ("karakiya", "Қарақия", "Каракиянский район", "Karakiya"),
        ("mangystau", "Маңғыстау", "Мангистауский район", "Mangystau"),
        ("munaily", "Мұнайлы", "Мунайлинский район", "Munaily"),
        ("tupkaragan", "Түпқараған", "Тупкараганский район", "Tupkaragan"),
    ], [
        ("aktau", "Ақтау", "Актау", "Aktau"),
        ("zhanaozen", "Жаңаөзен", "Жанаозен", "Zhanaozen"),
    ]),
    _region("north-kazakhstan", "Солтүстік Қазақстан", "Северо-Казахстанская область", "North Kazakhstan", [
        ("aiyrtau", "Айыртау", "Айыртауский район", "Aiyrtau"),
        ("akzhar", "Ақжар", "Акжарский район", "Akzhar"),
        ("akkayin", "Аққайың", "Аккайынский район", "Akkayin"),
        ("esil", "Есіл", "Есильский район", "Esil"),
        ("gabit-musrepov", "Ғабит Мүсірепов", "район имени Габита Мусрепова", "Gabit Musrepov"),
        ("zhambyl", "Жамбыл", "Жамбылский район", "Zhambyl"),
        ("kyzylzhar", "Қызылжар", "Кызылжарский район", "Kyzylzhar"),
        ("magzhan-zhumabaev", "Мағжан Жұмабаев", "район Магжана Жумабаева", "Magzhan Zhumabaev"),
        ("mamlyut", "Мамлют", "Мамлютский район", "Mamlyut"),
        ("taiynsha", "Тайынша", "Тайыншинский район", "Taiynsha"),
        ("timiryazev", "Тимирязев", "Тимирязевский район", "Timiryazev"),
        ("ualikhanov", "Уәлиханов", "Уалихановский район", "Ualikhanov"),
        ("shal-akyn", "Шал ақын", "район Шал акына", "Shal Akyn"),
    ], [
        ("petropavl", "Петропавл", "Петропавловск", "Petropavl"),
    ]),
    _region("pavlodar", "Павлодар", "Павлодарская область", "Pavlodar", [
        ("akkuly", "Аққулы", "Аккулинский район", "Akkuly"),
        ("aktogay", "Ақтоғай", "Актогайский район", "Aktogay"),
        ("bayanaul", "Баянауыл", "Баянаульский район", "Bayanaul"),
        ("zhelezin", "Железин", "Железинский район", "Zhelezin"),
        ("irtysh", "Ертіс", "Иртышский район", "Irtysh"),
        ("terenkol", "Тереңкөл", "Теренкольский район", "Terenkol"),
        ("may", "Май", "Майский район", "May"),
        ("pavlodar", "Павлодар", "Павлодарский район", "Pavlodar"),
        ("uspen", "Успен", "Успенский район", "Uspen"),
        ("sharbakty", "Шарбақты", "Щербактинский район", "Sharbakty"),
    ], [
        ("pavlodar", "Павлодар", "Павлодар", "Pavlodar"),
        ("aksu", "Ақсу", "Аксу", "Aksu"),
        ("ekibastuz", "Екібастұз", "Экибастуз", "Ekibastuz"),
    ]),
    _region("turkestan", "Түркістан", "Туркестанская область", "Turkestan", [
        ("baidibek", "Бәйдібек", "Байдибекский район", "Baidibek"),
        ("zhetisay", "Жетісай", "Жетысайский район", "Zhetisay"),
        ("kazygurt", "Қазығұрт", "Казыгуртский район", "Kazygurt"),
        ("keles", "Келес", "Келесский район", "Keles"),
        ("maktaaral", "Мақтаарал", "Мактааральский район", "Maktaaral"),
        ("ordabasy", "Ордабасы", "Ордабасинский район", "Ordabasy"),
        ("otyrar", "Отырар", "Отырарский район", "Otyrar"),
        ("sairam", "Сайрам", "Сайрамский район", "Sairam"),
        ("saryagash", "Сарыағаш", "Сарыагашский район", "Saryagash"),
        ("sauran", "Сауран", "Сауранский район", "Sauran"),
        ("sozak", "Созақ", "Сузакский район", "Sozak"),
        ("tole-bi", "Төле би", "Толебийский район", "Tole Bi"),
        ("tulkibas", "Түлкібас", "Тюлькубасский район", "Tulkibas"),
        ("shardara", "Шардара", "Шардаринский район", "Shardara"),
    ], [
        ("turkestan", "Түркістан", "Туркестан", "Turkestan"),
        ("kentau", "Кентау", "Кентау", "Kentau"),
        ("arys", "Арыс", "Арыс", "Arys"),
    ]),
    _region("ulytau", "Ұлытау", "область Улытау", "Ulytau", [
        ("ulytau", "Ұлытау", "Улытауский район", "Ulytau"),
        ("zhanaarka", "Жаңаарқа", "Жанааркинский район", "Zhanaarka"),
    ], [
        ("zhezkazgan", "Жезқазған", "Жезказган", "Zhezkazgan"),
        ("karazhal", "Қаражал", "Каражал", "Karazhal"),
        ("satbayev", "Сәтбаев", "Сатпаев", "Satbayev"),
    ]),
    _region("west-kazakhstan", "Батыс Қазақстан", "Западно-Казахстанская область", "West Kazakhstan", [
        ("akzhaik", "Ақжайық", "Акжаикский район", "Akzhaik"),
        ("baiterek", "Бәйтерек", "Байтерекский район", "Baiterek"),
        ("bokey-orda", "Бөкей ордасы", "Бокейординский район", "Bokey Orda"),
        ("burli", "Бөрлі", "Бурлинский район", "Burli"),
        ("zhangala", "Жаңақала", "Жангалинский район", "Zhangala"),
        ("zhanibek", "Жәнібек", "Жанибекский район", "Zhanibek"),
        ("kaztalov", "Қазталов", "Казталовский район", "Kaztalov"),
        ("karatobe", "Қаратөбе", "Каратобинский район", "Karatobe"),
        ("syrym", "Сырым", "Сырымский район", "Syrym"),
        ("taskala", "Тасқала", "Таскалинский район", "Taskala"),
        ("terekti", "Теректі", "Теректинский район", "Terekti"),
        ("shyngyrlau", "Шыңғырлау", "Чингирлауский район", "Shyngyrlau"),
    ], [
        ("oral", "Орал", "Уральск", "Oral"),
    ]),
)

# Regions whose district list is known to lack an entry (left out rather than guessed).
INCOMPLETE_REGIONS: frozenset[str] = frozenset({"jetisu"})

_REGION_BY_CODE = {r.code: r for r in _REGIONS}
_DISTRICT_BY_CODE = {d.code: d for r in _REGIONS for d in r.districts}


def all_regions() -> tuple[Region, ...]:
    """Every region and city of republican significance, cities first, in a stable order."""
    return _REGIONS


def all_districts() -> tuple[District, ...]:
    """Every district of every region, in region order."""
    return tuple(_DISTRICT_BY_CODE.values())


def region_by_code(code: str) -> Region:
    """The region with this code; raises ``UnknownRegion`` (a NotFound) for any other text."""
    try:
        return _REGION_BY_CODE[code]
    except KeyError:
        raise UnknownRegion(region_code=code) from None


def district_by_code(code: str) -> District:
    """The district with this code; raises ``UnknownDistrict`` (a NotFound) for any other text."""
    try:
        return _DISTRICT_BY_CODE[code]
    except KeyError:
        raise UnknownDistrict(district_code=code) from None
