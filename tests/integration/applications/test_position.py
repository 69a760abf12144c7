"""Queue position: order by class, then registration time, then queue number; per kindergarten; by class; rotation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from kezek.applications.models import Application, BenefitClaim, RegionQueueRules
from kezek.applications.selectors.position import application_position, queue_ahead_by_class
from kezek.applications.services.priority import application_refresh_priority
from kezek.domain.queue import PriorityClass
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - dt.timedelta(days=30)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def app(minutes: int, klass: int = 2, **kwargs) -> Application:
    kwargs.setdefault("age_group", 2022)
    return make_application(registered_at=at(minutes), priority_class=klass, **kwargs)


def position_of(application: Application) -> int | None:
    application.refresh_from_db()
    return application_position(application=application).position


def test_classes_first_then_registration_time():
    general_early = app(0, 2)
    first_late = app(10, 1)
    extraordinary_latest = app(20, 0)
    general_late = app(5, 2)
    first_early = app(1, 1)
    order = [extraordinary_latest, first_early, first_late, general_early, general_late]
    assert [position_of(a) for a in order] == [1, 2, 3, 4, 5]


def test_same_registration_time_is_ordered_by_queue_number():
    a, b, c = app(0), app(0), app(0)
    assert sorted([a, b, c], key=lambda x: x.pk) == [a, b, c]
    assert [position_of(x) for x in (a, b, c)] == [1, 2, 3]


def test_other_districts_age_groups_and_inactive_applications_do_not_count():
    mine = app(50)
    app(0, district=district("astana-almaty"))
    app(1, age_group=2021)
    app(2, status=Application.Status.WITHDRAWN)
    app(3, status=Application.Status.OFFERED)
    app(4, status=Application.Status.INACTIVE)
    ahead = app(5)
    assert position_of(mine) == 2
    assert position_of(ahead) == 1


def test_ahead_by_class_is_one_grouped_count(django_assert_max_num_queries):
    mine = app(100, 1)
    for m in range(3):
        app(m, 0)
    for m in range(5):
        app(10 + m, 1)
    app(200, 1)  # behind: registered later
    for m in range(4):
        app(m, 2)  # registered earlier but general: behind a first-priority child
    with django_assert_max_num_queries(1):
        assert queue_ahead_by_class(application=mine) == {0: 3, 1: 5, 2: 0}
    position = application_position(application=mine)
    assert position.position == 9
    assert position.ahead_by_class == {0: 3, 1: 5, 2: 0}


def test_position_in_each_chosen_kindergarten():
    k1, k2, k3 = make_organisation(), make_organisation(), make_organisation()
    mine = app(100, 2, preferences=[k1, k2, k3])
    app(0, 2, preferences=[k1])
    app(1, 1, preferences=[k2, k1])
    app(2, 0, preferences=[k3, k2])
    app(200, 0, preferences=[k1])  # extraordinary but later: still ahead
    app(300, 2, preferences=[k1, k2, k3])  # behind
    app(3, 2, preferences=[k2], district=district("astana-almaty"))  # another district
    app(4, 2, preferences=[k3], status=Application.Status.WITHDRAWN)
    position = application_position(application=mine)
    assert [(k.organisation.pk, k.rank, k.position) for k in position.per_kindergarten] == [
        (k1.pk, 1, 4), (k2.pk, 2, 3), (k3.pk, 3, 2),
    ]
    assert position.per_kindergarten[0].ahead == 3
    assert position.position == 5


def test_a_verified_right_moves_the_child_ahead():
    for m in range(4):
        app(m, 2)
    app(5, 1)
    mine = app(10, 2)
    assert position_of(mine) == 6
    BenefitClaim.objects.create(
        application=mine, kind="large_family", priority_class=PriorityClass.FIRST, source="document", status="verified",
    )
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=mine.pk)
        assert application_refresh_priority(application=locked, actor=None, reason="claim_verified") is True
    # Only the first-priority child who registered earlier stays ahead; registration time is kept.
    assert position_of(mine) == 2
    mine.refresh_from_db()
    assert mine.registered_at == at(10)


def test_not_in_queue_has_no_position_but_keeps_its_kindergartens():
    k1 = make_organisation()
    mine = app(0, 2, preferences=[k1], status=Application.Status.WITHDRAWN)
    position = application_position(application=mine)
    assert position.position is None
    assert position.in_queue is False
    assert position.rotation is None
    assert [(k.rank, k.position, k.ahead) for k in position.per_kindergarten] == [(1, None, None)]


def test_rotation_explanation_with_default_rules_for_a_general_child():
    app(0, 0)
    for m in range(2):
        app(1 + m, 1)
    for m in range(5):
        app(10 + m, 2)
    mine = app(20, 2)
    position = application_position(application=mine)
    assert position.position == 9
    rotation = position.rotation
    assert (rotation.first, rotation.general, rotation.rotates) == (1, 3, True)
    assert [int(c) for c in rotation.cycle] == [1, 2, 2, 2]
    # 1 extraordinary, then F G G G F G G G: the 6th general child is served at place 1 + 6 + 2 = 9.
    assert rotation.places_until_turn == 9
    assert position.last_allocation_offered is None


def test_rotation_lets_a_first_priority_child_share_places_with_general_children():
    for m in range(6):
        app(m, 1)
    for m in range(10):
        app(100 + m, 2)  # registered later, general: never ahead, but they get 3 of every 4 places
    mine = app(50, 1)
    position = application_position(application=mine)
    assert position.position == 7
    # 7th first-priority child: six cycles F G G G would give 18 places to general children, but only 10
    # wait, so the turn comes at 7 + 10 = 17 places.
    assert position.rotation.places_until_turn == 17
    for m in range(10):
        app(200 + m, 2)
    assert application_position(application=mine).rotation.places_until_turn == 6 * 4 + 1


def test_rotation_follows_the_region_rules():
    RegionQueueRules.objects.update_or_create(
        region=district().region, defaults={"rotation_first_priority": 1, "rotation_general": 1}
    )
    for m in range(3):
        app(m, 1)
    for m in range(5):
        app(100 + m, 2)
    mine = app(50, 1)
    rotation = application_position(application=mine).rotation
    assert (rotation.first, rotation.general) == (1, 1)
    assert rotation.places_until_turn == 4 + 3  # F G F G F G F


def test_explanation_sentences_carry_the_numbers():
    from django.utils import translation

    from kezek.applications.selectors.position import position_explanation

    app(0, 0)
    app(1, 1)
    app(2, 2)
    mine = app(3, 2)
    with translation.override("en"):
        sentences = position_explanation(position=application_position(application=mine))
        gone = position_explanation(position=application_position(application=app(9, 2, status=Application.Status.WITHDRAWN)))
    assert sentences[0] == "Position 4: 3 children stand ahead of yours in your district and age group."
    assert sentences[1] == "Ahead of you: 1 with an extraordinary right, 1 with a first-priority right, 1 in the general queue."
    assert "in turns: 1 to the first-priority queue, then 3 to the general queue" in sentences[2]
    # 1 extraordinary, then F G G: the second general child is served at place 1 + 2 + 1 = 4.
    assert sentences[3] == "If nobody new joins ahead, your child's turn comes when 4 places are offered in your age group."
    assert gone == ["The application is not in the queue now, so it has no position."]


def test_search_by_a_long_number_is_not_an_error():
    from kezek.applications.selectors.position import queue_for_officer
    from tests.factories.accounts import make_officer

    app(0)
    assert list(queue_for_officer(user=make_officer(district()), district_id=district().pk, query="9" * 30)) == []
