"""Sign-in and sessions: parents by a one-time SMS code bound to their IIN, staff by password.

Every refusal that could tell a stranger whether a phone or a login is registered gives the same answer
as for an unknown one. Rate-limit hits and wrong-code counts are committed before the refusal is raised,
so a refused attempt still counts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from kezek.accounts.errors import (
    AccountBlocked,
    AccountNotFound,
    BlockReasonRequired,
    OtpInvalid,
    OtpMalformed,
    OtpVerifyRateLimited,
    PasswordRequired,
    PhoneLocked,
    SendLimitReached,
    SessionNotFound,
    SigninFailed,
    SigninRateLimited,
)
from kezek.accounts.models import OtpChallenge, PhoneLock, Role, User, UserSession
from kezek.accounts.permissions import is_admin, require_role
from kezek.audit.services import audit_record
from kezek.core.middleware import client_ip
from kezek.core.ratelimit import rate_hit, rate_refund
from kezek.domain import otp
from kezek.domain.devices import device_is_new, device_key, device_name
from kezek.domain.errors import DomainError, RateLimited
from kezek.domain.iin import age_in_years
from kezek.domain.phones import mask_phone, normalise_kz_mobile
from kezek.notifications.services import notification_enqueue

log = logging.getLogger("kezek.accounts")

STAFF_ROLES = frozenset({Role.OFFICER, Role.PROVIDER_STAFF, Role.ADMIN})
ADULT_AGE = 18
HOUR = 3600
STAFF_WINDOW_SECONDS = 15 * 60
TOUCH_EVERY = timedelta(minutes=1)
DEFAULT_VERIFIES_PER_IP_PER_HOUR = 100


# --- helpers ----------------------------------------------------------------------------------------


def _rate_or_raise(*, key: str, limit: int, window_seconds: int, error: type[RateLimited]) -> None:
    result = rate_hit(key=key, limit=limit, window_seconds=window_seconds)
    if not result.allowed:
        raise error(retry_after=result.retry_after)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _language(language: str, user: User | None) -> str:
    codes = {code for code, _ in settings.LANGUAGES}
    for candidate in ((language or "")[:2].lower(), getattr(user, "preferred_language", "")):
        if candidate in codes:
            return candidate
    return settings.LANGUAGE_CODE


def _adult_by_phone(e164: str) -> Any | None:
    """The registry's adult holding this mobile number (the registry of mobile citizens), if any."""
    from kezek.people.models import Person

    from kezek.people.registry import get_registry

    found = get_registry().person_by_phone(e164)
    if found is None or age_in_years(found.birth_date, timezone.localdate()) < ADULT_AGE:
        return None
    # The account binds to the local person row of that IIN (the registry import keeps them in step).
    return Person.objects.filter(iin=found.iin).first()


def _dummy_hash() -> str:
    # Compared against when a phone has no code, so a wrong guess costs the same either way.
    return otp.code_hash(code="000000", phone="", key=settings.SECRET_KEY, salt="0" * 32)


# --- parents: one-time SMS codes ----------------------------------------------------------------------


