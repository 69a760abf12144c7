from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kezek.accounts import selectors, services
from kezek.accounts.errors import SessionNotFound
from kezek.accounts.models import OtpChallenge, UserSession
from kezek.accounts.tasks import prune_otp_challenges
from kezek.audit.models import AuditEvent
from tests.factories.accounts import make_admin, make_officer, make_parent

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me"


def signed_in(user) -> tuple[Client, UserSession]:
    client = Client()
    client.force_login(user)  # a sign-in that bypassed session_start, like the admin's login form
    assert client.get(ME).status_code == 200
    return client, UserSession.objects.get(session_key=client.session.session_key)


def test_sessions_signed_in_elsewhere_are_recorded_on_first_request():
    officer = make_officer()
    _, session = signed_in(officer)
    assert session.user == officer and session.ended_at is None
    assert AuditEvent.objects.filter(action="accounts.session.start", object_id=str(session.pk)).exists()


def test_last_seen_is_updated_at_most_once_a_minute():
    client, session = signed_in(make_parent())
    recent = timezone.now() - timedelta(seconds=30)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=recent)
    client.get(ME)
    assert UserSession.objects.get(pk=session.pk).last_seen_at == recent
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now() - timedelta(minutes=2))
    client.get(ME)
    assert timezone.now() - UserSession.objects.get(pk=session.pk).last_seen_at < timedelta(seconds=5)


def test_admin_may_end_anyones_session_and_ending_twice_changes_nothing():
    parent = make_parent()
    client, session = signed_in(parent)
    admin = make_admin()
    services.session_end(actor=admin, session_id=session.pk)
    assert client.get(ME).status_code == 401
    event = AuditEvent.objects.get(action="accounts.session.end")
    assert event.after["reason"] == "ended_by_admin" and event.actor_id == admin.pk
    services.session_end(actor=parent, session_id=session.pk)
    assert AuditEvent.objects.filter(action="accounts.session.end").count() == 1


def test_other_users_and_missing_sessions_look_the_same():
    _, session = signed_in(make_parent())
    with pytest.raises(SessionNotFound):
        services.session_end(actor=make_parent(), session_id=session.pk)
    with pytest.raises(SessionNotFound):
        services.session_end(actor=make_officer(), session_id=session.pk + 1000)


def test_list_shows_active_sessions_only_newest_first():
    parent = make_parent()
    first_client, first = signed_in(parent)
    _, second = signed_in(parent)
    _, ended = signed_in(parent)
    services.session_end(actor=parent, session_id=ended.pk)
    rows = selectors.session_list(user=parent, current_key=first_client.session.session_key)
    assert [r.pk for r in rows] == [second.pk, first.pk]
    assert [r.is_current for r in rows] == [False, True]
    assert selectors.session_list(user=make_parent()) == []


def test_expired_challenges_are_pruned_a_day_later():
    now = timezone.now()
    old = OtpChallenge.objects.create(phone="+77010000001", code_hash="x", expires_at=now - timedelta(days=2))
    fresh = OtpChallenge.objects.create(phone="+77010000001", code_hash="x", expires_at=now - timedelta(hours=1))
    assert prune_otp_challenges() == 1
    assert list(OtpChallenge.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not OtpChallenge.objects.filter(pk=old.pk).exists()


def test_admin_blocks_a_shared_account_everywhere():
    from kezek.accounts.errors import BlockReasonRequired
    from kezek.accounts.permissions import RoleRequired

    parent = make_parent()
    laptop, _ = signed_in(parent)
    phone, _ = signed_in(parent)
    admin = make_admin()
    with pytest.raises(RoleRequired):
        services.account_block(actor=make_officer(), user_id=parent.pk, reason="sharing")
    with pytest.raises(BlockReasonRequired):
        services.account_block(actor=admin, user_id=parent.pk, reason=" ")
    services.account_block(actor=admin, user_id=parent.pk, reason="complaint 42: account sharing")
    assert laptop.get(ME).status_code == 401 and phone.get(ME).status_code == 401
    assert not UserSession.objects.filter(user=parent, ended_at__isnull=True).exists()
    assert AuditEvent.objects.get(action="accounts.user.block").after["reason"] == "complaint 42: account sharing"
    services.account_unblock(actor=admin, user_id=parent.pk)
    parent.refresh_from_db()
    assert parent.is_active


def test_admin_pages_list_accounts_and_end_sessions():
    parent = make_parent()
    device, session = signed_in(parent)
    admin_user = make_admin()
    back_office = Client()
    back_office.force_login(admin_user)
    assert back_office.get("/admin/accounts/user/").status_code == 200
    response = back_office.post(
        "/admin/accounts/usersession/", {"action": "end_sessions", "_selected_action": [session.pk]}
    )
    assert response.status_code == 302
    assert device.get(ME).status_code == 401
    officer_client = Client()
    officer_client.force_login(make_officer())
    assert officer_client.get("/admin/accounts/user/").status_code in (302, 403)
