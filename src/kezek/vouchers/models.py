"""Club voucher campaigns, their opening stages and public changes, applications, vouchers and agreements."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kezek.domain.vouchers import HELD_STATUSES, SEATED_STATUSES


def new_public_id() -> str:
    # Public ids name applications in the published lottery: they must not reveal the child.
    return secrets.token_hex(8)


def new_voucher_number() -> str:
    return secrets.token_hex(5).upper()


class VoucherCampaign(models.Model):
    """An officer's campaign: where, for which period and ages, how many vouchers, and how they are given."""

    class Kind(models.TextChoices):
        TARGETED = "targeted", _("targeted (state providers)")
        UNIVERSAL = "universal", _("universal (private providers)")

    class Policy(models.TextChoices):
        FIRST_COME = "first_come", _("first come, first served")
        LOTTERY = "lottery", _("lottery")
        QUEUE = "queue", _("queue")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ANNOUNCED = "announced", _("announced")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    title = models.CharField(_("title"), max_length=200)
    region = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    # Empty: the whole region.
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    kind = models.CharField(_("voucher kind"), max_length=16, choices=Kind.choices)
    policy = models.CharField(_("policy"), max_length=16, choices=Policy.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    quota = models.PositiveIntegerField(_("quota"))
    monthly_value = models.PositiveIntegerField(_("monthly value, tenge"))
    min_age = models.PositiveSmallIntegerField(_("youngest age, years"))
    max_age = models.PositiveSmallIntegerField(_("oldest age, years"))
    use_priority_classes = models.BooleanField(_("priority classes by social status"), default=False)
    # Lottery: applications are collected from the first stage until this time, then drawn.
    applications_close_at = models.DateTimeField(_("applications close at"), null=True, blank=True)
    # Vouchers of queue and lottery campaigns held now (first_come counts in its rush pools instead).
    held = models.PositiveIntegerField(default=0)
    announced_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    # Lottery: the seed stays secret until the draw; its SHA-256 commitment is public from the announcement.
    seed_hex = models.CharField(max_length=64, blank=True)
    seed_commitment = models.CharField(max_length=64, blank=True)
    seed_revealed = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="campaign_period_valid"),
            models.CheckConstraint(condition=Q(min_age__lte=F("max_age")), name="campaign_ages_valid"),
            models.CheckConstraint(condition=Q(quota__gte=1), name="campaign_quota_positive"),
            models.CheckConstraint(condition=Q(held__lte=F("quota")), name="campaign_held_within_quota"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(announced_at__isnull=False), name="campaign_announced_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(policy="lottery") | Q(status="draft") | ~Q(seed_commitment=""),
                name="campaign_lottery_has_commitment",
            ),
        ]
        indexes = [models.Index(fields=["status", "policy"], name="campaign_status_policy_idx")]

    def __str__(self) -> str:
        return self.title


class CampaignStage(models.Model):
    """One opening of a campaign: when it opens and its share of the quota (frozen once announced)."""

    campaign = models.ForeignKey(VoucherCampaign, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField()
    opens_at = models.DateTimeField(_("opens at"))
    share = models.PositiveIntegerField(_("share of the quota"))
    # first_come: the waiting room and the pool of this stage (kezek.rush), made at the announcement.
    opening = models.OneToOneField("rush.Opening", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pool = models.OneToOneField("rush.Pool", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaign_stage_number_uniq"),
            models.CheckConstraint(condition=Q(share__gte=1), name="campaign_stage_share_positive"),
        ]


class CampaignChange(models.Model):
    """A change made after the announcement: always with a reason, always public."""

    campaign = models.ForeignKey(VoucherCampaign, on_delete=models.CASCADE, related_name="changes")
    summary = models.CharField(max_length=500)
    reason = models.TextField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["campaign", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="campaign_change_has_reason")]


class VoucherApplication(models.Model):
    """A child waiting for a voucher of a lottery or queue campaign."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        ISSUED = "issued", _("voucher issued")
        NOT_ELIGIBLE = "not_eligible", _("already holds a voucher of this kind")
        WITHDRAWN = "withdrawn", _("withdrawn")

    campaign = models.ForeignKey(VoucherCampaign, on_delete=models.PROTECT, related_name="applications")
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    priority_class = models.PositiveSmallIntegerField(default=2)
    registered_at = models.DateTimeField(default=timezone.now)
    # Lottery: hex HMAC-SHA256(seed, public_id), filled in at the draw; ``rank`` is the place in the drawn order.
    lottery_number = models.CharField(max_length=64, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100)

    class Meta:
        ordering = ["campaign", "rank", "priority_class", "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "child"], name="voucher_application_one_per_child"),
            models.UniqueConstraint(fields=["applicant", "idempotency_key"], name="voucher_application_idempotency"),
        ]
        indexes = [models.Index(fields=["campaign", "status", "rank"], name="voucher_app_order_idx")]


class Voucher(models.Model):
    """One child's voucher: issued, then placed in a section, accepted by the provider and active."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        PLACED = "placed", _("waiting for the provider")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        RELEASED = "released", _("given back")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    number = models.CharField(max_length=16, unique=True, default=new_voucher_number)
    campaign = models.ForeignKey(VoucherCampaign, on_delete=models.PROTECT, related_name="vouchers")
    # Copied from the campaign so the database can keep one held voucher per child and kind.
    kind = models.CharField(max_length=16, choices=VoucherCampaign.Kind.choices)
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="vouchers")
    holder = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="vouchers")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ISSUED)
    section = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers")
    stage = models.ForeignKey(CampaignStage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    application = models.OneToOneField(
        VoucherApplication, on_delete=models.PROTECT, null=True, blank=True, related_name="voucher"
    )
    pool_claim = models.OneToOneField("rush.PoolClaim", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=Q(status__in=sorted(HELD_STATUSES)),
                name="voucher_one_held_per_child_kind",
            ),
            # A voucher keeps a place in a section exactly while it is placed, active or suspended.
            models.CheckConstraint(
                condition=Q(status__in=sorted(SEATED_STATUSES), section__isnull=False)
                | (~Q(status__in=sorted(SEATED_STATUSES)) & Q(section__isnull=True)),
                name="voucher_section_when_seated",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="voucher_campaign_status_idx")]

    def __str__(self) -> str:
        return self.number


class VoucherAgreement(models.Model):
    """The electronic parent–provider agreement for one placement: both accept the same text hash."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="agreements")
    section = models.ForeignKey("organisations.Group", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    parent_accepted_at = models.DateTimeField()
    provider_accepted_at = models.DateTimeField(null=True, blank=True)
    provider_actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["voucher", "parent_accepted_at", "id"]


class VoucherEvent(models.Model):
    """The voucher's history as the family sees it; decisions carry their reason."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("issued")
        PLACED = "placed", _("section chosen")
        ACCEPTED = "accepted", _("accepted by the provider")
        DECLINED = "declined", _("declined by the provider")
        MOVED = "moved", _("moved to another section")
        SUSPENDED = "suspended", _("suspended")
        RESUMED = "resumed", _("resumed")
        RELEASED = "released", _("given back")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["voucher", "occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["cancelled", "suspended"]) | ~Q(reason=""), name="voucher_decision_has_reason"
            )
        ]
