"""The transactional outbox: messages written with the change that causes them, delivered by the worker."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class OutboxMessage(models.Model):
    """One message to one recipient, already rendered in the recipient's language."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    idempotency_key = models.CharField(max_length=100, unique=True, default=uuid.uuid4)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254, help_text="E.164 phone or e-mail address")
    language = models.CharField(max_length=2)
    template = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "available_at"], name="outbox_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sent", "failed"]), name="outbox_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=["sms", "email"]), name="outbox_channel_valid"),
            models.CheckConstraint(condition=Q(language__in=["kk", "ru", "en"]), name="outbox_language_valid"),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.template}, {self.status})"