def otp_request(*, phone: str, ip: str, language: str) -> None:
    """Send a sign-in code to a registered adult's phone (rule: 6 digits, 5 minutes, hashed, no hint)."""
    e164 = normalise_kz_mobile(phone)
    _rate_or_raise(
        key=f"otp:send:ip:{ip}", limit=settings.KEZEK_OTP_SENDS_PER_IP_PER_HOUR, window_seconds=HOUR, error=SendLimitReached
    )
    now = timezone.now()
    locked_until = PhoneLock.objects.filter(phone=e164, locked_until__gt=now).values_list("locked_until", flat=True).first()
    if locked_until is not None:
        raise PhoneLocked(retry_after=_seconds_until(locked_until, now))
    _rate_or_raise(
        key=f"otp:send:phone:{e164}",
        limit=settings.KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR,
        window_seconds=HOUR,
        error=SendLimitReached,
    )
    person = _adult_by_phone(e164)
    code = otp.code_new()
    with transaction.atomic():
        # A challenge is stored for unknown phones too (its code goes nowhere): same work, same answer.
        challenge = OtpChallenge.objects.create(
            phone=e164,
            code_hash=otp.code_hash(code=code, phone=e164, key=settings.SECRET_KEY),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.KEZEK_OTP_TTL_SECONDS),
        )
        if person is not None:
            account = User.objects.filter(person=person).first()
            notification_enqueue(
                channel="sms",
                recipient=e164,
                template="signin_code",
                context={"code": code, "minutes": max(1, settings.KEZEK_OTP_TTL_SECONDS // 60)},
                language=_language(language, account),
                idempotency_key=f"otp:{challenge.pk}",
                user=account,
            )
    log.info("otp requested for %s (registered=%s)", mask_phone(e164), person is not None)


def otp_verify(*, phone: str, code: str, ip: str) -> User:
    """Sign a parent in by the code sent to their phone (rule: single use, 5 wrong codes lock 15 minutes)."""
    e164 = normalise_kz_mobile(phone)
    if not otp.code_is_well_formed(code):
        raise OtpMalformed()  # a typo costs no attempt and tells nothing about the phone
    _rate_or_raise(
        key=f"otp:verify:ip:{ip}",
        limit=getattr(settings, "KEZEK_OTP_VERIFIES_PER_IP_PER_HOUR", DEFAULT_VERIFIES_PER_IP_PER_HOUR),
        window_seconds=HOUR,
        error=OtpVerifyRateLimited,
    )
    outcome = _otp_check(e164=e164, code=code)
    if isinstance(outcome, DomainError):
        raise outcome  # raised after the commit, so the wrong-code count and any lock stay
    return outcome


def _phone_lock_for_update(e164: str) -> PhoneLock:
    PhoneLock.objects.get_or_create(phone=e164)  # handles a parallel insert of the same phone itself
    return PhoneLock.objects.select_for_update().get(phone=e164)


def _otp_check(*, e164: str, code: str) -> User | DomainError:
    with transaction.atomic():
        lock = _phone_lock_for_update(e164)
        now = timezone.now()
        if lock.locked_until is not None and lock.locked_until > now:
            return PhoneLocked(retry_after=_seconds_until(lock.locked_until, now))
        # Only the newest code counts: asking for a new one retires the older ones.
        challenge = OtpChallenge.objects.select_for_update().filter(phone=e164).order_by("-created_at", "-pk").first()
        usable = challenge is not None and challenge.consumed_at is None and challenge.expires_at > now
        stored = challenge.code_hash if usable else _dummy_hash()
        matches = otp.code_matches(code=code, phone=e164, key=settings.SECRET_KEY, stored=stored) and usable
        person = _adult_by_phone(e164) if matches else None
        if person is not None:
            user, created = _parent_account(person=person, e164=e164)
            challenge.consumed_at = now
            challenge.save(update_fields=["consumed_at"])
            lock.failures, lock.locked_until = 0, None
            lock.save(update_fields=["failures", "locked_until"])
            audit_record(
                actor=user,
                action="accounts.signin.parent",
                obj=user,
                after={"phone": e164, "person_id": person.pk, "account_created": created},
            )
            return user
        if usable:
            challenge.attempts += 1
            challenge.save(update_fields=["attempts"])
        lock.failures, locked = otp.failures_after_wrong_code(
            failures=lock.failures, max_attempts=settings.KEZEK_OTP_MAX_ATTEMPTS
        )
        if locked:
            lock.locked_until = now + timedelta(seconds=settings.KEZEK_OTP_LOCK_SECONDS)
            audit_record(
                actor=None,
                action="accounts.phone.locked",
                obj=lock,
                after={"phone": e164, "locked_until": lock.locked_until},
            )
        lock.save(update_fields=["failures", "locked_until"])
        if locked:
            return PhoneLocked(retry_after=settings.KEZEK_OTP_LOCK_SECONDS)
        return OtpInvalid()


def _parent_account(*, person: Any, e164: str) -> tuple[User, bool]:
    """The parent's account bound to their registry person (rule: one account per IIN), created on first sign-in."""
    user = User.objects.select_for_update().filter(person=person).first()
    if user is None:
        # The phone may still name an older account of someone who gave the number up.
        username = e164 if not User.objects.filter(username=e164).exists() else f"iin{person.iin}"
        try:
            with transaction.atomic():
                user = User(
                    username=username, role=Role.PARENT, person=person, display_name=person.full_name
                )
                user.set_unusable_password()
                user.save(force_insert=True)
                return user, True
        except IntegrityError:  # a parallel first sign-in created it
            user = User.objects.select_for_update().get(person=person)
    if not user.is_active:
        raise AccountBlocked()
    if user.role != Role.PARENT:
        raise PasswordRequired()
    return user, False


# --- staff: passwords -----------------------------------------------------------------------------------


def _staff_limit_keys(username: str, ip: str) -> list[str]:
    # Hashed so attacker-chosen logins of any length make keys of one size.
    login_digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"staff:signin:user:{login_digest}", f"staff:signin:ip:{ip}"]


def _staff_limit_refund(keys: list[str], now: float) -> None:
    for key in keys:
        rate_refund(key=key, window_seconds=STAFF_WINDOW_SECONDS, now=now)


def staff_authenticate(*, username: str, password: str, ip: str) -> User:
    """Check a staff member's login and password (rule: staff sign in with password; failures say nothing more)."""
    limit = settings.KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN
    keys = _staff_limit_keys(username, ip)
    now = time.time()
    # Counted before the password is checked: attempts arriving together on several app processes would all
    # pass a check made before any of them was counted. An attempt that does not count gives its hit back.
    hits = [rate_hit(key=key, limit=limit, window_seconds=STAFF_WINDOW_SECONDS, now=now) for key in keys]
    if not all(hit.allowed for hit in hits):
        _staff_limit_refund(keys, now)
        raise SigninRateLimited(retry_after=max(hit.retry_after for hit in hits))
    user = authenticate(None, username=username.strip(), password=password) if username and password else None
    if user is None or not user.is_active or not (user.role in STAFF_ROLES or user.is_superuser):
        log.info("staff sign-in failed from %s", ip)
        raise SigninFailed()
    # Only failures count, so colleagues signing in from one office address do not lock each other out.
    _staff_limit_refund(keys, now)
    with transaction.atomic():
        audit_record(actor=user, action="accounts.signin.staff", obj=user, after={"ip": ip})
    return user


# --- sessions --------------------------------------------------------------------------------------------


def _session_record(*, request: HttpRequest, user: User, now: datetime) -> UserSession:
    session = UserSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        ip=client_ip(request)[:64],
        user_agent=request.headers.get("User-Agent", "")[:300],
        created_at=now,
        last_seen_at=now,
    )
    audit_record(
        actor=user,
        action="accounts.session.start",
        obj=session,
        after={"ip": session.ip, "user_agent": session.user_agent},
        request_id=getattr(request, "request_id", ""),
    )
    return session


