"""``kezek demo``: seed an Astana-like city with providers, groups, a synthetic registry and staff accounts.

The registry goes through ``generate_registry`` and ``registry_import``, the same path as a real extract.
Running it again changes nothing: an earlier ``demo.seed`` audit event means the demo is already there.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from kezek.accounts.models import Role, User
from kezek.audit.models import AuditEvent
from kezek.audit.services import audit_record
from kezek.domain.bin import build_bin
from kezek.domain.synthetic_registry import generate_registry
from kezek.geo.models import District, Region
from kezek.organisations.models import Group, Language, Organisation
from kezek.people.models import Person
from kezek.people.services import registry_import, registry_write

SEED = 20261123
ASTANA_DISTRICTS = (
    ("astana-almaty", "Алматы ауданы", "район Алматы", "Almaty district"),
    ("astana-baikonur", "Байқоңыр ауданы", "район Байконур", "Baikonur district"),
    ("astana-yesil", "Есіл ауданы", "район Есиль", "Yesil district"),
    ("astana-saryarka", "Сарыарқа ауданы", "район Сарыарка", "Saryarka district"),
    ("astana-nura", "Нұра ауданы", "район Нура", "Nura district"),
)
STREETS = (
    "пр. Кабанбай батыра",
    "пр. Туран",
    "пр. Мангилик Ел",
    "ул. Кенесары",
    "пр. Республики",
    "ул. Сыганак",
    "ул. Достык",
    "пр. Абая",
    "ул. Бейбитшилик",
    "пр. Сарыарка",
    "ул. Акмешит",
    "ул. Жубанова",
)
KINDERGARTEN_NAMES = (
    "Айгөлек", "Балапан", "Күншуақ", "Ботақан", "Еркетай", "Шаттық", "Қызғалдақ", "Бөбек", "Жұлдыз", "Алтын бесік",
    "Солнышко", "Радуга", "Колокольчик", "Теремок", "Аққу", "Нұрбақыт",
)
# (kind, youngest and oldest age in months, Kazakh-style group name)
KINDERGARTEN_GROUPS = (
    (Group.Kind.NURSERY, 12, 23, "Бөбектер"),
    (Group.Kind.JUNIOR, 24, 35, "Балапандар"),
    (Group.Kind.MIDDLE, 36, 47, "Күншуақ"),
    (Group.Kind.SENIOR, 48, 59, "Жұлдызшалар"),
    (Group.Kind.PRESCHOOL, 60, 83, "Мектепалды"),
)
CLUB_NAMES = (
    "Центр творчества «Өнер»", "Спортивный клуб «Барыс»", "Школа робототехники «RoboKid»", "Музыкальная студия «Домбыра»",
    "Языковой центр «Lingua»", "Клуб юных исследователей «Зерде»", "Шахматная школа «Гамбит»", "Студия танца «Айгерим»",
)
# (kind, section names, youngest and oldest age in years)
SECTIONS = (
    (Group.Kind.SPORT, ("Футбол", "Дзюдо", "Плавание", "Қазақ күресі", "Шахматы"), 5, 17),
    (Group.Kind.ARTS, ("Рисование", "Керамика", "Театральная студия", "Бальные танцы"), 4, 14),
    (Group.Kind.MUSIC, ("Домбра", "Фортепиано", "Вокал", "Гитара"), 6, 17),
    (Group.Kind.TECHNOLOGY, ("Робототехника", "Программирование", "3D-моделирование"), 7, 17),
    (Group.Kind.LANGUAGES, ("Английский язык", "Казахский язык для детей", "Китайский язык"), 5, 17),
    (Group.Kind.SCIENCE, ("Юный химик", "Астрономия", "Экология"), 8, 17),
)
DEMO_PASSWORD = "kezek-demo-2026"


class Command(BaseCommand):
    help = "Seed a demo city (Astana): kindergartens, clubs, a synthetic registry and staff accounts. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, default=20_000, help="Registry families (default 20000)")
        parser.add_argument("--kindergartens", type=int, default=60)
        parser.add_argument("--groups", type=int, default=300, help="Kindergarten groups in all")
        parser.add_argument("--providers", type=int, default=40, help="Club providers")
        parser.add_argument("--sections", type=int, default=200, help="Club sections in all")
        parser.add_argument("--seed", type=int, default=SEED)

    def handle(self, *args, families, kindergartens, groups, providers, sections, seed, **options):
        if min(families, kindergartens, groups, providers, sections) < 0 or families < 2:
            raise CommandError("Sizes must not be negative, and the registry needs at least 2 families.")
        if AuditEvent.objects.filter(action="demo.seed").exists():
            self.stdout.write("Demo data is already present: nothing was changed.")
            self.attendance_and_phantoms(random.Random(seed))
            self.print_sign_in(self.demo_parents())
            return
        rng = random.Random(seed)
        started = timezone.now()
        with transaction.atomic():
            districts = self.districts()
            orgs = self.organisations(rng, districts, kindergartens, providers)
            group_count = self.groups(rng, orgs, groups, sections)
            persons = self.registry(families, seed, districts)
            self.staff(districts, orgs)
            audit_record(
                actor=None,
                action="demo.seed",
                object_type="core.demo",
                object_id="astana",
                after={"organisations": len(orgs), "groups": group_count, "persons": persons, "seed": seed},
            )
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"Demo city seeded in {seconds:.0f} s: {len(orgs)} providers, {group_count} groups and sections, "
            f"{persons} persons in the registry."
        )
        self.attendance_and_phantoms(random.Random(seed))
        self.print_sign_in(self.demo_parents())

    # --- attendance and planted phantoms (issue 6) ------------------------------------------------
    def attendance_and_phantoms(self, rng) -> None:
        """A month of sessions and marks with a few planted phantoms, then the integrity scan that finds them."""
        from kezek.integrity.demo import seed_demo_attendance
        from kezek.integrity.services.scan import integrity_scan

        summary = seed_demo_attendance(rng=rng)
        if summary is None:
            return
        result = integrity_scan()
        found = ", ".join(f"{kind} {count}" for kind, count in sorted(result.found.items())) or "nothing"
        self.stdout.write(
            f"A month of attendance: {summary['enrolments']} kindergarten children, {summary['vouchers']} club vouchers, "
            f"{summary['marks']} marks. The integrity scan found: {found}; {result.suspended} places suspended."
        )

    # --- geography -----------------------------------------------------------------------------
    def districts(self) -> list[District]:
        found = {d.code: d for d in District.objects.filter(code__in=[c for c, *_ in ASTANA_DISTRICTS])}
        if len(found) < len(ASTANA_DISTRICTS):
            # The geo data migration normally loads these; a bare database still gets a working demo.
            region, _ = Region.objects.get_or_create(
                code="astana", defaults={"kind": Region.Kind.CITY, "name_kk": "Астана", "name_ru": "Астана", "name_en": "Astana"}
            )
            for code, kk, ru, en in ASTANA_DISTRICTS:
                if code not in found:
                    found[code] = District.objects.create(region=region, code=code, name_kk=kk, name_ru=ru, name_en=en)
        return [found[code] for code, *_ in ASTANA_DISTRICTS]

    # --- providers -----------------------------------------------------------------------------
    def bins(self, count: int) -> list[str]:
        used = set(Organisation.objects.values_list("bin", flat=True))
        found, serial = [], 0
        while len(found) < count:
            # YYMM of registration, 4 = resident legal entity, 0 = head office, then a serial.
            value = build_bin(f"{1001 + serial % 12:04d}40{serial:05d}")
            serial += 1
            if value and value not in used:
                found.append(value)
        return found

    def organisations(self, rng, districts, kindergartens: int, providers: int) -> list[Organisation]:
        bins = self.bins(kindergartens + providers)
        orgs = []
        for i in range(kindergartens):
            state = i % 3 != 2
            name = f"Ясли-сад №{i + 1} «{KINDERGARTEN_NAMES[i % len(KINDERGARTEN_NAMES)]}»"
            orgs.append(self.org(rng, Organisation.Kind.KINDERGARTEN, state, (name if state else f"ТОО {name}"), bins[i], districts[i % len(districts)]))
        for i in range(providers):
            name = f"{CLUB_NAMES[i % len(CLUB_NAMES)]} №{i // len(CLUB_NAMES) + 1}"
            orgs.append(self.org(rng, Organisation.Kind.CLUB, i % 2 == 0, name, bins[kindergartens + i], districts[i % len(districts)]))
        Organisation.objects.bulk_create(orgs)
        return list(Organisation.objects.filter(bin__in=bins).order_by("kind", "id"))

    def org(self, rng, kind, state: bool, name: str, bin_value: str, district) -> Organisation:
        return Organisation(
            kind=kind,
            ownership=Organisation.Ownership.STATE if state else Organisation.Ownership.PRIVATE,
            name=name,
            bin=bin_value,
            district=district,
            address=f"г. Астана, {rng.choice(STREETS)}, {rng.randint(1, 120)}",
            languages=["kk", "ru"],
            status=Organisation.Status.APPROVED,
        )

    def groups(self, rng, orgs, kindergarten_groups: int, sections: int) -> int:
        gardens = [o for o in orgs if o.kind == Organisation.Kind.KINDERGARTEN]
        clubs = [o for o in orgs if o.kind == Organisation.Kind.CLUB]
        rows = []
        for i in range(kindergarten_groups if gardens else 0):
            kind, youngest, oldest, title = KINDERGARTEN_GROUPS[i % len(KINDERGARTEN_GROUPS)]
            language = Language.KAZAKH if (i // len(KINDERGARTEN_GROUPS)) % 3 else Language.RUSSIAN
            rows.append(
                Group(
                    organisation=gardens[(i // len(KINDERGARTEN_GROUPS)) % len(gardens)],
                    name=f"{title} ({language})",
                    kind=kind,
                    age_min_months=youngest,
                    age_max_months=oldest,
                    language=language,
                    capacity=rng.randint(15, 25),
                )
            )
        for i in range(sections if clubs else 0):
            kind, names, youngest, oldest = SECTIONS[i % len(SECTIONS)]
            low = rng.randint(youngest, max(youngest, oldest - 4))
            rows.append(
                Group(
                    organisation=clubs[i % len(clubs)],
                    name=f"{rng.choice(names)}, {low}–{min(oldest, low + 5)} лет",
                    kind=kind,
                    age_min_months=low * 12,
                    age_max_months=min(oldest, low + 5) * 12 + 11,
                    language=rng.choice((Language.KAZAKH, Language.RUSSIAN)),
                    capacity=rng.randint(10, 30),
                )
            )
        Group.objects.bulk_create(rows, batch_size=500)
        return len(rows)

    # --- registry ------------------------------------------------------------------------------
    def registry(self, families: int, seed: int, districts) -> int:
        records = generate_registry(
            families=families, seed=seed, reference_date=timezone.localdate(), district_codes=[d.code for d in districts]
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo-registry.json"
            registry_write(path=path, records=records)
            report = registry_import(path=path)
        if not report.applied:
            raise CommandError(f"The generated registry was rejected: {report.rejected[:3]}")
        return report.accepted

    # --- accounts ------------------------------------------------------------------------------
    def staff(self, districts, orgs) -> None:
        # One hash for the shared demo password: hashing is deliberately slow, and every account uses it.
        password = make_password(DEMO_PASSWORD)
        users = [User(username="admin", display_name="Demo administrator", role=Role.ADMIN, is_staff=True, is_superuser=True)]
        for district in districts:
            short = district.code.removeprefix("astana-")
            users.append(
                User(
                    username=f"officer-{short}",
                    display_name=f"Officer, {district.name_ru}",
                    role=Role.OFFICER,
                    district=district,
                    is_staff=True,
                )
            )
        first_garden = next((o for o in orgs if o.kind == Organisation.Kind.KINDERGARTEN), None)
        first_club = next((o for o in orgs if o.kind == Organisation.Kind.CLUB), None)
        for login, org in (("kindergarten-staff", first_garden), ("club-staff", first_club)):
            if org is not None:
                users.append(User(username=login, display_name=f"Staff, {org.name}", role=Role.PROVIDER_STAFF, organisation=org, is_staff=True))
        taken = set(User.objects.filter(username__in=[u.username for u in users]).values_list("username", flat=True))
        for user in users:
            user.password = password
        User.objects.bulk_create([u for u in users if u.username not in taken])

    def demo_parents(self) -> list[tuple[Person, list[Person]]]:
        """Two adults with a phone and young children: one for the kindergarten queue, one for clubs."""
        today = timezone.localdate()
        picks: list[tuple[Person, list[Person]]] = []
        wanted = ((0, 5), (5, 12))
        candidates = Person.objects.exclude(phone="").filter(represented_links__isnull=False).distinct().order_by("id")[:500]
        for low, high in wanted:
            for adult in candidates:
                children = [link.child for link in adult.represented_links.select_related("child")]
                ages = [(today - c.birth_date).days // 365 for c in children]
                taken = {c.pk for _, kids in picks for c in kids}
                if any(low <= a <= high for a in ages) and not taken & {c.pk for c in children}:
                    picks.append((adult, children))
                    break
        return picks

    def print_sign_in(self, parents) -> None:
        out = self.stdout.write
        out("")
        out("Staff sign-in (back office); every password is " + DEMO_PASSWORD)
        for user in User.objects.filter(is_staff=True, username__in=self.staff_logins()).order_by("role", "username"):
            scope = user.district.name_ru if user.district_id else (user.organisation.name if user.organisation_id else "all")
            out(f"  {user.username:<22} {user.get_role_display():<30} {scope}")
        out("")
        out("Parents sign in with their phone number; the SMS code is printed by the worker in this terminal.")
        if settings.KEZEK_SMS_BACKEND == "file":
            out(f"  (With KEZEK_SMS_BACKEND=file, as now, the worker writes each SMS to {settings.KEZEK_SMS_FILE_PATH}.)")
        for adult, children in parents:
            kids = ", ".join(f"{c.first_name} ({c.birth_date:%d.%m.%Y})" for c in children)
            out(f"  {adult.phone}  {adult.full_name}; children: {kids}")

    def staff_logins(self) -> list[str]:
        return ["admin", "kindergarten-staff", "club-staff", *(f"officer-{c.removeprefix('astana-')}" for c, *_ in ASTANA_DISTRICTS)]
