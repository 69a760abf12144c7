"""Page forms: they check only the shape of what was typed; the services check everything else."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

PHONE_SHAPE = RegexValidator(r"^\+?[0-9 ()\-]{10,20}$", _("Enter a mobile number such as +7 701 234 56 78."))
CODE_SHAPE = RegexValidator(r"^[0-9]{6}$", _("The code is 6 digits."))


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("The number you gave when you registered, for example +7 701 234 56 78."),
        max_length=24,
        validators=[PHONE_SHAPE],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        help_text=_("6 digits. The code is valid for 5 minutes."),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        # Phones paste codes with spaces ("123 456"); the shape check runs on the digits only.
        code = "".join(self.cleaned_data["code"].split())
        CODE_SHAPE(code)
        return code


class StaffSigninForm(forms.Form):
    username = forms.CharField(
        label=_("Login"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"})
    )
    password = forms.CharField(
        label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
