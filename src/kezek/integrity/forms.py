"""Forms of the integrity pages: they check the shape only; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DisputeForm(forms.Form):
    since = forms.DateField(
        label=_("Not attending since"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The first day your child did not attend; leave empty if the child never attended."),
    )
    reason = forms.CharField(label=_("What is wrong"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
