"""People as the civil registry knows them, keyed by IIN."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class BenefitKind(models.TextChoices):
    LARGE_FAMILY = "large_family", _("large family")
    CHILD_DISABILITY = "child_disability", _("child with a disability")
    PARENT_DISABILITY = "parent_disability", _("legal representative with a disability")
    ORPHAN = "orphan", _("orphan")
    NO_PARENTAL_CARE = "no_parental_care", _("child without parental care")
    SPECIAL_NEEDS = "special_needs", _("special educational needs")
    TEACHER = "teacher", _("child of a teacher")
    MILITARY = "military", _("child of military or special state body personnel")


class Person(models.Model):
    """A person from the registry: the IIN is the identity; the birth date and sex follow from it."""

    iin = models.CharField("IIN", max_length=12, unique=True)
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(
        _("mobile phone"), max_length=16, blank=True, db_index=True, help_text=_("E.164, from the registry of mobile citizens")
    )
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(iin__regex=r"^[0-9]{12}$"), name="person_iin_12_digits")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class LegalRepresentation(models.Model):
    """The registry's record that an adult is a child's legal representative (parent, guardian…)."""

    class Kind(models.TextChoices):
        PARENT = "parent", _("parent")
        GUARDIAN = "guardian", _("guardian")
        ADOPTIVE_PARENT = "adoptive_parent", _("adoptive parent")

    representative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="represented_links")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representative_links")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PARENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["representative", "child"], name="legalrep_pair_uniq"),
            models.CheckConstraint(condition=~Q(representative=models.F("child")), name="legalrep_not_self"),
        ]


class BenefitFact(models.Model):
    """A benefit the state databases confirm for a person (child or parent)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="benefits")
    kind = models.CharField(max_length=32, choices=BenefitKind.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="benefitfact_person_kind_uniq")]
