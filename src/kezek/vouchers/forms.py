"""Forms of the voucher pages: they check the shape only; the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kezek.organisations.models import Group, Language
from kezek.vouchers.models import VoucherCampaign
from kezek.vouchers.services.sections import SECTION_KINDS

KIND_CHOICES = [(k.value, k.label) for k in SECTION_KINDS]
MAX_STAGES = 3


class CatalogueFilterForm(forms.Form):
    district = forms.TypedChoiceField(label=_("District"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("any kind")), *KIND_CHOICES])
    age = forms.IntegerField(label=_("Child's age, years"), required=False, min_value=0, max_value=18)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("any language")), *Language.choices])
    free = forms.BooleanField(label=_("Only with free places"), required=False)

    def __init__(self, *args: Any, districts: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("any district"))] + [(d.pk, f"{d.region.name}: {d.name}") for d in districts]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "district_id": data.get("district"), "kind": data.get("kind") or None, "age_years": data.get("age"),
            "language": data.get("language") or None, "free_only": bool(data.get("free")),
        }


class ChildChoiceForm(forms.Form):
    child_iin = forms.ChoiceField(label=_("Child"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, children: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child_iin"].choices = [(c.iin, f"{c.full_name} ({c.birth_date:%d.%m.%Y})") for c in children]


class PlaceForm(forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    accept_agreement = forms.BooleanField(label=_("I accept the agreement with the provider"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(ReasonForm):
    number = forms.CharField(label=_("Voucher number"), max_length=16)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    district = forms.TypedChoiceField(label=_("District"), coerce=int, empty_value=None, required=False,
                                      help_text=_("Leave empty for the whole region."))
    period_start = forms.DateField(label=_("Period starts"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period ends"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Voucher kind"), choices=VoucherCampaign.Kind.choices)
    policy = forms.ChoiceField(label=_("Policy"), choices=VoucherCampaign.Policy.choices)
    quota = forms.IntegerField(label=_("Quota"), min_value=1, max_value=10_000_000)
    monthly_value = forms.IntegerField(label=_("Monthly value, tenge"), min_value=1, max_value=10_000_000)
    min_age = forms.IntegerField(label=_("Youngest age, years"), min_value=0, max_value=18, initial=4)
    max_age = forms.IntegerField(label=_("Oldest age, years"), min_value=0, max_value=18, initial=17)
    use_priority_classes = forms.BooleanField(label=_("Priority classes by social status (lottery)"), required=False)
    applications_close_at = forms.DateTimeField(label=_("Applications close at (lottery)"), required=False,
                                                widget=DateTimeLocalInput())

    def __init__(self, *args: Any, districts: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("whole region"))] + [(d.pk, d.name) for d in districts]
        for n in range(1, MAX_STAGES + 1):
            self.fields[f"stage{n}_opens_at"] = forms.DateTimeField(
                label=_("Stage %(n)s opens at") % {"n": n}, required=n == 1, widget=DateTimeLocalInput()
            )
            self.fields[f"stage{n}_share"] = forms.IntegerField(
                label=_("Stage %(n)s share") % {"n": n}, required=n == 1, min_value=1, max_value=10_000_000
            )

    def stages(self) -> list[tuple[dt.datetime, int]]:
        data = self.cleaned_data
        return [
            (data[f"stage{n}_opens_at"], data[f"stage{n}_share"])
            for n in range(1, MAX_STAGES + 1)
            if data.get(f"stage{n}_opens_at") and data.get(f"stage{n}_share")
        ]


class ChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (published)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    monthly_value = forms.IntegerField(label=_("Monthly value, tenge"), min_value=1, max_value=10_000_000, required=False)
    period_end = forms.DateField(label=_("Period ends"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    stage = forms.IntegerField(label=_("Move stage number"), min_value=1, max_value=99, required=False)
    stage_opens_at = forms.DateTimeField(label=_("to"), required=False, widget=DateTimeLocalInput())

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {k: data[k] for k in ("title", "monthly_value", "period_end") if data.get(k)}
        if data.get("stage") and data.get("stage_opens_at"):
            changes["stage_times"] = {data["stage"]: data["stage_opens_at"]}
        return changes


class SectionForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    monthly_price = forms.IntegerField(label=_("Monthly price, tenge"), min_value=0, max_value=10_000_000, required=False)

    class Meta:
        model = Group
        fields = ["name", "kind", "age_min_months", "age_max_months", "language", "capacity", "schedule",
                  "monthly_price", "address"]
