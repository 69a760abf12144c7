"""Why a voucher, campaign or section request was refused (stable codes for the API and the pages)."""

from kezek.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, gettext_noop


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message = gettext_noop("There is no such voucher campaign.")
    hint = gettext_noop("Open the list of campaigns and choose one from there.")


class VoucherNotFound(NotFound):
    code = "voucher_not_found"
    message = gettext_noop("There is no such voucher among yours.")
    hint = gettext_noop("Open your vouchers and choose one from there.")


class SectionNotFound(NotFound):
    code = "section_not_found"
    message = gettext_noop("There is no such club section.")
    hint = gettext_noop("Choose a section from the catalogue.")


class StageNotFound(NotFound):
    code = "stage_not_found"
    message = gettext_noop("This campaign has no such stage.")
    hint = gettext_noop("Open the campaign page and follow the link of the stage that is open.")


class NotAParent(Forbidden):
    code = "not_a_registry_parent"
    message = gettext_noop("Only a parent signed in by SMS can claim a voucher.")
    hint = gettext_noop("Sign in with your phone number.")


class ChildNotInRegistry(InvalidInput):
    code = "child_not_in_registry"
    message = gettext_noop("No child with this IIN is in the civil registry.")
    hint = gettext_noop("Check the IIN against the birth certificate.")


class NotLegalRepresentative(Forbidden):
    code = "not_legal_representative"
    message = gettext_noop("Only the child's legal representative can claim a voucher for the child.")
    hint = gettext_noop("The registry does not list you as this child's parent or guardian.")


class ChildOutsideArea(InvalidInput):
    code = "voucher_child_area"
    message = gettext_noop("This campaign is for children living in %(area)s.")
    hint = gettext_noop("Look for the campaign of the child's district.")


class VoucherHeld(Conflict):
    code = "voucher_already_held"
    message = gettext_noop("The child already holds a %(kind)s voucher.")
    hint = gettext_noop("A child can hold one voucher of each kind at a time; open your vouchers to use it.")


class AlreadyApplied(Conflict):
    code = "voucher_already_applied"
    message = gettext_noop("The child has already applied in this campaign.")
    hint = gettext_noop("Open your vouchers to see the application.")


class CampaignNotOpen(Conflict):
    code = "campaign_not_open"
    message = gettext_noop("This campaign is not taking claims now.")
    hint = gettext_noop("Look at the campaign page for the times of its stages.")


class StageNotOpen(Conflict):
    code = "stage_not_open"
    message = gettext_noop("This stage has not opened yet.")
    hint = gettext_noop("Wait in the waiting room: it lets you through when the stage opens.")


class WrongPolicy(Conflict):
    code = "campaign_wrong_policy"
    message = gettext_noop("This campaign gives vouchers by %(policy)s, not this way.")
    hint = gettext_noop("Follow the link on the campaign page.")


class ApplicationsClosed(Conflict):
    code = "campaign_applications_closed"
    message = gettext_noop("Applications to this campaign are closed.")
    hint = gettext_noop("Look for another campaign.")


class NotYetDrawn(Conflict):
    code = "campaign_not_drawable"
    message = gettext_noop("The lottery can be drawn only once, after applications close.")
    hint = gettext_noop("Wait until %(closes)s.")


class SectionUnavailable(Conflict):
    code = "section_unavailable"
    message = gettext_noop("This section is not open for vouchers.")
    hint = gettext_noop("Choose an approved, active club section from the catalogue.")


class SectionWrongProvider(SectionUnavailable):
    code = "section_wrong_provider"
    message = gettext_noop("A %(kind)s voucher pays only %(ownership)s providers.")
    hint = gettext_noop("Choose a section of a %(ownership)s provider.")


class SectionWrongArea(SectionUnavailable):
    code = "section_wrong_area"
    message = gettext_noop("This section is outside the campaign's area.")
    hint = gettext_noop("Choose a section in %(area)s.")


class SectionWrongAge(SectionUnavailable):
    code = "section_wrong_age"
    message = gettext_noop("This section does not take children of %(years)s.")
    hint = gettext_noop("Filter the catalogue by the child's age.")


class SectionFull(Conflict):
    code = "section_full"
    message = gettext_noop("This section has no free place left.")
    hint = gettext_noop("Choose another section with free places.")


class SameSection(Conflict):
    code = "voucher_same_section"
    message = gettext_noop("The voucher is already in this section.")
    hint = gettext_noop("Choose a different section to move to.")


class NothingToAccept(Conflict):
    code = "voucher_not_waiting_for_provider"
    message = gettext_noop("This voucher is not waiting for your acceptance.")
    hint = gettext_noop("Reload the page to see the current placements.")


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message = gettext_noop("The Idempotency-Key header must be 1 to 100 visible ASCII characters.")
    hint = gettext_noop("Send a random key such as a UUID, and the same key when you retry.")


class InvalidValue(InvalidInput):
    code = "invalid_value"
    message = gettext_noop("The %(field)s is not valid.")
    hint = gettext_noop("Correct it and send again.")


class TargetedWithoutQueue(InvalidInput):
    code = "campaign_targeted_no_queue"
    message = gettext_noop("Targeted vouchers are not given by queue.")
    hint = gettext_noop("Choose first come or lottery for a targeted campaign.")


class AgreementNotAccepted(InvalidInput):
    code = "agreement_not_accepted"
    message = gettext_noop("You need to accept the agreement with the provider to choose this section.")
    hint = gettext_noop("Read the agreement and tick the box to accept it.")


class NotAClubProvider(InvalidInput):
    code = "not_a_club_provider"
    message = gettext_noop("Club sections can be opened only by a club provider.")
    hint = gettext_noop("Kindergarten groups are maintained in the back office.")


class SectionAlreadyApproved(Conflict):
    code = "section_already_approved"
    message = gettext_noop("This section is already approved.")
    hint = gettext_noop("Nothing to do: reload the page to see its current status.")


class InvalidPrice(InvalidInput):
    code = "invalid_price"
    message = gettext_noop("The monthly price must be a whole number of tenge, 0 or more.")
    hint = gettext_noop("Enter the price of one month in the section.")
