"""Openings that draw a crowd: the waiting room's state (without Redis), pools of places and their claims.

The app knows nothing about kindergartens or vouchers: a pool is a number of places, a claim takes one of
them for a holder ("child:<person id>") and the caller's hook creates what the place stands for.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def default_admission_rate() -> float:
    return float(settings.KEZEK_RUSH_DEFAULT_ADMISSION_RATE)


def default_token_ttl() -> int:
    return int(settings.KEZEK_RUSH_TOKEN_TTL_SECONDS)


def default_max_claims_in_flight() -> int:
    return int(settings.KEZEK_RUSH_MAX_CLAIMS_IN_FLIGHT)


class Opening(models.Model):
    """A named moment when places open to everyone: visitors wait in its waiting room and claim from its pools."""

    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    admission_rate = models.FloatField(
        _("admissions per second"), default=default_admission_rate,
        help_text=_("How many visitors the waiting room lets through each second."),
    )
    token_ttl = models.PositiveIntegerField(
        _("pass lifetime (seconds)"), default=default_token_ttl,
        help_text=_("How long an admitted visitor may take to claim."),
    )
    max_claims_in_flight = models.PositiveIntegerField(
        _("claims in progress at most"), default=default_max_claims_in_flight,
        help_text=_("Beyond this many simultaneous claims the site asks visitors to retry in a moment."),
    )
    claim_url = models.CharField(
        _("continue to"), max_length=500, blank=True,
        help_text=_("Path of the page where admitted visitors claim (the pass is added as ?rush_token=...)."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("opening")
        verbose_name_plural = _("openings")
        constraints = [
            models.CheckConstraint(condition=Q(admission_rate__gt=0), name="rush_opening_rate_positive"),
            models.CheckConstraint(condition=Q(token_ttl__gte=10), name="rush_opening_ttl_min"),
            models.CheckConstraint(condition=Q(max_claims_in_flight__gte=1), name="rush_opening_inflight_min"),
            # A local path only, so the waiting room can never send a visitor to another site.
            models.CheckConstraint(
                condition=Q(claim_url="") | (Q(claim_url__startswith="/") & ~Q(claim_url__startswith="//")),
                name="rush_opening_claim_url_local",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Pool(models.Model):
    """A number of places of one kind in an opening; ``taken`` never exceeds ``capacity`` (database check)."""

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="pools")
    key = models.SlugField(_("key"), max_length=80)
    title = models.CharField(_("title"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("taken"), default=0)

    class Meta:
        verbose_name = _("pool of places")
        verbose_name_plural = _("pools of places")
        constraints = [
            models.UniqueConstraint(fields=["opening", "key"], name="rush_pool_opening_key_uniq"),
            models.CheckConstraint(condition=Q(taken__gte=0) & Q(taken__lte=F("capacity")), name="rush_pool_taken_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.opening.slug}/{self.key}"

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.taken)


class PoolClaim(models.Model):
    """One place taken from a pool by an account for a holder; replays of its idempotency key return it."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="claims")
    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="claims")
    holder = models.CharField(_("holder"), max_length=100, help_text='Who the place is for, e.g. "child:<person id>"')
    account = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("claimed place")
        verbose_name_plural = _("claimed places")
        constraints = [
            # A holder keeps at most one place per opening; a released place no longer counts.
            models.UniqueConstraint(
                fields=["opening", "holder"], condition=Q(released_at__isnull=True), name="rush_claim_one_per_holder"
            ),
            models.UniqueConstraint(fields=["account", "idempotency_key"], name="rush_claim_idempotency_uniq"),
            models.CheckConstraint(condition=~Q(holder=""), name="rush_claim_holder_set"),
        ]

    def __str__(self) -> str:
        return f"{self.pool} → {self.holder}"


# --- the waiting room's state when Redis is not configured ---------------------------------------------


class WaitingRoomState(models.Model):
    """Per opening: whether the shuffled arrivals are ranked yet, and the schedule of later arrivals."""

    opening = models.OneToOneField(Opening, on_delete=models.CASCADE, primary_key=True, related_name="+")
    sealed = models.BooleanField(default=False)
    prequeue_size = models.PositiveIntegerField(default=0)
    arrivals = models.PositiveIntegerField(default=0, help_text="Visitors who arrived after the opening")
    last_admission = models.FloatField(null=True, blank=True, help_text="Unix time of the latest scheduled admission")


class QueueEntry(models.Model):
    """One account in one opening's waiting room (the Redis backend keeps the same in Redis)."""

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    order_key = models.BigIntegerField()
    joined_at = models.DateTimeField(default=timezone.now)
    rank = models.PositiveIntegerField(null=True, blank=True)
    admitted_at = models.FloatField(null=True, blank=True, help_text="Unix time of admission, set when ranked")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opening", "account"], name="rush_entry_one_per_account")]
        indexes = [models.Index(fields=["opening", "order_key"], name="rush_entry_order_idx")]


class ClaimInFlight(models.Model):
    """A claim being processed now (load shedding without Redis); rows older than a minute are ignored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["opening", "started_at"], name="rush_inflight_idx")]
