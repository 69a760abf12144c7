"""Personal data: a parent's request to erase their data, and the record that a person was anonymised."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureRequest(models.Model):
    """A parent asks for their and their children's data to be erased; an administrator acts on it."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for an administrator")
        DONE = "done", _("anonymised")
        REFUSED = "refused", _("refused")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="erasure_requests")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("why you want your data erased"), blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "done", "refused"]), name="erasure_status_valid"),
            models.UniqueConstraint(fields=["person"], condition=Q(status="open"), name="erasure_one_open_per_person"),
            models.CheckConstraint(condition=Q(status="open") | Q(decided_at__isnull=False), name="erasure_decided_has_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.status})"


class Anonymisation(models.Model):
    """A person whose identifying details were replaced by placeholders: once, never undone."""

    person = models.OneToOneField("people.Person", on_delete=models.PROTECT, related_name="anonymisation")
    reason = models.TextField()
    # Kept as a plain id: the requester may be anonymised in turn, or be "the retention task" (empty).
    requested_by_id = models.BigIntegerField(null=True, blank=True)
    anonymised_at = models.DateTimeField(default=timezone.now)
    removed = models.JSONField(default=dict, help_text="What was removed or replaced, by kind (counts)")

    class Meta:
        ordering = ["-anonymised_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="anonymisation_has_reason")]