def session_start(*, request: HttpRequest, user: User) -> UserSession:
    """Sign the user in on this device with a fresh session key and record it (rule: parents see their sessions)."""
    old_key = request.session.session_key
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if not request.session.session_key:
        request.session.save()
    now = timezone.now()
    with transaction.atomic():
        if old_key:
            UserSession.objects.filter(session_key=old_key, ended_at__isnull=True).update(ended_at=now)
        session = _session_record(request=request, user=user, now=now)
        _new_device_notify(user=user, session=session)
        return session


KNOWN_DEVICES_LOOKBACK = 200  # recent sessions compared against: older devices count as new again


def _new_device_notify(*, user: User, session: UserSession) -> None:
    """Tell a parent by SMS that their account was signed in from a device it never used (rule: new-device notice)."""
    phone = getattr(user.person, "phone", "") if user.role == Role.PARENT and user.person_id else ""
    if not phone:
        return
    earlier = UserSession.objects.filter(user=user).exclude(pk=session.pk).order_by("-created_at", "-pk")
    known = [device_key(user_agent=ua, ip=ip) for ua, ip in earlier.values_list("user_agent", "ip")[:KNOWN_DEVICES_LOOKBACK]]
    if not device_is_new(current=device_key(user_agent=session.user_agent, ip=session.ip), known=known):
        return
    notification_enqueue(
        channel="sms",
        recipient=phone,
        template="signin_new_device",
        context={
            "device": device_name(session.user_agent),
            "when": timezone.localtime(session.created_at).strftime("%d.%m.%Y %H:%M"),
        },
        language=_language("", user),
        idempotency_key=f"signin-new-device:{session.pk}",
        user=user,
    )


