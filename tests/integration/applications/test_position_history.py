"""Position history: the application's own events and other children's moves, grouped by day, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from kezek.applications.models import Application, ApplicationEvent
from kezek.applications.selectors.position import application_history
from tests.factories.applications import make_application
from tests.factories.geo import district

pytestmark = pytest.mark.django_db

# Noon local time, so that minutes either side stay on the same local day.
T0 = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) - dt.timedelta(days=20)


def at(days: int, minutes: int = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, minutes=minutes)


def app(when: dt.datetime, klass: int = 2, **kwargs) -> Application:
    kwargs.setdefault("age_group", 2022)
    return make_application(registered_at=when, priority_class=klass, **kwargs)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def derived(history, kind):
    return [(e.date, e.count) for e in history if e.kind == kind]


def test_own_events_with_reasons_newest_first():
    mine = app(at(0), with_event=True)
    ApplicationEvent.objects.create(application=mine, kind=ApplicationEvent.Kind.PREFERENCES_CHANGED, occurred_at=at(2))
    ApplicationEvent.objects.create(application=mine, kind=ApplicationEvent.Kind.CLAIM_VERIFIED, occurred_at=at(3))
    ApplicationEvent.objects.create(
        application=mine, kind=ApplicationEvent.Kind.CLASS_CHANGED, occurred_at=at(3, 1), details={"from": 2, "to": 1},
    )
    history = application_history(application=mine)
    assert [e.kind for e in history] == ["class_changed", "claim_verified", "preferences_changed", "submitted"]
    texts = [e.text for e in history]
    assert texts[1] == "Your benefit right was verified."
    assert texts[2] == "You changed your kindergartens."
    assert texts[3] == f"Your application was registered with queue number {mine.pk}."
    assert "first-priority right" in texts[0] and "general queue" in texts[0]
    assert history[0].details == {"from": 2, "to": 1}
    assert all(e.count is None and not e.derived for e in history)
    assert history[2].date == timezone.localtime(at(2)).date()


def test_children_with_priority_rights_who_came_ahead_are_counted_by_day():
    mine = app(at(0), 2)
    for minutes in (1, 2, 3):
        app(at(1, minutes), 1)  # three first-priority children registered on day 1
    app(at(4), 0)  # an extraordinary child on day 4
    earlier = app(at(-5), 2)
    # A child registered before this one got a first-priority right on day 4: now ahead.
    Application.objects.filter(pk=earlier.pk).update(priority_class=1, priority_since=at(4, 5))
    app(at(2), 2)  # general, registered later: behind, not counted
    app(at(-3), 1)  # had the right before this application registered: not a change
    app(at(1), 1, district=district("astana-almaty"))  # another district
    app(at(1), 1, age_group=2021)  # another age group
    history = application_history(application=mine)
    assert derived(history, "priority_ahead") == [
        (timezone.localtime(at(4)).date(), 2), (timezone.localtime(at(1)).date(), 3),
    ]
    day1 = next(e for e in history if e.kind == "priority_ahead" and e.count == 3)
    assert day1.text == "3 children with priority rights registered and stand ahead of you."
    day4 = next(e for e in history if e.kind == "priority_ahead" and e.count == 2)
    assert day4.text == "2 children with priority rights registered and stand ahead of you."


def test_one_child_is_singular():
    mine = app(at(0), 2)
    app(at(1), 0)
    [entry] = application_history(application=mine)
    assert entry.text == "1 child with a priority right registered and stands ahead of you."


def test_a_same_class_child_who_registered_earlier_and_got_the_right_later_is_counted():
    mine = app(at(0), 1)
    earlier = app(at(-5), 2)
    Application.objects.filter(pk=earlier.pk).update(priority_class=1, priority_since=at(3))
    app(at(-4), 1)  # had the same right before this application registered: already ahead, no change
    assert derived(application_history(application=mine), "priority_ahead") == [(timezone.localtime(at(3)).date(), 1)]


def test_children_ahead_who_left_the_queue():
    mine = app(at(0), 2)
    left = [app(at(-3), 2), app(at(-2), 2), app(at(5), 1)]  # two earlier general, one later first-priority
    behind = app(at(1), 2)
    for child, day in zip(left, (2, 2, 6)):
        Application.objects.filter(pk=child.pk).update(status=Application.Status.WITHDRAWN, status_changed_at=at(day))
    Application.objects.filter(pk=behind.pk).update(status=Application.Status.WITHDRAWN, status_changed_at=at(2))
    gone_before = app(at(-4), 2)
    Application.objects.filter(pk=gone_before.pk).update(status=Application.Status.ENROLLED, status_changed_at=at(-1))
    history = application_history(application=mine)
    assert derived(history, "ahead_left") == [(timezone.localtime(at(6)).date(), 1), (timezone.localtime(at(2)).date(), 2)]
    assert [e.text for e in history if e.kind == "ahead_left"] == [
        "1 child ahead of you left the queue.", "2 children ahead of you left the queue.",
    ]


def test_own_and_derived_entries_are_merged_newest_first():
    mine = app(at(0), 2, with_event=True)
    app(at(1), 1)
    ApplicationEvent.objects.create(application=mine, kind=ApplicationEvent.Kind.PREFERENCES_CHANGED, occurred_at=at(3))
    earlier = app(at(-1), 2)
    Application.objects.filter(pk=earlier.pk).update(status=Application.Status.WITHDRAWN, status_changed_at=at(2))
    history = application_history(application=mine)
    assert [e.kind for e in history] == ["preferences_changed", "ahead_left", "priority_ahead", "submitted"]


def test_moves_after_the_application_left_the_queue_are_not_its_history():
    mine = app(at(0), 2)
    Application.objects.filter(pk=mine.pk).update(status=Application.Status.WITHDRAWN, status_changed_at=at(3))
    mine.refresh_from_db()
    app(at(1), 1)
    app(at(5), 1)
    assert derived(application_history(application=mine), "priority_ahead") == [(timezone.localtime(at(1)).date(), 1)]
