"""Why an organisation or group change was refused (stable codes for the API and the back office)."""

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop


class RequiredField(InvalidInput):
    code = "required"
    message = gettext_noop("The %(field)s must not be empty.")
    hint = gettext_noop("Fill it in and save again.")


class InvalidChoice(InvalidInput):
    code = "invalid_choice"
    message = gettext_noop("“%(value)s” is not a valid %(field)s.")
    hint = gettext_noop("Pick one of the listed values.")


class InvalidLanguages(InvalidInput):
    code = "invalid_languages"
    message = gettext_noop("Languages of instruction must be one or more of Kazakh (kk), Russian (ru) and English (en).")
    hint = gettext_noop("Tick at least one language from the list.")


class InvalidAgeRange(InvalidInput):
    code = "invalid_age_range"
    message = gettext_noop("The age range %(age_min_months)s–%(age_max_months)s months is not possible.")
    hint = gettext_noop("Give ages between 0 and %(limit)s months, the youngest not above the oldest.")


class InvalidCapacity(InvalidInput):
    code = "invalid_capacity"
    message = gettext_noop("The capacity must be a whole number of places, 0 or more.")
    hint = gettext_noop("Enter the number of places in the group.")


class BinTaken(Conflict):
    code = "bin_taken"
    message = gettext_noop("An organisation with the BIN %(bin)s is already registered.")
    hint = gettext_noop("Find that organisation in the list instead of registering it again.")


class AlreadyApproved(Conflict):
    code = "already_approved"
    message = gettext_noop("This organisation is already approved.")
    hint = gettext_noop("Nothing to do: reload the page to see its current status.")