def session_touch(*, request: HttpRequest) -> None:
    """Log out a request whose session was ended from another device; note when it was last seen."""
    key = request.session.session_key
    if not key:
        return
    row = UserSession.objects.filter(session_key=key).values_list("pk", "user_id", "ended_at", "last_seen_at").first()
    now = timezone.now()
    if row is None:
        # Signed in by a path that did not record the session (e.g. the admin's own login form).
        try:
            with transaction.atomic():
                _session_record(request=request, user=request.user, now=now)
        except IntegrityError:  # a parallel request of the same session recorded it first
            pass
        return
    pk, user_id, ended_at, last_seen_at = row
    if ended_at is not None or user_id != request.user.pk:
        logout(request)
        return
    if now - last_seen_at >= TOUCH_EVERY:
        UserSession.objects.filter(pk=pk, last_seen_at__lt=now - TOUCH_EVERY).update(last_seen_at=now)


def _session_close(*, session: UserSession, actor: User, reason: str, request_id: str = "") -> None:
    before = {"ended_at": None}
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])
    audit_record(
        actor=actor,
        action="accounts.session.end",
        obj=session,
        before=before,
        after={"ended_at": session.ended_at, "reason": reason},
        request_id=request_id,
    )


def session_end(*, actor: User, session_id: int) -> None:
    """End one of the account's sessions, signing that device out (rule: account sharing is forbidden)."""
    with transaction.atomic():
        session = UserSession.objects.select_for_update().filter(pk=session_id).first()
        allowed = session is not None and getattr(actor, "is_authenticated", False)
        if not allowed or (session.user_id != actor.pk and not is_admin(actor)):
            raise SessionNotFound()
        if session.ended_at is not None:
            return
        # Deleting the stored session signs the other device out on its very next request.
        import_module(settings.SESSION_ENGINE).SessionStore().delete(session.session_key)
        _session_close(session=session, actor=actor, reason="ended_by_owner" if session.user_id == actor.pk else "ended_by_admin")


def signout(*, request: HttpRequest) -> None:
    """Sign out of this device and end its session record."""
    key = request.session.session_key
    user = request.user
    if key and getattr(user, "is_authenticated", False):
        with transaction.atomic():
            session = UserSession.objects.select_for_update().filter(session_key=key, ended_at__isnull=True).first()
            if session is not None:
                _session_close(session=session, actor=user, reason="signout", request_id=getattr(request, "request_id", ""))
    logout(request)


def account_block(*, actor: User, user_id: int, reason: str) -> User:
    """Block an account and sign out all its devices (rule: accounts caught being shared are blocked)."""
    require_role(actor, Role.ADMIN)
    reason = (reason or "").strip()
    if not reason:
        raise BlockReasonRequired()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise AccountNotFound()
        if not user.is_active:
            return user
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="accounts.user.block", obj=user, before={"is_active": True},
                     after={"is_active": False, "reason": reason})
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        for session in UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True):
            store.delete(session.session_key)
            _session_close(session=session, actor=actor, reason="account_blocked")
    return user


def account_unblock(*, actor: User, user_id: int) -> User:
    """Let a blocked account sign in again (an administrator's decision, audited)."""
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise AccountNotFound()
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit_record(actor=actor, action="accounts.user.unblock", obj=user, before={"is_active": False},
                         after={"is_active": True})
    return user
