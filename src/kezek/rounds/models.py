"""Allocation rounds: the places a district publishes, the committed seed, and the published input and result."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_round_code() -> str:
    # Public rounds are named in URLs and downloads; the code must not be guessable before announcement.
    return secrets.token_hex(6)


class Round(models.Model):
    """One allocation (summer комплектование or a later round) in one district, announced ahead and run once."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ANNOUNCED = "announced", _("announced")
        RUNNING = "running", _("running")
        RAN = "ran", _("places offered")
        OPEN_TO_ALL = "open_to_all", _("open to all")
        CLOSED = "closed", _("closed")

    class Policy(models.TextChoices):
        QUEUE = "queue", _("queue order")
        MATCH = "match", _("matching over ranked choices")

    class TieBreak(models.TextChoices):
        LOTTERY = "lottery", _("lottery number")
        REGISTERED_AT = "registered_at", _("registration time")

    code = models.CharField(max_length=24, unique=True, default=new_round_code)
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    policy = models.CharField(_("policy"), max_length=8, choices=Policy.choices)
    tie_break = models.CharField(_("tie-break"), max_length=16, choices=TieBreak.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Timetable. runs_at - announced_at must be at least the lead time (KEZEK_ROUND_LEAD_HOURS, default 24).
    runs_at = models.DateTimeField(_("runs at"))
    offers_close_at = models.DateTimeField(_("offer phase ends at"), null=True, blank=True)
    open_to_all_at = models.DateTimeField(_("free places open to all at"), null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)
    # The seed stays secret until the run; its SHA-256 commitment is public from announcement and never changes.
    seed_hex = models.CharField(max_length=64, blank=True)
    seed_commitment = models.CharField(max_length=64, blank=True)
    seed_revealed = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-runs_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "announced", "running", "ran", "open_to_all", "closed"]),
                name="round_status_valid",
            ),
            # Announced rounds always carry their commitment: the seed cannot be swapped silently.
            models.CheckConstraint(
                condition=Q(status="draft") | (~Q(seed_commitment="") & Q(announced_at__isnull=False)),
                name="round_announced_has_commitment",
            ),
        ]
        indexes = [models.Index(fields=["district", "status"], name="round_district_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class RoundPlace(models.Model):
    """Free places in one group for one queue age group, frozen once the round is announced."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="places")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="+")
    age_group = models.PositiveSmallIntegerField(help_text="The queue age group these places serve (kezek.domain.queue.age_group)")
    places = models.PositiveIntegerField(_("places"))
    frees_on = models.DateField(_("place frees up on"))
    # Places currently held by a live offer, a referral or an enrolment from this round; never above ``places``.
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "group", "age_group"], name="roundplace_group_uniq"),
            models.CheckConstraint(condition=Q(taken__lte=models.F("places")), name="roundplace_no_oversell"),
        ]

    @property
    def allocation_id(self) -> str:
        """The group id used in the published allocation input and result."""
        return f"p{self.pk}"


class RoundChange(models.Model):
    """A change to a round after announcement: always with a written reason, always shown publicly."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="changes")
    place = models.ForeignKey(RoundPlace, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=200)
    new_value = models.CharField(max_length=200)
    reason = models.TextField()
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="roundchange_reason_required")]


class RoundRun(models.Model):
    """The one run of a round: its progress while running, and the published input and result afterwards."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="run")  # one run, ever
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_stage = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Canonical JSON (kezek.allocation/1 and kezek.allocation-result/1, reproducible form) and their SHA-256.
    input_json = models.TextField(blank=True)
    input_sha256 = models.CharField(max_length=64, blank=True)
    result_json = models.TextField(blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
