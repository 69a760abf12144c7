from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you want your data erased (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my children's records will be anonymised and cannot be restored"),
    )


class AnonymiseForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
