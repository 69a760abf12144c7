import pytest

from tests.factories.accounts import make_provider_staff
from tests.factories.attendance import make_roster, make_session
from tests.factories.organisations import make_group


@pytest.fixture(autouse=True)
def _db(db):
    """Every attendance test uses the database."""


@pytest.fixture
def group():
    return make_group(capacity=30)


@pytest.fixture
def staff(group):
    return make_provider_staff(group.organisation)


@pytest.fixture
def families(group):
    """Three children enrolled in the group, each with their parent's account: [(parent, child), ...]."""
    return make_roster(group, children=3)


@pytest.fixture
def session(group, families):
    return make_session(group)
