"""Monthly payment statements of providers: lines per child and group from confirmed attendance, then adjustments.

A statement is a draft, regenerated freely from attendance, until an officer of the provider's district
approves it; from then on it is locked. Lines are insert-only: never updated (any row, any time), and the
lines of an approved statement are never deleted, so a correction is always a new adjustment line with a
reason. The database keeps one attendance line per child and group in a statement (a second generation
cannot be inserted beside the first) and the approval's SHA-256 digest of the lines shows any change made
behind the application's back (``kezek.payments.selectors.statement_intact``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kezek.domain.payments import DEFAULT_KINDERGARTEN_MONTHLY_VALUE, StatementLocked

MONEY = {"max_digits": 14, "decimal_places": 2}


class RegionTariff(models.Model):
    """A region's monthly value of a kindergarten place (clubs take theirs from the voucher campaign)."""

    region = models.OneToOneField("geo.Region", on_delete=models.CASCADE, related_name="payment_tariff")
    kindergarten_monthly_value = models.DecimalField(
        _("monthly value of a kindergarten place, tenge"), default=DEFAULT_KINDERGARTEN_MONTHLY_VALUE, **MONEY
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kindergarten_monthly_value__gte=0), name="tariff_value_non_negative"),
        ]


class Statement(models.Model):
    """One provider's statement for one month."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved and locked")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="payment_statements")
    month = models.DateField(help_text="The first day of the month")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # The region's rule when the lines were generated (a later change of the rule does not rewrite a statement).
    payment_rule = models.CharField(max_length=20)
    due_on = models.DateField(help_text="The provider is paid by this day")
    generated_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_total = models.DecimalField(null=True, blank=True, **MONEY)
    approved_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-month", "organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="statement_one_per_provider_month"),
            models.CheckConstraint(condition=Q(status__in=["draft", "approved"]), name="statement_status_valid"),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_month_first_day"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(approved_at__isnull=False, approved_by__isnull=False, approved_total__isnull=False)
                & ~Q(approved_digest=""),
                name="statement_approval_recorded",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="statement_month_status_idx")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.month:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.APPROVED


class StatementLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise StatementLocked()

    def delete(self):
        # Only a draft's attendance lines are ever replaced; anything else is history.
        if self.exclude(statement__status=Statement.Status.DRAFT, kind=StatementLine.Kind.ATTENDANCE).exists():
            raise StatementLocked()
        return super().delete()


class StatementLine(models.Model):
    """A child's attendance and amount in one group for the month, or an adjustment with its reason."""

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("attendance")
        ADJUSTMENT = "adjustment", _("adjustment")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The group's sessions in the month, and what became of the child's: each session has exactly one outcome.
    sessions = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    contested = models.PositiveIntegerField(default=0)
    upheld = models.PositiveIntegerField(default=0)
    awaiting = models.PositiveIntegerField(default=0)
    unconfirmed = models.PositiveIntegerField(default=0)
    monthly_value = models.DecimalField(default=Decimal("0.00"), **MONEY)
    amount = models.DecimalField(**MONEY)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = StatementLineQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "kind", "group__name", "child__last_name", "child__first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["attendance", "adjustment"]), name="line_kind_valid"),
            models.UniqueConstraint(
                fields=["statement", "child", "group"], condition=Q(kind="attendance"), name="line_one_per_child_group"
            ),
            models.CheckConstraint(
                condition=~Q(kind="attendance") | Q(child__isnull=False, group__isnull=False, amount__gte=0),
                name="line_attendance_has_child_group",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | (~Q(reason="") & Q(created_by__isnull=False) & ~Q(amount=0)),
                name="line_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(
                    sessions=models.F("paid") + models.F("absent") + models.F("contested") + models.F("upheld")
                    + models.F("awaiting") + models.F("unconfirmed")
                ),
                name="line_outcomes_add_up",
            ),
        ]

    def save(self, *args, **kwargs):
        # Insert-only: a saved line is never changed; a correction is a new adjustment line.
        if not self._state.adding:
            raise StatementLocked()
        kwargs["force_insert"] = True
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        return StatementLine.objects.filter(pk=self.pk).delete()
