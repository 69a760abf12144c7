"""Forms of the parent's kindergarten pages: they check the shape of what was typed.

The rules themselves (IIN, phones, ages, the registry) are the domain's and the services'; the pages
call them step by step so the parent sees a mistake where it was made, and the service checks all
of it again when the application is submitted.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.domain.phones import normalise_kz_mobile

LANGUAGE_CHOICES = [("kk", _("Kazakh")), ("ru", _("Russian"))]
NOTIFY_LANGUAGE_CHOICES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
CHANNEL_CHOICES = [("sms", _("SMS")), ("email", _("e-mail"))]
OTHER_CHILD = "other"


def _digits(text: str) -> str:
    return "".join((text or "").split())


class ChildForm(forms.Form):
    """Step 1: one of the parent's children from the registry, or another child's IIN."""

    child = forms.ChoiceField(label=_("Your child"), required=False, widget=forms.RadioSelect)
    iin = forms.CharField(
        label=_("Or type the child's IIN"),
        help_text=_("12 digits, from the birth certificate."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c["iin"], _child_label(c)) for c in children]
        self.fields["child"].choices = [*choices, (OTHER_CHILD, _("Another child: I will type the IIN"))]
        if not choices:
            self.fields["child"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        typed = _digits(data.get("iin", ""))
        picked = data.get("child") or ""
        if typed:
            data["child_iin"] = typed
        elif picked and picked != OTHER_CHILD:
            data["child_iin"] = picked
        else:
            self.add_error("iin", _("Choose your child or type the child's IIN."))
        return data


def _child_label(child: dict) -> str:
    label = f"{child['full_name']} · {child['birth_date']:%d.%m.%Y}"
    if child.get("open_application_id"):
        label += " · " + str(_("already in the queue, application %(number)s") % {"number": child["open_application_id"]})
    return label


class DetailsForm(forms.Form):
    """Step 2: where and when the child should start, and in which language."""

    district = forms.ChoiceField(label=_("District"))
    desired_start_date = forms.DateField(
        label=_("Desired start date"),
        help_text=_("The day you would like the child to start going to the kindergarten."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    language = forms.ChoiceField(label=_("Language of instruction"), choices=LANGUAGE_CHOICES, widget=forms.RadioSelect)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(str(d.pk), d.name) for d in districts]

    def clean_district(self) -> int:
        return int(self.cleaned_data["district"])


class PreferencesForm(forms.Form):
    """Step 3 and the cabinet: up to five kindergartens, first choice first (plain selects work without JS)."""

    def __init__(self, *args, kindergartens=(), slots: int = 5, initial_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = slots
        options = [("", _("— none —"))] + [(str(k.pk), _kindergarten_label(k)) for k in kindergartens]
        initial = list(initial_ids)
        for rank in range(1, slots + 1):
            self.fields[f"choice_{rank}"] = forms.ChoiceField(
                label=_("Choice %(rank)s") % {"rank": rank},
                choices=options,
                required=False,
                initial=str(initial[rank - 1]) if rank <= len(initial) else "",
            )

    def choice_fields(self):
        return [self[f"choice_{rank}"] for rank in range(1, self.slots + 1)]

    def clean(self):
        data = super().clean()
        chosen = [int(v) for rank in range(1, self.slots + 1) if (v := data.get(f"choice_{rank}"))]
        if not chosen:
            self.add_error("choice_1", _("Choose at least one kindergarten."))
        elif len(set(chosen)) != len(chosen):
            self.add_error(None, _("Each kindergarten can be chosen only once."))
        data["preferences"] = chosen
        return data


def _kindergarten_label(org) -> str:
    address = getattr(org, "address", "")
    return f"{org.name}, {address}" if address else org.name


class ContactsForm(forms.Form):
    """Step 4 and the cabinet: at least two distinct Kazakhstan mobile numbers, e-mail, channel and language."""

    phone_1 = forms.CharField(
        label=_("Mobile phone 1"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
    )
    phone_2 = forms.CharField(
        label=_("Mobile phone 2"),
        help_text=_("Another number where we can reach you, for example the other parent's."),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"}),
    )
    phone_3 = forms.CharField(
        label=_("Mobile phone 3 (optional)"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    notify_channel = forms.ChoiceField(label=_("Send me news by"), choices=CHANNEL_CHOICES, widget=forms.RadioSelect)
    notify_language = forms.ChoiceField(
        label=_("Language of the messages"), choices=NOTIFY_LANGUAGE_CHOICES, widget=forms.RadioSelect
    )

    def _phone(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        if not text.strip():
            return ""
        try:
            return normalise_kz_mobile(text)
        except DomainError as exc:
            raise forms.ValidationError(error_text(exc)) from None

    def clean_phone_1(self) -> str:
        return self._phone("phone_1")

    def clean_phone_2(self) -> str:
        return self._phone("phone_2")

    def clean_phone_3(self) -> str:
        return self._phone("phone_3")

    def clean(self):
        data = super().clean()
        seen: list[str] = []
        for name in ("phone_1", "phone_2", "phone_3"):
            phone = data.get(name)
            if not phone:
                continue
            if phone in seen:
                self.add_error(name, _("This number is already given above: give a different number."))
            else:
                seen.append(phone)
        data["phones"] = seen
        if data.get("notify_channel") == "email" and not data.get("email"):
            self.add_error("email", _("Give an e-mail address to receive the news by e-mail, or choose SMS."))
        return data

    @classmethod
    def initial_from(cls, *, phones, email, notify_channel, notify_language) -> dict:
        initial = {f"phone_{i}": p for i, p in enumerate(phones[:3], start=1)}
        initial.update(email=email, notify_channel=notify_channel, notify_language=notify_language)
        return initial


class BenefitsForm(forms.Form):
    """Step 5: rights to claim besides those the registry confirms (each needs a document)."""

    claimed = forms.MultipleChoiceField(label=_("Other rights I want to claim"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, claimable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claimed"].choices = list(claimable)


class ConfirmForm(forms.Form):
    """Step 6: the idempotency token the summary was rendered with."""

    token = forms.CharField(max_length=64, widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
