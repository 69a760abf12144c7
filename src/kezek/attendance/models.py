"""Attendance: sessions of a group, one mark per child and session, parent check-ins and monthly sheets.

A group's roster is every child with an active kindergarten enrolment in it (kezek.placements.Enrolment)
or a placed/active club voucher in it (kezek.vouchers.Voucher.section); see kezek.attendance.selectors.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegionAttendanceRules(models.Model):
    """A region's own numbers for attendance, payment and phantom checks; regions without a row use the defaults."""

    class SilenceMeans(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        NOT_CONFIRMED = "not_confirmed", _("not confirmed")

    class PaymentRule(models.TextChoices):
        PER_SESSION = "per_session", _("per confirmed session")
        MONTHLY_PRORATED = "monthly_prorated", _("monthly value prorated by confirmed attendance")

    region = models.OneToOneField("geo.Region", on_delete=models.CASCADE, related_name="attendance_rules")
    confirm_by_day = models.PositiveSmallIntegerField(default=5, help_text="Parents confirm a month by this day of the next month")
    silence_means = models.CharField(max_length=16, choices=SilenceMeans.choices, default=SilenceMeans.CONFIRMED)
    payment_rule = models.CharField(max_length=20, choices=PaymentRule.choices, default=PaymentRule.MONTHLY_PRORATED)
    payment_due_day = models.PositiveSmallIntegerField(default=18, help_text="Providers are paid by this day of the next month")
    same_day_correction_only = models.BooleanField(default=True, help_text="Later corrections need a reason")
    no_attendance_weeks = models.PositiveSmallIntegerField(default=3, help_text="Flag and suspend after N weeks without attendance")
    suspension_grace_days = models.PositiveSmallIntegerField(default=14, help_text="A suspended place is released after this")
    max_sections_per_child = models.PositiveSmallIntegerField(default=3)
    dispute_working_days = models.PositiveSmallIntegerField(default=10)
    appeal_working_days = models.PositiveSmallIntegerField(default=10)


class Session(models.Model):
    """One meeting of a group (a kindergarten day or a club lesson)."""

    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "starts_at"], name="session_group_start_uniq"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
        ]
        indexes = [models.Index(fields=["group", "date"], name="session_group_date_idx")]


class Mark(models.Model):
    """A child's presence at one session as the provider marked it; one row per child and session."""

    class Status(models.TextChoices):
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="marks")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="attendance_marks")
    status = models.CharField(max_length=8, choices=Status.choices)
    marked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)
    # The offline page gives every tap an id, so a batch sent twice changes nothing the second time.
    client_mark_id = models.CharField(max_length=64, blank=True)
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "child"], name="mark_one_per_child_session"),
            models.CheckConstraint(condition=Q(status__in=["present", "absent"]), name="mark_status_valid"),
        ]
        indexes = [
            models.Index(fields=["child", "session"], name="mark_child_session_idx"),
            models.Index(fields=["client_mark_id"], name="mark_client_id_idx"),
        ]


class CheckIn(models.Model):
    """A parent's own confirmation of presence, by scanning the section's rotating QR code."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="checkins")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="checkins")
    parent = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    code_window = models.BigIntegerField(help_text="The 30-second window of the code that was scanned")
    checked_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "child"], name="checkin_one_per_child_session")]


class MonthlySheet(models.Model):
    """A child's attendance in one group for one month, as the parent confirmed or contested it."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the parent")
        CONFIRMED = "confirmed", _("confirmed by the parent")
        CONTESTED = "contested", _("some days contested")
        CONFIRMED_BY_SILENCE = "silent_confirmed", _("confirmed: no answer by the deadline")
        UNCONFIRMED = "unconfirmed", _("not confirmed by the deadline")

    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="attendance_sheets")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="attendance_sheets")
    month = models.DateField(help_text="The first day of the month")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    deadline = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["child", "group", "month"], name="sheet_one_per_child_group_month")]
        indexes = [models.Index(fields=["status", "deadline"], name="sheet_status_deadline_idx")]


class ContestedDay(models.Model):
    """A session the parent says the child did not attend; excluded from payment until resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("under review")
        UPHELD = "upheld", _("upheld: the child was not there")
        REJECTED = "rejected", _("rejected: the child was there")

    sheet = models.ForeignKey(MonthlySheet, on_delete=models.PROTECT, related_name="contested_days")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sheet", "session"], name="contested_once_per_session")]


class MarkReceipt(models.Model):
    """Every tap id the server has applied: a replayed batch changes nothing, even after later taps on the same child."""

    client_mark_id = models.CharField(max_length=64, unique=True)
    mark = models.ForeignKey(Mark, on_delete=models.PROTECT, related_name="receipts")
    received_at = models.DateTimeField(default=timezone.now)
