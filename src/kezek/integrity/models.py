"""Integrity: flags raised by the phantom scan, automatic suspensions of unattended places, parents' disputes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrityFlag(models.Model):
    """A suspicious fact the scan found, with its evidence, waiting for the district officer's review."""

    class Kind(models.TextChoices):
        NO_ATTENDANCE = "no_attendance", _("no attendance for weeks")
        OVERLAPPING_PRESENCE = "overlapping_presence", _("present in two places at once")
        TOO_MANY_SECTIONS = "too_many_sections", _("more sections than allowed")
        HOLIDAY_ATTENDANCE = "holiday_attendance", _("attendance on a public holiday")
        OFF_SCHEDULE = "off_schedule", _("attendance outside the schedule")
        AGE_OUTSIDE_RANGE = "age_outside_range", _("age outside the group's range")
        MARKS_CONTESTED = "marks_contested", _("marks often contested by parents")
        OVER_CAPACITY = "over_capacity", _("group above capacity")
        TWO_VOUCHERS = "two_vouchers", _("the same child under two vouchers")

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for review")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # SHA-256 of kind, subject and key (kezek.domain.integrity.Finding): a fact found again is not stored twice.
    fingerprint = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict)
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="integrity_flags"
    )
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "confirmed", "dismissed"]), name="flag_status_valid"),
            models.CheckConstraint(condition=Q(status="open") | Q(reviewer__isnull=False), name="flag_reviewed_has_reviewer"),
        ]
        indexes = [models.Index(fields=["district", "status", "kind"], name="flag_district_status_idx")]


class ScanRun(models.Model):
    """One run of the phantom scan: the nightly one is claimed once per day however many workers run."""

    day = models.DateField(help_text="The local day the scan is for")
    nightly = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    found = models.JSONField(default=dict, help_text="Findings by kind")
    new_flags = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["day"], condition=Q(nightly=True), name="scanrun_one_nightly_per_day"),
        ]


class Suspension(models.Model):
    """A place held without confirmed attendance for N weeks: suspended, then lifted or released after the grace."""

    class Status(models.TextChoices):
        SUSPENDED = "suspended", _("suspended")
        LIFTED = "lifted", _("lifted")
        RELEASED = "released", _("released")

    enrolment = models.ForeignKey("placements.Enrolment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    voucher = models.ForeignKey("vouchers.Voucher", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUSPENDED)
    last_attended = models.DateField(null=True, blank=True)
    suspended_on = models.DateField()
    release_on = models.DateField(help_text="Released on this day unless the child comes back")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-suspended_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enrolment__isnull=False) & Q(voucher__isnull=True)) | (Q(enrolment__isnull=True) & Q(voucher__isnull=False)),
                name="suspension_one_subject",
            ),
            models.UniqueConstraint(fields=["enrolment"], condition=Q(status="suspended"), name="suspension_one_open_enrolment"),
            models.UniqueConstraint(fields=["voucher"], condition=Q(status="suspended"), name="suspension_one_open_voucher"),
        ]
        indexes = [models.Index(fields=["status", "release_on"], name="suspension_due_idx")]


class Dispute(models.Model):
    """A parent's "my child does not attend this": routed to the provider and the district officer, with a deadline.

    When upheld, ``upheld_from``..``upheld_to`` (inclusive) are the days excluded from payment (kezek.payments).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("under review")
        UPHELD = "upheld", _("upheld: the child does not attend")
        REJECTED = "rejected", _("rejected")

    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="integrity_disputes")
    parent = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey("placements.Enrolment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    voucher = models.ForeignKey("vouchers.Voucher", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="integrity_disputes")
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    since = models.DateField(help_text="The first day the parent says the child did not attend")
    reason = models.TextField(blank=True)
    filed_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(help_text="Exclusive: the end of the last working day for a decision")
    provider_response = models.TextField(blank=True)
    provider_responded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    upheld_from = models.DateField(null=True, blank=True)
    upheld_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enrolment__isnull=False) & Q(voucher__isnull=True)) | (Q(enrolment__isnull=True) & Q(voucher__isnull=False)),
                name="dispute_one_subject",
            ),
            models.UniqueConstraint(fields=["enrolment"], condition=Q(status="open"), name="dispute_one_open_enrolment"),
            models.UniqueConstraint(fields=["voucher"], condition=Q(status="open"), name="dispute_one_open_voucher"),
            models.CheckConstraint(
                condition=~Q(status="upheld") | (Q(upheld_from__isnull=False) & Q(upheld_to__isnull=False)),
                name="dispute_upheld_has_range",
            ),
            models.CheckConstraint(condition=Q(status="open") | ~Q(decision_reason=""), name="dispute_decision_has_reason"),
        ]
        indexes = [
            models.Index(fields=["district", "status", "deadline"], name="dispute_district_status_idx"),
            models.Index(fields=["organisation", "status"], name="dispute_org_status_idx"),
        ]
