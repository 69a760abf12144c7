"""The append-only audit trail: each event carries the hash of the one before it (a hash chain)."""

from django.db import models


class AppendOnlyError(PermissionError):
    """Raised by any attempt to rewrite or remove audit events through the ORM."""

    def __init__(self) -> None:
        super().__init__("audit events are append-only")


class AppendOnlyQuerySet(models.QuerySet):
    # Every ORM path that rewrites or removes rows, including the internal ones bulk and cascade use.
    def update(self, **kwargs):
        raise AppendOnlyError()

    def _update(self, values):
        raise AppendOnlyError()

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError()

    def delete(self):
        raise AppendOnlyError()

    def _raw_delete(self, using):
        raise AppendOnlyError()

    def bulk_create(self, objs, *args, **kwargs):
        # Appending skips the chain unless it goes through audit_record, one event at a time.
        raise AppendOnlyError()


class AppendOnlyModel(models.Model):
    """Rows written once and never rewritten or removed through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError()


class AuditEvent(AppendOnlyModel):
    """Who did what to which object, before and after, when; ``hash`` covers all of it and ``prev_hash``."""

    seq = models.BigIntegerField(unique=True, help_text="Position in the chain, from 1, without gaps")
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="accounts.User id; kept if the user is removed")
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]


class AuditHead(models.Model):
    """The chain's head: locking this row serialises appends so every event links to its predecessor."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)


class AuditCheckpoint(AppendOnlyModel):
    """A published (seq, hash) of the chain: outsiders keep copies and check the chain still extends it."""

    seq = models.BigIntegerField(unique=True, help_text="The audit event this checkpoint pins")
    hash = models.CharField(max_length=64, help_text="That event's hash when the checkpoint was published")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seq"]
        constraints = [models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_checkpoint_seq_positive")]
