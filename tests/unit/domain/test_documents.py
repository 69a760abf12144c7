"""Document type from content: PDF, JPEG or PNG only, with size limits."""

import pytest

from kezek.domain.documents import (
    JPEG,
    PDF,
    PNG,
    DocumentEmpty,
    DocumentTooLarge,
    DocumentTypeNotAllowed,
    check_document,
    sniff_document,
)

MB5 = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # Windows executable
        (b"\x7fELF\x02\x01\x01\x00", None),  # Linux executable
        (b"#!/bin/sh\nrm -rf /", None),  # script
        (b"GIF89a", None),
        (b"PK\x03\x04", None),  # zip / docx
        (b"%PD", None),  # truncated signature
        (b"", None),
    ],
)
def test_sniff_document(head, expected):
    assert sniff_document(head) == expected


@pytest.mark.parametrize("head", [b"%PDF-1.4", b"\xff\xd8\xff\xdb", b"\x89PNG\r\n\x1a\n"])
def test_check_document_accepts_pdf_jpeg_png_up_to_the_limit(head):
    assert check_document(head=head, size=MB5, max_bytes=MB5) == sniff_document(head)


@pytest.mark.parametrize("head", [b"MZ\x90\x00", b"\x7fELF\x02", b"#!/usr/bin/env python"])
def test_an_executable_renamed_pdf_is_refused_by_content(head):
    with pytest.raises(DocumentTypeNotAllowed) as exc:
        check_document(head=head, size=1000, max_bytes=MB5)
    assert exc.value.code == "document_type_not_allowed"
    assert "PDF, JPEG or PNG" in exc.value.message


def test_too_large_says_the_limit_in_mb():
    with pytest.raises(DocumentTooLarge) as exc:
        check_document(head=b"%PDF-1.4", size=MB5 + 1, max_bytes=MB5)
    assert exc.value.code == "document_too_large"
    assert "5 MB" in str(exc.value)
    assert exc.value.params == {"max_mb": "5"}


def test_small_limits_are_shown_with_decimals():
    with pytest.raises(DocumentTooLarge) as exc:
        check_document(head=b"%PDF-1.4", size=600 * 1024, max_bytes=512 * 1024)
    assert exc.value.params == {"max_mb": "0.50"}


@pytest.mark.parametrize(("head", "size"), [(b"", 0), (b"", 10), (b"%PDF-", 0)])
def test_empty_file_is_refused(head, size):
    with pytest.raises(DocumentEmpty) as exc:
        check_document(head=head, size=size, max_bytes=MB5)
    assert exc.value.code == "document_empty"
