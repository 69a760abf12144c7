"""Storing an uploaded file on a model's file field, with no half-written file left behind when the disk is full.

Django's file storage leaves the partly written file in place when a write fails (no space, quota); the
services that store documents call ``upload_store`` instead, which removes it and raises ``StorageFull``:
the user sees a clear message, and the caller's transaction rolls back, so no row points at a missing file.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from django.db.models.fields.files import FieldFile

from kezek.domain.errors import DomainError, gettext_noop

log = logging.getLogger("kezek.uploads")

# No space left on the device, the disk quota exceeded, or the file larger than the file system allows.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class StorageFull(DomainError):
    code = "storage_full"
    kind = "insufficient_storage"
    message = gettext_noop("The document could not be stored: our file storage is full.")
    hint = gettext_noop("Nothing was saved. Please try again later.")


def upload_store(*, field_file: FieldFile, name: str, content: Any) -> str:
    """Write ``content`` to ``field_file`` as ``name`` (rule: a failed write leaves no file); returns the stored name.

    Does not save the model: the caller saves its row afterwards, in its transaction, and deletes the
    stored file if that transaction fails.
    """
    field = field_file.field
    storage = field_file.storage
    # Where the storage will write: names are random, so the path is free and nobody else's file is removed.
    target = field.generate_filename(field_file.instance, name)
    try:
        field_file.save(name, content, save=False)
    except OSError as exc:
        _remove_partial(storage, target)
        if exc.errno in FULL_ERRNOS:
            log.error("upload storage full: %s", exc)
            raise StorageFull() from exc
        raise
    return field_file.name


def _remove_partial(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # the partial file is already gone, or the storage cannot say: nothing more to do here
        log.warning("could not remove the partly written upload %s", name)
