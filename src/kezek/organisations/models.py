"""Providers (kindergartens and clubs) and their groups, as data officers maintain."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class Organisation(models.Model):
    """A kindergarten or a club provider, state or private, identified by its BIN."""

    class Kind(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("kindergarten")
        CLUB = "club", _("club provider")

    class Ownership(models.TextChoices):
        STATE = "state", _("state")
        PRIVATE = "private", _("private")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        SUSPENDED = "suspended", _("suspended")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ownership = models.CharField(_("ownership"), max_length=8, choices=Ownership.choices)
    name = models.CharField(_("name"), max_length=255)
    bin = models.CharField("BIN", max_length=12, unique=True)
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="organisations")
    address = models.CharField(_("address"), max_length=255)
    languages = models.JSONField(_("languages of instruction"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(bin__regex=r"^[0-9]{12}$"), name="organisation_bin_12_digits")]
        indexes = [models.Index(fields=["district", "kind"], name="org_district_kind_idx")]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """A kindergarten age group or a club section: who it takes, in which language, and how many."""

    class Kind(models.TextChoices):
        NURSERY = "nursery", _("nursery group")
        JUNIOR = "junior", _("junior group")
        MIDDLE = "middle", _("middle group")
        SENIOR = "senior", _("senior group")
        PRESCHOOL = "preschool", _("pre-school group")
        SPORT = "sport", _("sport")
        ARTS = "arts", _("arts")
        MUSIC = "music", _("music")
        TECHNOLOGY = "technology", _("technology")
        LANGUAGES = "languages", _("languages")
        SCIENCE = "science", _("science")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    age_min_months = models.PositiveSmallIntegerField(_("youngest age, months"))
    age_max_months = models.PositiveSmallIntegerField(_("oldest age, months"))
    language = models.CharField(_("language of instruction"), max_length=2, choices=Language.choices)
    capacity = models.PositiveIntegerField(_("capacity"))
    # Children currently enrolled; the database refuses more than ``capacity``.
    enrolled = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Club sections (issue 5): what parents see in the catalogue; officers approve a new section.
    schedule = models.CharField(_("schedule"), max_length=255, blank=True)
    monthly_price = models.PositiveIntegerField(_("monthly price, tenge"), null=True, blank=True)
    address = models.CharField(_("address, if not the provider's"), max_length=255, blank=True)
    is_approved = models.BooleanField(_("approved"), default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(age_min_months__lte=models.F("age_max_months")), name="group_age_range_valid"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="group_capacity_non_negative"),
            models.CheckConstraint(condition=Q(enrolled__lte=models.F("capacity")), name="group_no_overenrolment"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name}: {self.name}"
