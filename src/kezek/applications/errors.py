"""Errors of the kindergarten queue, each with a stable code, a message and what to do about it.

Each helper adds its classes under its own header (append only).
"""

from __future__ import annotations

from kezek.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, gettext_noop

# --- G: applying, the personal cabinet ----------------------------------------------------------


class ChildNotInRegistry(NotFound):
    code = "child_not_in_registry"
    message = gettext_noop("No child with this IIN is in the civil registry.")
    hint = gettext_noop(
        "Check the IIN on the birth certificate. If it is right, contact the civil registry office (ЗАГС/АХАЖ) "
        "or a Public Service Centre (ЦОН/ХҚКО)."
    )


class NotARegistryParent(Forbidden):
    code = "not_a_registry_person"
    message = gettext_noop("Only a parent signed in with their mobile number can apply for a kindergarten place.")
    hint = gettext_noop("Sign in with your mobile number as the child's parent or legal representative.")


class NotLegalRepresentative(Forbidden):
    code = "not_legal_representative"
    message = gettext_noop("The civil registry does not list you as this child's legal representative, so you cannot apply for them.")
    hint = gettext_noop(
        "The parent or guardian the registry lists must apply. If you are the child's legal representative, "
        "have the registry record updated at a Public Service Centre (ЦОН/ХҚКО) and apply again."
    )


class OnStopList(Forbidden):
    code = "on_stop_list"
    message = gettext_noop("You cannot apply until %(until)s: a benefit right you claimed was found false.")
    hint = gettext_noop("Apply again after %(until)s. To dispute the decision, contact your district's education department.")


class DistrictNotFound(InvalidInput):
    code = "district_not_found"
    message = gettext_noop("There is no such district.")
    hint = gettext_noop("Choose the district from the list.")


class InvalidLanguage(InvalidInput):
    code = "invalid_language"
    message = gettext_noop("The language of instruction must be Kazakh (kk) or Russian (ru).")
    hint = gettext_noop("Choose Kazakh or Russian.")


class NoPreferences(InvalidInput):
    code = "no_preferences"
    message = gettext_noop("Choose at least one kindergarten.")
    hint = gettext_noop("Search the kindergartens of your district and add up to %(max)s in order of preference.")


class TooManyPreferences(InvalidInput):
    code = "too_many_preferences"
    message = gettext_noop("You can choose at most %(max)s kindergartens; you chose %(count)s.")
    hint = gettext_noop("Keep the %(max)s you prefer most, in order of preference.")


class DuplicatePreference(InvalidInput):
    code = "duplicate_preference"
    message = gettext_noop("The same kindergarten is chosen twice.")
    hint = gettext_noop("Choose each kindergarten once, in order of preference.")


class KindergartenNotAvailable(InvalidInput):
    code = "kindergarten_not_available"
    message = gettext_noop("Kindergarten number %(index)s in your list is not an approved kindergarten of the chosen district.")
    hint = gettext_noop("Choose kindergartens from the search for your district.")


class NotEnoughPhones(InvalidInput):
    code = "not_enough_phones"
    message = gettext_noop("Give at least %(min)s different mobile phone numbers.")
    hint = gettext_noop("Add another Kazakhstan mobile number, for example a relative's, so we can always reach you.")


class DuplicatePhone(InvalidInput):
    code = "duplicate_phone"
    message = gettext_noop("Phone number %(index)s is the same as number %(first)s.")
    hint = gettext_noop("Give two different mobile numbers.")


class InvalidApplicationPhone(InvalidInput):
    code = "invalid_phone"
    message = gettext_noop("Phone number %(index)s is not a Kazakhstan mobile number.")
    hint = gettext_noop("Type the mobile number with the country code, for example +7 701 123 45 67.")


class InvalidEmail(InvalidInput):
    code = "invalid_email"
    message = gettext_noop("This e-mail address is not valid.")
    hint = gettext_noop("Check the address, for example name@example.kz.")


class EmailRequired(InvalidInput):
    code = "email_required"
    message = gettext_noop("An e-mail address is needed to receive notifications by e-mail.")
    hint = gettext_noop("Give an e-mail address or choose SMS notifications.")


class InvalidChannel(InvalidInput):
    code = "invalid_channel"
    message = gettext_noop("Notifications can be sent by SMS or e-mail only.")
    hint = gettext_noop("Choose SMS or e-mail.")


class InvalidNotifyLanguage(InvalidInput):
    code = "invalid_notify_language"
    message = gettext_noop("Notifications can be sent in Kazakh, Russian or English only.")
    hint = gettext_noop("Choose kk, ru or en.")


class UnknownBenefit(InvalidInput):
    code = "unknown_benefit"
    message = gettext_noop("Unknown benefit right: %(kind)s.")
    hint = gettext_noop("Choose benefit rights from the list.")


class ApplicationExists(Conflict):
    code = "application_exists"
    message = gettext_noop("This child already has a kindergarten application, queue number %(queue_number)s.")
    hint = gettext_noop("Open it in your personal cabinet to change it; a child can have only one application.")


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    message = gettext_noop("Application not found.")
    hint = gettext_noop("Open your applications in the personal cabinet.")


class ApplicationClosed(Conflict):
    code = "application_closed"
    message = gettext_noop("This application is %(status)s and can no longer be changed.")
    hint = gettext_noop("Submit a new application if the child still needs a place.")


# --- H: benefit rights and their documents ------------------------------------------------------


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    message = gettext_noop("Benefit right not found.")
    hint = gettext_noop("Open the application in your personal cabinet to see its benefit rights.")


class ClaimAlreadyLive(Conflict):
    code = "claim_exists"
    message = gettext_noop("This benefit right is already claimed or confirmed on the application.")
    hint = gettext_noop("Upload the document for the existing claim instead of claiming the right again.")


class ClaimNotPending(Conflict):
    code = "claim_not_pending"
    message = gettext_noop("This benefit right has already been decided (%(status)s).")
    hint = gettext_noop("Reload the page to see the current decision.")


class ClaimHasNoDocument(Conflict):
    code = "claim_has_no_document"
    message = gettext_noop("No document has been uploaded for this benefit right yet.")
    hint = gettext_noop("Wait until the parent uploads the document, or reject the claim with a reason.")


class DecisionReasonRequired(InvalidInput):
    code = "reason_required"
    message = gettext_noop("Give the reason for the rejection.")
    hint = gettext_noop("Write what is wrong with the document, so the parent knows what to do.")


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = gettext_noop("Document not found.")
    hint = gettext_noop("Open the benefit right in the personal cabinet to upload or see its document.")


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message = gettext_noop("The Idempotency-Key header must be 1 to 100 visible ASCII characters.")
    hint = gettext_noop("Send a UUID as the Idempotency-Key, the same one for every retry of the same submission.")


class StartDateInPast(InvalidInput):
    code = "start_date_in_past"
    message = gettext_noop("The desired start date is in the past.")
    hint = gettext_noop("Choose today or a later date.")
