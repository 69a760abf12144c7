import pytest

from tests.factories.accounts import make_officer
from tests.factories.geo import district


@pytest.fixture(autouse=True)
def _db(db):
    """Every voucher test uses the database."""


@pytest.fixture
def yesil():
    return district("astana-yesil")


@pytest.fixture
def officer(yesil):
    return make_officer(yesil)
