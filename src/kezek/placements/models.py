"""What a round's placement becomes: an offer with a deadline, a referral (направление), a contract, an enrolment."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_check_token() -> str:
    # The QR code carries this token: unguessable, so the public check page reveals nothing to someone guessing.
    return secrets.token_urlsafe(24)


class Offer(models.Model):
    """A place offered to one application, open until its deadline; only the applicant may accept or decline."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for your answer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        ALLOCATION = "allocation", _("allocation round")
        NEXT_IN_LINE = "next_in_line", _("passed on from another child")
        OPEN_TO_ALL = "open_to_all", _("open to all")
        TRANSFER = "transfer", _("transfer")

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="offers")
    place = models.ForeignKey("rounds.RoundPlace", on_delete=models.PROTECT, related_name="offers")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="offers")
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    offered_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(help_text="Exclusive: the offer lapses at this instant")
    decided_at = models.DateTimeField(null=True, blank=True)
    passed_on = models.BooleanField(default=False, help_text="The place went on to the next child after this offer ended")

    class Meta:
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(status="open"), name="offer_one_open_per_application"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "declined", "expired", "cancelled"]), name="offer_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="offer_status_deadline_idx"),
            models.Index(fields=["status", "passed_on"], name="offer_pass_on_idx"),
        ]


class Referral(models.Model):
    """An accepted offer: the направление the parent takes to the kindergarten to sign the contract."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("valid: waiting for the contract")
        CONTRACTED = "contracted", _("contract signed")
        EXPIRED = "expired", _("expired: the contract was not signed in time")
        CANCELLED = "cancelled", _("cancelled")

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="referral")
    number = models.CharField(max_length=64, unique=True)
    check_token = models.CharField(max_length=64, unique=True, default=new_check_token)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField(default=timezone.now)
    contract_deadline = models.DateTimeField(help_text="Exclusive; 5 working days by default")
    extended = models.BooleanField(default=False, help_text="The one extension (up to 30 days) was used")
    extension_reason = models.TextField(blank=True)
    contracted_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["issued", "contracted", "expired", "cancelled"]), name="referral_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "contract_deadline"], name="referral_status_deadline_idx")]


class ReferralSequence(models.Model):
    """The last referral number used in one district and year; its row lock hands out the next number."""

    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="referralseq_district_year_uniq")]


class Enrolment(models.Model):
    """A child attending a kindergarten group; one current kindergarten enrolment per child."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("attending")
        ENDED = "ended", _("ended")

    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="kindergarten_enrolments")
    group = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="enrolments")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="enrolments")
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolment")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child"], condition=Q(status="active"), name="enrolment_one_active_per_child"),
        ]
        indexes = [models.Index(fields=["group", "status"], name="enrolment_group_status_idx")]
