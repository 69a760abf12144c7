"""Payment pages at /payments/: providers see their statements; officers see their district's (late ones first
and marked), generate and refresh drafts, approve them and add adjustment lines. CSV and PDF exports.

Thin views: forms check the shape, services and selectors check the rules and the scope; a refusal is shown on
the page in the user's language, never as a server error.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kezek.accounts.models import Role
from kezek.accounts.permissions import is_admin
from kezek.core.errors import error_text
from kezek.domain import payments as rules
from kezek.domain.errors import DomainError
from kezek.payments import documents, selectors, services
from kezek.payments.forms import AdjustmentForm, GenerateForm
from kezek.payments.models import Statement, StatementLine
from kezek.accounts.decorators import role_required

app_name = "payments"
LIST_LIMIT = 300


def _can_decide(user) -> bool:
    return is_admin(user) or user.role == Role.OFFICER


def _month_filter(request: HttpRequest):
    text = request.GET.get("month", "").strip()
    if not text:
        return None, ""
    try:
        return rules.parse_month(text, today=timezone.localdate()), ""
    except DomainError as exc:
        return None, error_text(exc)


@role_required(Role.PROVIDER_STAFF, Role.OFFICER)
@require_http_methods(["GET", "POST"])
def statement_list(request: HttpRequest) -> HttpResponse:
    officer = _can_decide(request.user)
    organisations = list(selectors.organisations_for_officer(user=request.user)) if officer else []
    form = GenerateForm(request.POST or None, organisations=organisations) if officer else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            organisation = next(o for o in organisations if o.pk == form.cleaned_data["organisation"])
            try:
                month = rules.parse_month(form.cleaned_data["month"], today=timezone.localdate())
                statement = services.statement_generate(organisation=organisation, month=month, actor=request.user)
            except DomainError as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("The draft statement is generated from the attendance."))
                return redirect("payments:detail", statement_id=statement.pk)
    month, filter_alert = _month_filter(request)
    late_only = request.GET.get("late") == "1"
    found = selectors.late_statements(user=request.user) if late_only else selectors.statements_for_user(user=request.user, month=month)
    if late_only and month is not None:
        found = found.filter(month=month)
    today = timezone.localdate()
    rows = [
        (s, selectors.statement_is_late(statement=s, today=today), rules.to_tiyn(Decimal(s.total or 0)))
        for s in found[:LIST_LIMIT]
    ]
    context = {
        "rows": rows, "form": form, "filter_alert": filter_alert, "month": request.GET.get("month", ""), "late_only": late_only,
        "late_count": selectors.late_statements(user=request.user, today=today).count(),
    }
    return render(request, "payments/list.html", context, status=422 if filter_alert or (form is not None and form.errors) else 200)


def _statement(request: HttpRequest, statement_id: int) -> Statement:
    try:
        return selectors.statement_get(user=request.user, statement_id=statement_id)
    except DomainError:
        raise Http404 from None


@role_required(Role.PROVIDER_STAFF, Role.OFFICER)
@require_http_methods(["GET", "POST"])
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _statement(request, statement_id)
    officer = _can_decide(request.user)
    lines = list(selectors.statement_lines(statement=statement))
    attendance = [line for line in lines if line.kind == StatementLine.Kind.ATTENDANCE]
    action = request.POST.get("action", "")
    adjust_form = AdjustmentForm(request.POST if action == "adjust" else None, lines=attendance)
    alert = ""
    if request.method == "POST":
        if not officer:
            raise Http404
        try:
            if action == "approve":
                services.statement_approve(actor=request.user, statement_id=statement.pk)
                messages.success(request, _("The statement is approved and locked."))
            elif action == "regenerate":
                services.statement_regenerate(actor=request.user, statement_id=statement.pk)
                messages.success(request, _("The draft statement is generated from the attendance."))
            elif action == "adjust" and adjust_form.is_valid():
                data = adjust_form.cleaned_data
                services.statement_adjust(actor=request.user, statement_id=statement.pk, amount=data["amount"],
                                          reason=data["reason"], line_id=data["line"])
                messages.success(request, _("The adjustment line is added."))
            else:
                alert = _("Check the form.")
        except DomainError as exc:
            alert = error_text(exc)
        if not alert:
            return redirect("payments:detail", statement_id=statement.pk)
    context = {
        "statement": statement, "lines": lines, "officer": officer, "adjust_form": adjust_form, "alert": alert,
        "totals": selectors.statement_totals(statement=statement), "late": selectors.statement_is_late(statement=statement),
        "intact": selectors.statement_intact(statement=statement),
    }
    return render(request, "payments/detail.html", context, status=422 if alert else 200)


def _filename(statement: Statement, extension: str) -> str:
    return f"statement-{statement.organisation.bin}-{statement.month:%Y-%m}.{extension}"


@role_required(Role.PROVIDER_STAFF, Role.OFFICER)
@require_GET
def statement_csv(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _statement(request, statement_id)
    # With a byte-order mark, spreadsheet programs read the file as UTF-8 (Cyrillic names stay readable).
    response = HttpResponse("\ufeff" + documents.statement_csv(statement=statement, viewer=request.user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, "csv")}"'
    return response


@role_required(Role.PROVIDER_STAFF, Role.OFFICER)
@require_GET
def statement_pdf(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = _statement(request, statement_id)
    response = HttpResponse(documents.statement_pdf(statement=statement, viewer=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(statement, "pdf")}"'
    return response


urlpatterns = [
    path("", statement_list, name="list"),
    path("<int:statement_id>/", statement_detail, name="detail"),
    path("<int:statement_id>/statement.csv", statement_csv, name="csv"),
    path("<int:statement_id>/statement.pdf", statement_pdf, name="pdf"),
]
