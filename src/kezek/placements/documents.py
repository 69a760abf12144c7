"""The printed referral: its QR code (pointing at the public check page) and its PDF.

The PDF uses DejaVu Sans, bundled in ``fonts/`` with its licence (Debian's fonts-dejavu-core copy is the
fallback), because the core PDF fonts have no Cyrillic or Kazakh letters.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
import qrcode.image.svg
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from kezek.placements.services._common import shown_deadline

FONT_CANDIDATES = (
    Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf",
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


def _qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> str:
    """An inline SVG QR code of ``data`` (the referral's check URL)."""
    image = _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def _font() -> Path:
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise RuntimeError("DejaVuSans.ttf not found: install fonts-dejavu-core or restore kezek/placements/fonts/")


def _draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    # Drawn as vector squares from the QR matrix: crisp at any zoom, no image library involved.
    matrix = _qr(data).get_matrix()
    cell = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                pdf.rect(x + col * cell, y + row * cell, cell, cell, style="F")


def referral_pdf(*, referral, check_url: str) -> bytes:
    """The referral as a one-page A4 PDF in the active language, with the QR code of its check page."""
    offer = referral.offer
    group = offer.place.group
    application = offer.application
    pdf = FPDF(format="A4")
    pdf.set_title(f"{_('Referral')} {referral.number}")
    pdf.set_creator("Kezek")
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(_font()))
    pdf.set_font("DejaVu", size=18)
    pdf.multi_cell(0, 10, _("Referral to a kindergarten"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=13)
    pdf.multi_cell(0, 8, f"{_('Number')}: {referral.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", size=11)
    rows = [
        (_("Child"), application.child.full_name),
        (_("Kindergarten"), group.organisation.name),
        (_("Address"), group.organisation.address),
        (_("Group"), group.name),
        (_("Place from"), offer.place.frees_on.strftime("%d.%m.%Y")),
        (_("Issued"), timezone.localtime(referral.issued_at).strftime("%d.%m.%Y %H:%M")),
        (_("Sign the contract by"), shown_deadline(referral.contract_deadline)),
        (_("Status"), str(referral.get_status_display())),
    ]
    for label, value in rows:
        pdf.multi_cell(0, 7, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    _draw_qr(pdf, check_url, x=pdf.l_margin, y=top, size=50)
    pdf.set_xy(pdf.l_margin + 56, top)
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(
        0, 6,
        _("Scan the code or open the address below to check that this referral is genuine and still valid:") + "\n" + check_url,
        new_x="LMARGIN", new_y="NEXT",
    )
    return bytes(pdf.output())
