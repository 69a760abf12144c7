"""Benefit documents: the type is decided by the file's content (magic bytes), never by its name.

Only PDF, JPEG and PNG are accepted. An executable renamed ``.pdf`` starts with ``MZ``, ``\\x7fELF`` or
``#!`` and so is refused as "not a PDF, JPEG or PNG", whatever its name or declared type says.
"""

from __future__ import annotations

from kezek.domain.errors import InvalidInput, gettext_noop

# How many leading bytes a caller must read for ``sniff_document``.
SNIFF_BYTES = 16

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


class DocumentTypeNotAllowed(InvalidInput):
    code = "document_type_not_allowed"
    message = gettext_noop("The file is not a PDF, JPEG or PNG document.")
    hint = gettext_noop("Upload a scan or photo of the certificate as PDF, JPEG or PNG only.")


class DocumentTooLarge(InvalidInput):
    code = "document_too_large"
    message = gettext_noop("The file is larger than %(max_mb)s MB.")
    hint = gettext_noop("Scan at a lower resolution or compress the file to at most %(max_mb)s MB and upload it again.")


class DocumentEmpty(InvalidInput):
    code = "document_empty"
    message = gettext_noop("The file is empty.")
    hint = gettext_noop("Choose the scanned document again and upload it.")


def sniff_document(head: bytes) -> str | None:
    """The content type the file's first bytes prove (PDF, JPEG or PNG), or None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _megabytes(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g}" if mb >= 1 else f"{mb:.2f}"


def check_document(*, head: bytes, size: int, max_bytes: int) -> str:
    """Refuse an empty, too large or non-PDF/JPEG/PNG file (rule: type checked from content); returns the type."""
    if size <= 0 or not head:
        raise DocumentEmpty()
    if size > max_bytes:
        raise DocumentTooLarge(max_mb=_megabytes(max_bytes))
    content_type = sniff_document(head)
    if content_type is None:
        raise DocumentTypeNotAllowed()
    return content_type
