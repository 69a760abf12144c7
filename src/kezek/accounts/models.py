"""Accounts: parents sign in by SMS code and are bound to their IIN; staff sign in by password."""

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PARENT = "parent", _("parent")
    OFFICER = "officer", _("education department officer")
    PROVIDER_STAFF = "provider_staff", _("provider staff")
    ADMIN = "admin", _("administrator")


class KezekUserManager(UserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        return self._create_user(username, email, password, **extra_fields)

    def _create_user(self, username, email, password, **extra_fields):
        user = self.model(username=username, email=self.normalize_email(email or ""), **extra_fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A signed-in actor. ``username`` is the E.164 phone for parents and a login name for staff.

    Scopes: an officer acts only in ``district``; provider staff only in ``organisation``.
    """

    username = models.CharField(_("login"), max_length=150, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    display_name = models.CharField(_("name"), max_length=255, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARENT)
    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="account"
    )
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    preferred_language = models.CharField(_("language"), max_length=2, default="ru")
    is_staff = models.BooleanField(_("can use the back office"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = KezekUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="parent") | Q(person__isnull=False), name="user_parent_has_person"
            ),
            models.CheckConstraint(
                condition=~Q(role="officer") | Q(district__isnull=False), name="user_officer_has_district"
            ),
            models.CheckConstraint(
                condition=~Q(role="provider_staff") | Q(organisation__isnull=False), name="user_staff_has_organisation"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class OtpChallenge(models.Model):
    """A one-time sign-in code sent to a phone: only its hash is kept; it dies after use or 5 minutes."""

    phone = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"], name="otp_phone_recent_idx")]


class PhoneLock(models.Model):
    """A phone locked out of SMS sign-in until ``locked_until`` after too many wrong codes."""

    phone = models.CharField(max_length=16, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)


class UserSession(models.Model):
    """A signed-in session the account holder can see and end (account sharing is forbidden)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_active_idx")]
