"""Forms of the payment pages: they check the shape; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class GenerateForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Provider"), coerce=int)
    month = forms.CharField(label=_("Month"), max_length=7, help_text=_("As YYYY-MM, a month that has ended."))

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]


class AdjustmentForm(forms.Form):
    amount = forms.CharField(label=_("Amount, tenge"), max_length=20, help_text=_("Negative to reduce the payment, e.g. -1500."))
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    line = forms.TypedChoiceField(label=_("Child and group"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", _("The whole statement"))] + [
            (line.pk, f"{line.child.full_name} · {line.group.name}") for line in lines
        ]
