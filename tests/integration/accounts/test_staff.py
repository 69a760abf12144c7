import pytest

from kezek.accounts import services
from kezek.accounts.errors import SigninFailed, SigninRateLimited
from kezek.accounts.permissions import OutOfScope, RoleRequired, require_district, require_organisation
from kezek.audit.models import AuditEvent
from tests.factories.accounts import (
    STAFF_PASSWORD,
    make_admin,
    make_officer,
    make_parent,
    make_provider_staff,
)
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db
IP = "192.0.2.10"


def test_staff_sign_in_with_password_and_it_is_audited():
    officer = make_officer()
    user = services.staff_authenticate(username=officer.username, password=STAFF_PASSWORD, ip=IP)
    assert user.pk == officer.pk
    assert AuditEvent.objects.filter(action="accounts.signin.staff", object_id=str(officer.pk)).exists()


@pytest.mark.parametrize("case", ["wrong_password", "unknown_login", "inactive", "parent", "empty"])
def test_every_failure_gives_the_same_generic_answer(case):
    officer = make_officer()
    username, password = officer.username, STAFF_PASSWORD
    if case == "wrong_password":
        password = "not-the-password"
    elif case == "unknown_login":
        username = "nobody-here"
    elif case == "inactive":
        officer.is_active = False
        officer.save()
    elif case == "parent":
        parent = make_parent()
        parent.set_password(STAFF_PASSWORD)
        parent.save()
        username = parent.username
    else:
        password = ""
    with pytest.raises(SigninFailed) as exc:
        services.staff_authenticate(username=username, password=password, ip=IP)
    assert (exc.value.code, exc.value.message) == ("signin_failed", "The login or the password is wrong.")


def test_failed_attempts_are_limited_per_login_and_per_address(settings):
    settings.KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN = 3
    officer = make_officer()
    for _ in range(3):
        with pytest.raises(SigninFailed):
            services.staff_authenticate(username=officer.username, password="wrong", ip=IP)
    # Even the right password is refused now, from any address.
    with pytest.raises(SigninRateLimited) as exc:
        services.staff_authenticate(username=officer.username, password=STAFF_PASSWORD, ip="192.0.2.99")
    assert 0 < exc.value.retry_after <= 900
    # The address that failed three times is limited for other logins too.
    other = make_officer()
    with pytest.raises(SigninRateLimited):
        services.staff_authenticate(username=other.username, password=STAFF_PASSWORD, ip=IP)
    assert services.staff_authenticate(username=other.username, password=STAFF_PASSWORD, ip="192.0.2.50").pk == other.pk


def test_successful_sign_ins_do_not_use_up_the_limit(settings):
    settings.KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN = 2
    officer = make_officer()
    # A refusal would raise; each of the four sign-ins must return the officer.
    for _ in range(4):
        assert services.staff_authenticate(username=officer.username, password=STAFF_PASSWORD, ip=IP) == officer


def test_officer_acts_only_in_their_district():
    home, other = district("astana-yesil"), district("astana-saryarka")
    officer = make_officer(district=home)
    require_district(officer, home.pk)
    with pytest.raises(OutOfScope) as exc:
        require_district(officer, other.pk)
    assert exc.value.code == "out_of_scope" and exc.value.kind == "forbidden"
    require_district(make_admin(), other.pk)
    with pytest.raises(RoleRequired):
        require_district(make_parent(), home.pk)


def test_provider_staff_act_only_for_their_organisation():
    own, foreign = make_organisation(), make_organisation(district="astana-saryarka")
    staff = make_provider_staff(own)
    require_organisation(staff, own)
    with pytest.raises(OutOfScope):
        require_organisation(staff, foreign)
    require_organisation(make_officer(district=own.district), own)
    with pytest.raises(OutOfScope):
        require_organisation(make_officer(district=own.district), foreign)
