"""Where an application stands in the queue, why it moved, and the queue as officers see it.

Every number is a COUNT over ``application_queue_order_idx`` (district, age_group, status, priority_class,
registered_at, id): "ahead of me" is the row comparison (class, registered_at, id) < mine inside my
district and age group, which PostgreSQL answers as one index range. No queue rows are loaded.
Per kindergarten, the same COUNT runs over ``preference_queue_order_idx`` on the preference rows' copies
of those keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, require_district
from kezek.applications.errors import ApplicationNotFound
from kezek.applications.models import Application, ApplicationEvent, ApplicationPreference
from kezek.applications.selectors.rules import queue_rules_for
from kezek.domain.queue import PriorityClass
from kezek.domain.rotation import RotationExplanation, explain_rotation, other_class_places_before_turn
from kezek.domain.iin import mask_iin

ACTIVE = Application.Status.ACTIVE
LEFT_QUEUE = sorted(s for s in Application.Status.values if s != ACTIVE)


@dataclass(frozen=True)
class KindergartenPosition:
    """The application's place among the applicants of its district and age group who chose this kindergarten."""

    organisation: Any
    rank: int
    position: int | None

    @property
    def ahead(self) -> int | None:
        return None if self.position is None else self.position - 1


@dataclass(frozen=True)
class Position:
    """Everything the position page and API show; ``position`` is None when the application is not in the queue."""

    application_id: int
    queue_number: int
    public_id: str
    status: str
    priority_class: int
    registered_at: dt.datetime
    position: int | None
    ahead_by_class: dict[int, int]
    per_kindergarten: list[KindergartenPosition]
    rotation: RotationExplanation | None
    last_allocation_offered: int | None

    @property
    def in_queue(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the application's history: its own event, or a day's count of other children's moves."""

    date: dt.date
    kind: str
    text: str
    occurred_at: dt.datetime | None = None
    count: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def derived(self) -> bool:
        return self.count is not None


# --- the queue order ----------------------------------------------------------------------------


def _queue(*, district_id: int, age_group: int) -> QuerySet[Application]:
    return Application.objects.filter(district_id=district_id, age_group=age_group, status=ACTIVE)


def _ahead_of(app: Application, tie_break: str = "id") -> TupleLessThan:
    # One row comparison rather than three OR-ed conditions, so that the index serves it as a range.
    # ``tie_break`` names the application's id column: "id" on applications, "application_id" on preferences.
    columns = Tuple(F("priority_class"), F("registered_at"), F(tie_break))
    return TupleLessThan(columns, (app.priority_class, app.registered_at, app.pk))


def queue_ahead_by_class(*, application: Application) -> dict[int, int]:
    """How many active applications of the same district and age group stand ahead, per class (one grouped COUNT)."""
    rows = (
        _queue(district_id=application.district_id, age_group=application.age_group)
        .filter(_ahead_of(application))
        .values("priority_class")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {int(c): 0 for c in PriorityClass}
    counts.update({row["priority_class"]: row["n"] for row in rows})
    return counts


def queue_ahead_count(*, application: Application) -> int:
    """How many active applications of the same district and age group stand ahead of this one."""
    return (
        _queue(district_id=application.district_id, age_group=application.age_group)
        .filter(_ahead_of(application))
        .count()
    )


def _general_waiting(*, application: Application, up_to: int) -> int:
    # Counting stops at ``up_to``: the rotation needs no more, and the index range stays short.
    if up_to <= 0:
        return 0
    general = _queue(district_id=application.district_id, age_group=application.age_group).filter(
        priority_class=PriorityClass.GENERAL
    )
    return general.order_by("priority_class", "registered_at", "id")[:up_to].count()


def _per_kindergarten(application: Application) -> list[KindergartenPosition]:
    preferences = list(application.preferences.select_related("organisation").order_by("rank"))
    if not preferences or application.status != ACTIVE:
        return [KindergartenPosition(organisation=p.organisation, rank=p.rank, position=None) for p in preferences]
    # The preference rows carry copies of their applications' queue-order keys (services.queue_keys), so each
    # kindergarten's "ahead of me" is one range of preference_queue_order_idx: no join, no table rows read.
    ahead = dict(
        ApplicationPreference.objects.filter(
            organisation_id__in=[p.organisation_id for p in preferences],
            district_id=application.district_id,
            age_group=application.age_group,
            status=ACTIVE,
        )
        .filter(_ahead_of(application, tie_break="application_id"))
        .values("organisation_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("organisation_id", "n")
    )
    return [
        KindergartenPosition(organisation=p.organisation, rank=p.rank, position=ahead.get(p.organisation_id, 0) + 1)
        for p in preferences
    ]


def last_allocation_offered(*, application: Application) -> int | None:
    """Places offered to this age group in the district's last allocation round: None until allocation rounds exist (issue 4)."""
    return None


def application_position(*, application: Application) -> Position:
    """The application's place in its district and age group (rule: class, then registration time, then queue number)."""
    in_queue = application.status == ACTIVE
    ahead = queue_ahead_by_class(application=application) if in_queue else {int(c): 0 for c in PriorityClass}
    rotation = None
    if in_queue:
        rules = queue_rules_for(region_id=application.district.region_id)
        first, general = rules.rotation_first_priority, rules.rotation_general
        # The other rotating class: every first-priority child is ahead of a general one; general children are
        # never ahead of a first-priority one but share the places with it.
        if application.priority_class == PriorityClass.FIRST:
            needed = other_class_places_before_turn(
                my_class=PriorityClass.FIRST, ahead_same_class=ahead[PriorityClass.FIRST], first=first, general=general
            )
            other = _general_waiting(application=application, up_to=needed)
        else:
            other = ahead[PriorityClass.FIRST]
        rotation = explain_rotation(
            first=first, general=general, my_class=application.priority_class, ahead_by_class=ahead, other_class_waiting=other,
        )
    return Position(
        application_id=application.pk,
        queue_number=application.queue_number,
        public_id=application.public_id,
        status=application.status,
        priority_class=application.priority_class,
        registered_at=application.registered_at,
        position=sum(ahead.values()) + 1 if in_queue else None,
        ahead_by_class=ahead,
        per_kindergarten=_per_kindergarten(application),
        rotation=rotation,
        last_allocation_offered=last_allocation_offered(application=application),
    )


def position_explanation(*, position: Position) -> list[str]:
    """The position page's sentences: the queue order, the rotation rule, and what they mean for this child."""
    rotation = position.rotation
    if rotation is None or position.position is None:
        return [gettext("The application is not in the queue now, so it has no position.")]
    ahead = position.ahead_by_class
    sentences = [
        ngettext(
            "Position %(position)d: %(ahead)d child stands ahead of yours in your district and age group.",
            "Position %(position)d: %(ahead)d children stand ahead of yours in your district and age group.",
            position.position - 1,
        ) % {"position": position.position, "ahead": position.position - 1},
        gettext(
            "Ahead of you: %(extraordinary)d with an extraordinary right, %(first)d with a first-priority right, "
            "%(general)d in the general queue."
        ) % {"extraordinary": ahead.get(0, 0), "first": ahead.get(1, 0), "general": ahead.get(2, 0)},
    ]
    if rotation.rotates:
        sentences.append(
            gettext(
                "Children with an extraordinary right are offered places first. After them, places are offered in turns: "
                "%(first)d to the first-priority queue, then %(general)d to the general queue, and again."
            ) % {"first": rotation.first, "general": rotation.general}
        )
    else:
        sentences.append(
            gettext("Places are offered by class: extraordinary right, then first-priority right, then the general queue.")
        )
    sentences.append(
        ngettext(
            "If nobody new joins ahead, your child's turn comes when %(places)d place is offered in your age group.",
            "If nobody new joins ahead, your child's turn comes when %(places)d places are offered in your age group.",
            rotation.places_until_turn,
        ) % {"places": rotation.places_until_turn}
    )
    return sentences


# --- the history ------------------------------------------------------------------------------


def _class_name(value: Any) -> str:
    try:
        return str(Application.Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


def _event_text(event: ApplicationEvent) -> str:
    d = event.details or {}
    kind = ApplicationEvent.Kind
    texts = {
        kind.SUBMITTED: lambda: gettext("Your application was registered with queue number %(number)s.")
        % {"number": d.get("queue_number", event.application_id)},
        kind.CONTACTS_CHANGED: lambda: gettext("You changed your contact details."),
        kind.PREFERENCES_CHANGED: lambda: gettext("You changed your kindergartens."),
        kind.CLAIM_ADDED: lambda: gettext("You claimed a benefit right; it counts once it is confirmed."),
        kind.CLAIM_VERIFIED: lambda: gettext("Your benefit right was verified."),
        kind.CLAIM_REJECTED: lambda: gettext("Your benefit right was rejected."),
        kind.CLAIM_FALSE: lambda: gettext(
            "Your benefit right was found false: the application is back in the general queue with its original registration time."
        ),
        kind.CLAIM_EXPIRED: lambda: gettext(
            "Your extraordinary right was not confirmed in time: the application is in the general queue with its original registration time."
        ),
        kind.CLASS_CHANGED: lambda: gettext("Your place in the queue now counts as: %(to)s (before: %(from)s).")
        % {"to": _class_name(d.get("to")), "from": _class_name(d.get("from"))},
        kind.WITHDRAWN: lambda: gettext("You withdrew the application."),
        kind.STATUS_CHANGED: lambda: gettext("The application's status changed."),
    }
    text = texts.get(event.kind)
    return text() if text else str(event.get_kind_display())


def _own_entries(application: Application) -> list[HistoryEntry]:
    tz = timezone.get_current_timezone()
    return [
        HistoryEntry(
            date=timezone.localtime(e.occurred_at, tz).date(), kind=e.kind, text=_event_text(e),
            occurred_at=e.occurred_at, details=dict(e.details or {}),
        )
        for e in application.events.all().order_by("occurred_at", "id")
    ]


def _daily_counts(qs: QuerySet[Application], moment: str, application: Application) -> list[dict[str, Any]]:
    qs = qs.filter(**{f"{moment}__gt": application.registered_at})
    if application.status != ACTIVE:
        # Other children's moves matter only while this application was in the queue.
        qs = qs.filter(**{f"{moment}__lte": application.status_changed_at})
    return list(
        qs.annotate(day=TruncDate(moment)).values("day").annotate(n=Count("id"), last=Max(moment)).order_by()
    )


def _priority_arrivals(application: Application) -> list[HistoryEntry]:
    # Children who stand ahead because of a priority right they registered with, or got, after this one
    # registered: a better class, or the same priority class with an earlier registration time.
    same_class_earlier = Q(
        priority_class=application.priority_class,
        priority_class__lt=PriorityClass.GENERAL,
        registered_at__lt=application.registered_at,
    )
    qs = _queue(district_id=application.district_id, age_group=application.age_group).filter(
        Q(priority_class__lt=application.priority_class) | same_class_earlier
    )
    return _daily_entries(
        qs, "priority_since", application, kind="priority_ahead",
        text=lambda n: ngettext(
            "%(count)d child with a priority right registered and stands ahead of you.",
            "%(count)d children with priority rights registered and stand ahead of you.",
            n,
        ),
    )


def _departures(application: Application) -> list[HistoryEntry]:
    # Children who were ahead of this one (by the queue order) and have since left the active queue.
    qs = (
        Application.objects.filter(
            # The statuses listed rather than "not active", so that the queue-order index serves the filter.
            district_id=application.district_id, age_group=application.age_group, status__in=LEFT_QUEUE,
        )
        .exclude(pk=application.pk)
        .filter(_ahead_of(application))
    )
    return _daily_entries(
        qs, "status_changed_at", application, kind="ahead_left",
        text=lambda n: ngettext(
            "%(count)d child ahead of you left the queue.", "%(count)d children ahead of you left the queue.", n
        ),
    )


def _daily_entries(
    qs: QuerySet, time_field: str, application: Application, *, kind: str, text: Callable[[int], str]
) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            date=row["day"], kind=kind, count=row["n"], occurred_at=row["last"],
            text=text(row["n"]) % {"count": row["n"]}, details={"count": row["n"]},
        )
        for row in _daily_counts(qs, time_field, application)
    ]


def application_history(*, application: Application) -> list[HistoryEntry]:
    """Every change of the application's position with its reason: its own events and other children's moves, newest first."""
    entries = _own_entries(application) + _priority_arrivals(application) + _departures(application)
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(entries, key=lambda e: (e.date, e.occurred_at or never), reverse=True)


# --- who may look --------------------------------------------------------------------------------


def application_for_viewer(*, user: Any, application_id: int) -> Application:
    """The application if the user filed it or is staff of its district; otherwise NotFound (no information leak)."""
    application = (
        Application.objects.select_related("district").filter(pk=application_id).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if application is None:
        raise ApplicationNotFound()
    if application.applicant_id == user.pk:
        return application
    scope = district_scope(user)
    if scope is None or (user.role == Role.OFFICER and application.district_id in scope):
        return application
    raise ApplicationNotFound()


# --- the officers' queue view ---------------------------------------------------------------------


def queue_for_officer(
    *,
    user: Any,
    district_id: int,
    age_group: int | None = None,
    priority_class: int | None = None,
    status: str | None = ACTIVE,
    query: str = "",
) -> QuerySet[Application]:
    """The district's queue in queue order with the officer's filters (rule: officers see only their district)."""
    require_district(user, district_id)
    first_choice = ApplicationPreference.objects.filter(application=OuterRef("pk"), rank=1)
    qs = (
        Application.objects.filter(district_id=district_id)
        .select_related("child")
        .annotate(first_choice_name=Subquery(first_choice.values("organisation__name")[:1]))
        .order_by("age_group", "priority_class", "registered_at", "id")
    )
    if age_group is not None:
        qs = qs.filter(age_group=age_group)
    if priority_class is not None:
        qs = qs.filter(priority_class=priority_class)
    if status:
        qs = qs.filter(status=status)
    query = (query or "").strip()
    if query:
        match = Q(public_id__iexact=query)
        if query.isdigit() and len(query) == 12:
            match |= Q(child__iin=query)
        elif query.isdigit() and len(query) <= 15:  # a queue number; longer digit strings fit no bigint
            match |= Q(pk=int(query))
        qs = qs.filter(match)
    return qs


def queue_positions(rows: Iterable[Application], *, contiguous: bool) -> Iterator[tuple[Application, int | None]]:
    """Pair rows (in queue order) with their positions in their age group's active queue.

    ``contiguous``: the rows of each age group are an unbroken stretch of its active queue (no search filter),
    so one COUNT per age group suffices and the rest is counting along. Otherwise one COUNT per active row.
    """
    group, next_position = None, None
    for app in rows:
        if app.status != ACTIVE:
            yield app, None
            continue
        key = (app.district_id, app.age_group)
        if not contiguous or key != group:
            group, next_position = key, queue_ahead_count(application=app) + 1
        yield app, next_position
        next_position += 1


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


CSV_HEADER = ("position", "queue_number", "public_id", "child_iin", "priority_class", "registered_at", "status", "first_choice")


def queue_csv_rows(
    *,
    user: Any,
    district_id: int,
    age_group: int | None = None,
    priority_class: int | None = None,
    status: str | None = ACTIVE,
    query: str = "",
) -> Iterator[list[str]]:
    """The filtered queue as CSV rows (header first), read from the database in chunks, never all at once."""
    qs = queue_for_officer(
        user=user, district_id=district_id, age_group=age_group, priority_class=priority_class, status=status, query=query
    )
    yield list(CSV_HEADER)
    for app, position in queue_positions(qs.iterator(chunk_size=2000), contiguous=not query.strip()):
        yield [
            "" if position is None else str(position),
            str(app.queue_number),
            app.public_id,
            mask_iin(app.child.iin),
            str(app.priority_class),
            _local(app.registered_at),
            app.status,
            app.first_choice_name or "",
        ]
