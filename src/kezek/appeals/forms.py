"""Forms of the appeal and incident pages: they check the shape only; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kezek.appeals.models import Appeal
from kezek.domain.appeals import MAX_DOCUMENTS, MAX_REASON_CHARS, MAX_TEXT_CHARS

ACCEPT = "application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); the service checks each file's content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AppealForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the appeal is about"), choices=Appeal.Kind.choices)
    subject_kind = forms.ChoiceField(label=_("Which record"), choices=Appeal.SubjectKind.choices)
    subject_id = forms.IntegerField(
        label=_("Its number"), min_value=1, max_value=2**62,
        help_text=_("The number shown in your cabinet: the application, offer, voucher or payment statement."),
    )
    text = forms.CharField(label=_("What happened"), max_length=MAX_TEXT_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    documents = MultipleFileField(
        label=_("Documents"), required=False, allow_empty_file=True,
        help_text=_("Up to %(count)s files: PDF, JPEG or PNG, at most 5 MB each.") % {"count": MAX_DOCUMENTS},
    )


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Add a document"), allow_empty_file=True, help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("upheld", _("In the filer's favour: run the remedy")), ("rejected", _("Reject"))],
    )
    reason = forms.CharField(label=_("Reason (sent to the filer)"), max_length=MAX_REASON_CHARS, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(
        label=_("Adjustment amount, tenge"), required=False, max_digits=12, decimal_places=2,
        help_text=_("Only for a refused payment: the line added to the approved statement."),
    )


class IncidentForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Failure started at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Fixed at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    description = forms.CharField(label=_("What failed"), max_length=MAX_REASON_CHARS, widget=forms.Textarea(attrs={"rows": 3}))
