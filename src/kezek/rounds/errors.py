"""Errors of allocation rounds, each with a stable code, a message and what to do about it."""

from __future__ import annotations

from kezek.domain.errors import Conflict, InvalidInput, NotFound, gettext_noop


class RoundNotFound(NotFound):
    code = "round_not_found"
    message = gettext_noop("Round not found.")
    hint = gettext_noop("Open the list of rounds and choose one.")


class RoundPlaceNotFound(NotFound):
    code = "round_place_not_found"
    message = gettext_noop("This group is not part of the round.")
    hint = gettext_noop("Reload the round's page and choose a group from its list of places.")


class InvalidRoundTitle(InvalidInput):
    code = "round_title_invalid"
    message = gettext_noop("Give the round a title of 1 to 200 characters.")
    hint = gettext_noop("For example: Summer allocation 2026, Yesil district.")


class InvalidRoundChoice(InvalidInput):
    code = "round_choice_invalid"
    message = gettext_noop("Unknown %(field)s: %(value)s.")
    hint = gettext_noop("Choose one of the options in the list.")


class NaiveTime(InvalidInput):
    code = "round_time_without_zone"
    message = gettext_noop("Every time in the timetable needs a date, a time and a time zone.")
    hint = gettext_noop("Enter the times again with the date and the time.")


class RoundNotDraft(Conflict):
    code = "round_not_draft"
    message = gettext_noop("The round is already announced: its timetable and places are frozen.")
    hint = gettext_noop("Change a group's places with a written reason instead; the change is shown publicly.")


class GroupNotInDistrict(InvalidInput):
    code = "round_group_not_in_district"
    message = gettext_noop("This group does not belong to an approved kindergarten of the round's district.")
    hint = gettext_noop("Choose a group of a kindergarten in the district.")


class InvalidPlaces(InvalidInput):
    code = "round_places_invalid"
    message = gettext_noop("The number of places must be a whole number from 0 to %(max)s.")
    hint = gettext_noop("Enter how many children the group can take in this round.")


class InvalidAgeGroup(InvalidInput):
    code = "round_age_group_invalid"
    message = gettext_noop("The age group must be a number from 0 to 9999, for example the children's birth year.")
    hint = gettext_noop("Enter the queue age group the places are for.")


class NoPlaces(Conflict):
    code = "round_has_no_places"
    message = gettext_noop("The round has no places yet.")
    hint = gettext_noop("Add at least one group with places, then announce the round.")


class ChangeReasonRequired(InvalidInput):
    code = "round_change_reason_required"
    message = gettext_noop("A change after announcement needs a written reason.")
    hint = gettext_noop("Write why the number of places or the date changes; the reason is shown publicly.")


class ChangeNotAllowed(Conflict):
    code = "round_change_not_allowed"
    message = gettext_noop("The places of a round that is %(status)s cannot be changed.")
    hint = gettext_noop("Places change with a reason after announcement, but not while the round runs or after it is closed.")


class NothingChanged(InvalidInput):
    code = "round_change_empty"
    message = gettext_noop("The number of places and the date are the same as before.")
    hint = gettext_noop("Enter the new number of places or the new date.")


class PlacesBelowTaken(Conflict):
    code = "round_places_below_taken"
    message = gettext_noop("%(taken)s places of this group are already offered or taken; the number cannot go below that.")
    hint = gettext_noop("Enter %(taken)s or more.")


class RunTooEarly(Conflict):
    code = "round_run_too_early"
    message = gettext_noop("The round is announced to run at %(runs_at)s; it cannot run earlier.")
    hint = gettext_noop("Run it at or after the announced time.")


class RunTwice(Conflict):
    code = "round_cannot_run_twice"
    message = gettext_noop("This round has already run; a round cannot run twice.")
    hint = gettext_noop("Its result is published on the round's public page.")


class RunAlreadyRequested(Conflict):
    code = "round_run_requested"
    message = gettext_noop("The run of this round is already queued or under way.")
    hint = gettext_noop("Follow its progress on the round's page.")


class RunNotRequested(Conflict):
    code = "round_run_not_requested"
    message = gettext_noop("Nobody has asked for this round to run yet.")
    hint = gettext_noop("Press Run on the round's page first, or give --officer to this command.")
