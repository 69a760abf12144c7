"""Appeals with their documents, incidents, and the remedies executed for either (each wronged item once)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Appeal(models.Model):
    """A parent's or provider's appeal about one record of theirs, decided by an officer of its district by a deadline."""

    class Kind(models.TextChoices):
        LOST_PLACE = "lost_place", _("I lost my place")
        OFFER_EXPIRED_WHILE_DOWN = "offer_expired_while_down", _("The offer expired while the site was down")
        WRONG_PRIORITY = "wrong_priority", _("My priority is wrong")
        PAYMENT_REFUSED = "payment_refused", _("A payment was refused")

    class SubjectKind(models.TextChoices):
        APPLICATION = "application", _("kindergarten application")
        OFFER = "offer", _("offer of a place")
        VOUCHER = "voucher", _("club voucher")
        PAYMENT_STATEMENT = "payment_statement", _("payment statement")

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a decision")
        UPHELD = "upheld", _("decided in your favour")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("what the appeal is about"), max_length=32, choices=Kind.choices)
    subject_kind = models.CharField(max_length=20, choices=SubjectKind.choices)
    subject_id = models.PositiveBigIntegerField()
    filer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="appeals")
    # The district whose officers decide; empty only when the record names none (administrators decide).
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(_("what happened"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    filed_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(help_text="Exclusive: the decision is due before this instant")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(blank=True)
    remedy = models.CharField(max_length=32, help_text="kezek.domain.appeals.Remedy")

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "upheld", "rejected"]), name="appeal_status_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=["lost_place", "offer_expired_while_down", "wrong_priority", "payment_refused"]),
                name="appeal_kind_valid",
            ),
            # A decision always has its reason and its officer.
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(decision_reason="") & Q(decided_at__isnull=False)),
                name="appeal_decision_has_reason",
            ),
            models.CheckConstraint(condition=Q(deadline__gt=models.F("filed_at")), name="appeal_deadline_after_filing"),
        ]
        indexes = [
            models.Index(fields=["district", "status", "deadline"], name="appeal_district_due_idx"),
            models.Index(fields=["filer", "filed_at"], name="appeal_filer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class AppealDocument(models.Model):
    """A document attached to an appeal, stored outside the web root under a random name."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to="appeal-documents/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appeal", "uploaded_at", "id"]


class Incident(models.Model):
    """A window of time in which the site failed, recorded by an administrator; published on the timeline."""

    starts_at = models.DateTimeField(_("failure started at"))
    ends_at = models.DateTimeField(_("fixed at"))
    description = models.TextField(_("what failed"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="incident_window_valid")]


class RemedyAction(models.Model):
    """What was done for one wronged item (an application, offer, voucher or payment statement) by an appeal or incident."""

    class Outcome(models.TextChoices):
        RESTORED = "restored", _("restored")
        POSITION_KEPT = "position_kept", _("the place is taken: the queue position is kept")
        NOT_POSSIBLE = "not_possible", _("could not be restored")
        PENDING = "pending", _("waiting for another step")
        ALREADY_RESTORED = "already_restored", _("already restored earlier")

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="remedy_actions")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="remedy_actions")
    item_kind = models.CharField(max_length=20, choices=Appeal.SubjectKind.choices)
    item_id = models.PositiveBigIntegerField()
    remedy = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # The record the remedy made: a new offer, voucher or application (empty when none).
    new_item_id = models.PositiveBigIntegerField(null=True, blank=True)
    beyond_quota = models.BooleanField(default=False, help_text="A reinstated voucher beyond the campaign's quota")
    note = models.TextField(blank=True)
    executed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    executed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["executed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(appeal__isnull=False) & Q(incident__isnull=True)) | (Q(appeal__isnull=True) & Q(incident__isnull=False)),
                name="remedy_one_source",
            ),
            # A wrong is restored once, whichever appeal or incident restores it.
            models.UniqueConstraint(fields=["item_kind", "item_id"], condition=Q(outcome="restored"), name="remedy_restored_once"),
            models.UniqueConstraint(fields=["incident", "item_kind", "item_id"], name="remedy_once_per_incident"),
            models.UniqueConstraint(fields=["appeal"], name="remedy_once_per_appeal"),
        ]
