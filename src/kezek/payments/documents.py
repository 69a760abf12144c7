"""A statement as CSV (for the treasury's spreadsheets) and as an A4 PDF (to print and sign), in the active language."""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from kezek.attendance.models import RegionAttendanceRules
from kezek.payments import selectors
from kezek.payments.models import Statement
from kezek.placements.documents import _font
from kezek.privacy.masking import iin_for_viewer

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    # A name or reason that starts like a formula is shown as text by spreadsheets, never run.
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _header(statement: Statement) -> list[tuple[str, str]]:
    organisation = statement.organisation
    totals = selectors.statement_totals(statement=statement)
    approved = timezone.localtime(statement.approved_at).strftime("%d.%m.%Y %H:%M") if statement.approved_at else "—"
    return [
        (_("Provider"), f"{organisation.name} (BIN {organisation.bin})"),
        (_("Month"), statement.month.strftime("%m.%Y")),
        (_("Status"), str(statement.get_status_display())),
        (_("Approved"), approved),
        (_("Payment rule"), _rule_label(statement.payment_rule)),
        (_("Payment due by"), statement.due_on.strftime("%d.%m.%Y")),
        (_("Attendance, tenge"), f"{totals.attendance}"),
        (_("Adjustments, tenge"), f"{totals.adjustments}"),
        (_("Total due, tenge"), f"{totals.total}"),
    ]


def _rule_label(rule: str) -> str:
    return str(dict(RegionAttendanceRules.PaymentRule.choices).get(rule, rule))


def _columns() -> list[str]:
    return [
        _("Line"), _("Kind"), _("Child's IIN"), _("Child"), _("Group"), _("Sessions"), _("Paid"), _("Absent"), _("Contested"),
        _("Upheld"), _("Awaiting the parent"), _("Not confirmed"), _("Monthly value"), _("Amount"), _("Reason"),
    ]


def _rows(statement: Statement, *, viewer=None, escape=_text) -> list[list[str]]:
    # Provider staff get the child's IIN masked (docs/privacy.md); officers checking against the registry, whole.
    rows = []
    for line in selectors.statement_lines(statement=statement):
        rows.append([
            str(line.pk), str(line.get_kind_display()),
            iin_for_viewer(iin=line.child.iin, viewer=viewer) if line.child else "",
            escape(line.child.full_name) if line.child else "", escape(line.group.name) if line.group else "",
            str(line.sessions), str(line.paid), str(line.absent), str(line.contested), str(line.upheld), str(line.awaiting),
            str(line.unconfirmed), str(line.monthly_value), str(line.amount), escape(line.reason),
        ])
    return rows


def statement_csv(*, statement: Statement, viewer=None) -> str:
    """The statement's header, then one row per line (amounts with a dot and two decimals)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in _header(statement):
        writer.writerow([label, _text(value)])
    writer.writerow([])
    writer.writerow(_columns())
    writer.writerows(_rows(statement, viewer=viewer))
    return out.getvalue()


def statement_pdf(*, statement: Statement, viewer=None) -> bytes:
    """The statement as an A4 landscape PDF with DejaVu Sans (Cyrillic and Kazakh letters)."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"{_('Payment statement')} {statement.organisation.name} {statement.month:%m.%Y}")
    pdf.set_creator("Kezek")
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(_font()))
    pdf.set_font("DejaVu", size=16)
    pdf.multi_cell(0, 9, _("Payment statement"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    for label, value in _header(statement):
        pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", size=7)
    widths = (10, 18, 22, 38, 30, 13, 11, 12, 14, 12, 16, 16, 18, 20, 27)
    # Headings in the regular face: only DejaVu Sans regular is bundled.
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4, headings_style=FontFace(emphasis="")) as table:
        table.row(_columns())
        for row in _rows(statement, viewer=viewer, escape=str):
            table.row(row)
    return bytes(pdf.output())
