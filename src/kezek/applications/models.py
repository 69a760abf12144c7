"""The kindergarten queue: applications, ranked kindergarten choices, benefit rights and their documents."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kezek.domain.queue import OPEN_STATUSES, PriorityClass, QueueRules
from kezek.people.models import BenefitKind


def new_public_id() -> str:
    # The applicant's public id names a child in published allocation data, so it must not reveal who it is.
    return secrets.token_hex(8)


class RegionQueueRules(models.Model):
    """A region's own numbers for the queue; regions without a row use ``QueueRules()`` defaults."""

    region = models.OneToOneField("geo.Region", on_delete=models.CASCADE, related_name="queue_rules")
    min_age_months = models.PositiveSmallIntegerField(default=QueueRules.min_age_months)
    max_age_years = models.PositiveSmallIntegerField(default=QueueRules.max_age_years)
    age_group_basis = models.CharField(
        max_length=20,
        choices=[("birth_year", _("birth year")), ("years_on_sept_1", _("full years on 1 September"))],
        default=QueueRules.age_group_basis,
    )
    rotation_first_priority = models.PositiveSmallIntegerField(default=QueueRules.rotation_first_priority)
    rotation_general = models.PositiveSmallIntegerField(default=QueueRules.rotation_general)
    extraordinary_confirm_working_days = models.PositiveSmallIntegerField(default=QueueRules.extraordinary_confirm_working_days)
    stop_list_days = models.PositiveSmallIntegerField(default=QueueRules.stop_list_days)
    max_preferences = models.PositiveSmallIntegerField(default=QueueRules.max_preferences)
    min_phones = models.PositiveSmallIntegerField(default=QueueRules.min_phones)
    document_max_bytes = models.PositiveIntegerField(default=QueueRules.document_max_bytes)
    offer_deadline_unit = models.CharField(
        max_length=12,
        choices=[("working_days", _("working days")), ("hours", _("calendar hours"))],
        default=QueueRules.offer_deadline_unit,
    )
    offer_deadline_value = models.PositiveSmallIntegerField(default=QueueRules.offer_deadline_value)
    contract_working_days = models.PositiveSmallIntegerField(default=QueueRules.contract_working_days)
    contract_extension_max_days = models.PositiveSmallIntegerField(default=QueueRules.contract_extension_max_days)
    reactivation_days = models.PositiveSmallIntegerField(default=QueueRules.reactivation_days)

    def as_rules(self) -> QueueRules:
        return QueueRules(**{f: getattr(self, f) for f in QueueRules.__dataclass_fields__})


class Application(models.Model):
    """One child's place in a district's kindergarten queue, kept from its original registration time."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in the queue")
        INACTIVE = "inactive", _("inactive")
        OFFERED = "offered", _("place offered")
        ENROLLED = "enrolled", _("enrolled")
        WITHDRAWN = "withdrawn", _("withdrawn")
        CLOSED = "closed", _("closed")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")

    class Priority(models.IntegerChoices):
        EXTRAORDINARY = PriorityClass.EXTRAORDINARY, _("extraordinary right")
        FIRST = PriorityClass.FIRST, _("first-priority right")
        GENERAL = PriorityClass.GENERAL, _("general queue")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    child = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="kindergarten_applications")
    applicant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="kindergarten_applications")
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    desired_start_date = models.DateField(_("desired start date"))
    language = models.CharField(_("language of instruction"), max_length=2, choices=[("kk", _("Kazakh")), ("ru", _("Russian"))])
    age_group = models.PositiveSmallIntegerField(help_text="From kezek.domain.queue.age_group")
    phones = models.JSONField(_("mobile phones"), help_text="E.164 numbers, at least two distinct")
    email = models.EmailField(_("e-mail"), blank=True)
    notify_channel = models.CharField(_("notification channel"), max_length=8, choices=Channel.choices)
    notify_language = models.CharField(_("notification language"), max_length=2, choices=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    priority_class = models.PositiveSmallIntegerField(choices=Priority.choices, default=PriorityClass.GENERAL)
    priority_since = models.DateTimeField(default=timezone.now, help_text="When the current class took effect")
    registered_at = models.DateTimeField(default=timezone.now, help_text="Original registration time; never changes")
    status_changed_at = models.DateTimeField(default=timezone.now)
    reactivations_used = models.PositiveSmallIntegerField(default=0)
    # A transfer: an enrolled child applies for another kindergarten, keeping the original registration time.
    transfer_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="transfers")
    submission_key = models.CharField(max_length=100, help_text="Idempotency key of the submission")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="application_one_open_per_child",
            ),
            models.UniqueConstraint(fields=["applicant", "submission_key"], name="application_submission_key_uniq"),
            models.CheckConstraint(condition=Q(priority_class__in=[0, 1, 2]), name="application_priority_class_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "inactive", "offered", "enrolled", "withdrawn", "closed"]),
                name="application_status_valid",
            ),
        ]
        indexes = [
            # The queue order of one district and age group: position is a COUNT over this index.
            models.Index(
                fields=["district", "age_group", "status", "priority_class", "registered_at", "id"],
                name="application_queue_order_idx",
            ),
            models.Index(fields=["applicant", "status"], name="application_applicant_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.public_id})"

    @property
    def queue_number(self) -> int:
        """The number the parent is told at once: the application's registration number."""
        return self.pk


