"""Why an attendance request was refused (stable codes for the API and the pages)."""

from kezek.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, gettext_noop


class SessionNotFound(NotFound):
    code = "attendance_session_not_found"
    message = gettext_noop("There is no such session.")
    hint = gettext_noop("Open the group's attendance page and choose the session from there.")


class GroupNotFound(NotFound):
    code = "attendance_group_not_found"
    message = gettext_noop("There is no such group among yours.")
    hint = gettext_noop("Open the attendance page and choose one of your groups.")


class SheetNotFound(NotFound):
    code = "attendance_sheet_not_found"
    message = gettext_noop("There is no such attendance sheet among your children's.")
    hint = gettext_noop("Open your children's attendance sheets and choose one from there.")


class ContestNotFound(NotFound):
    code = "attendance_contest_not_found"
    message = gettext_noop("There is no such contested day.")
    hint = gettext_noop("Open the list of contested days and choose one from there.")


class ChildNotOnRoster(InvalidInput):
    code = "attendance_child_not_on_roster"
    message = gettext_noop("This child is not on the group's roster for the session's day.")
    hint = gettext_noop("Reload the roster: the child may have left the group.")


class ClientIdReused(Conflict):
    code = "attendance_client_id_reused"
    message = gettext_noop("This mark id was already used for another child or session.")
    hint = gettext_noop("Reload the roster page and mark again.")


class SessionInFuture(InvalidInput):
    code = "attendance_session_in_future"
    message = gettext_noop("A session cannot be marked before its day.")
    hint = gettext_noop("Mark the children on the day of the session.")


class NotAParent(Forbidden):
    code = "attendance_not_a_parent"
    message = gettext_noop("Only a parent signed in by SMS can check a child in.")
    hint = gettext_noop("Sign in with your phone number, then scan the code again.")


class NoChildInGroup(Forbidden):
    code = "attendance_no_child_in_group"
    message = gettext_noop("None of your children is on this group's roster.")
    hint = gettext_noop("Only a legal representative of a child in this group can check in here.")


class AlreadyCheckedIn(Conflict):
    code = "attendance_already_checked_in"
    message = gettext_noop("Your child is already checked in for this session.")
    hint = gettext_noop("Nothing more to do: the check-in is recorded.")


class CheckInExpired(Forbidden):
    code = "attendance_checkin_expired"
    message = gettext_noop("This check-in page has expired.")
    hint = gettext_noop("Scan the code shown at the section again.")


class DayNotOnSheet(InvalidInput):
    code = "attendance_day_not_on_sheet"
    message = gettext_noop("One of the chosen days is not on this sheet.")
    hint = gettext_noop("Choose days from the sheet's list.")


class NoDayChosen(InvalidInput):
    code = "attendance_no_day_chosen"
    message = gettext_noop("Choose at least one day to contest.")
    hint = gettext_noop("Tick the days your child did not attend.")
