"""Domain errors carry a stable code, an English message template and a hint, filled from parameters."""

from __future__ import annotations

import pytest

from kezek.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    gettext_noop,
)


def test_gettext_noop_returns_the_message_unchanged():
    assert gettext_noop("Hello %(name)s") == "Hello %(name)s"


@pytest.mark.parametrize(
    ("cls", "code", "kind"),
    [
        (DomainError, "domain_error", "invalid"),
        (InvalidInput, "invalid_input", "invalid"),
        (NotFound, "not_found", "not_found"),
        (Forbidden, "forbidden", "forbidden"),
        (Conflict, "conflict", "conflict"),
    ],
)
def test_each_kind_has_a_stable_code(cls, code, kind):
    error = cls()
    assert (error.code, error.kind) == (code, kind)
    assert isinstance(error, DomainError) and str(error) == error.message


def test_message_code_and_hint_can_be_given_per_raise():
    error = InvalidInput("Child %(iin)s is too old.", code="child_too_old", hint="Choose a club.", iin="190523501236")
    assert (error.code, error.hint, error.message) == ("child_too_old", "Choose a club.", "Child %(iin)s is too old.")
    assert str(error) == "Child 190523501236 is too old."
    assert error.params == {"iin": "190523501236"}


def test_subclass_defaults_are_not_changed_by_one_instance():
    InvalidInput(code="one_off", hint="x")
    assert (InvalidInput.code, InvalidInput.hint) == ("invalid_input", "")


def test_render_leaves_templates_without_parameters_alone():
    error = Conflict("100% taken")  # a literal % must survive when there are no parameters
    assert str(error) == "100% taken"
    assert error.render("") == ""


def test_rate_limited_carries_retry_after_into_its_hint():
    error = RateLimited(retry_after=42)
    assert error.retry_after == 42 and error.params == {"retry_after": 42}
    assert error.render(error.hint) == "Wait 42 seconds and try again."
    assert (error.code, error.kind, str(error)) == ("rate_limited", "rate_limited", "Too many attempts.")


def test_rate_limited_with_a_custom_message():
    error = RateLimited("Too many codes for %(phone)s.", retry_after=5, phone="+77011234567")
    assert str(error) == "Too many codes for +77011234567."