class ApplicationPreference(models.Model):
    """A kindergarten the parent chose, by rank (1 is the first choice).

    ``district`` to ``registered_at`` are copies of the application's queue-order keys, so that a position
    among one kindergarten's choosers is a COUNT over ``preference_queue_order_idx`` alone, with no join.
    Only ``kezek.applications.services.queue_keys`` keeps them in step; never set them anywhere else.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="preferences")
    # Indexed as the first column of preference_queue_order_idx; a second index would only slow writes.
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    rank = models.PositiveSmallIntegerField()
    # No index of its own: reads go through the queue-order index, and districts are never deleted.
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+", db_index=False)
    age_group = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Application.Status.choices)
    priority_class = models.PositiveSmallIntegerField(choices=Application.Priority.choices)
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="preference_rank_uniq"),
            models.UniqueConstraint(fields=["application", "organisation"], name="preference_organisation_uniq"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="preference_rank_positive"),
        ]
        indexes = [
            # One kindergarten's choosers in queue order: a per-kindergarten position is one range COUNT here.
            models.Index(
                fields=["organisation", "district", "age_group", "status", "priority_class", "registered_at", "application"],
                name="preference_queue_order_idx",
            ),
        ]


class BenefitClaim(models.Model):
    """A benefit right claimed on an application: confirmed by the registry, or by a document an officer checks."""

    class Source(models.TextChoices):
        REGISTRY = "registry", _("confirmed by the state databases")
        DOCUMENT = "document", _("document")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed by the state databases")
        PENDING = "pending", _("waiting for an officer")
        VERIFIED = "verified", _("verified by an officer")
        REJECTED = "rejected", _("rejected")
        FALSE = "false", _("found false")
        EXPIRED = "expired", _("not confirmed in time")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=32, choices=BenefitKind.choices)
    priority_class = models.PositiveSmallIntegerField(choices=Application.Priority.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    confirm_by = models.DateTimeField(null=True, blank=True, help_text="Deadline for a document (extraordinary rights)")
    document = models.FileField(upload_to="benefit-documents/%Y/%m/", blank=True)
    document_content_type = models.CharField(max_length=40, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(status__in=["confirmed", "pending", "verified"]),
                name="claim_one_live_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "confirm_by"], name="claim_status_deadline_idx")]


class StopListEntry(models.Model):
    """An applicant barred from applying until ``until`` after a benefit right was found false."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="stop_list_entries")
    until = models.DateTimeField()
    reason = models.TextField()
    claim = models.ForeignKey(BenefitClaim, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person", "until"], name="stoplist_person_until_idx")]


class ApplicationEvent(models.Model):
    """Something that happened to one application, shown in its history with its reason."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("application registered")
        CONTACTS_CHANGED = "contacts_changed", _("contact details changed")
        PREFERENCES_CHANGED = "preferences_changed", _("you changed your kindergartens")
        CLAIM_ADDED = "claim_added", _("benefit right claimed")
        CLAIM_VERIFIED = "claim_verified", _("benefit right verified")
        CLAIM_REJECTED = "claim_rejected", _("benefit right rejected")
        CLAIM_FALSE = "claim_false", _("benefit right found false")
        CLAIM_EXPIRED = "claim_expired", _("benefit right not confirmed in time")
        CLASS_CHANGED = "class_changed", _("priority class changed")
        WITHDRAWN = "withdrawn", _("application withdrawn")
        STATUS_CHANGED = "status_changed", _("status changed")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["application", "occurred_at"], name="appevent_app_time_idx")]

