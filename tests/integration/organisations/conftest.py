import pytest

from kezek.accounts.models import Role, User
from tests.factories.geo import district


@pytest.fixture
def yesil():
    return district("astana-yesil")


@pytest.fixture
def baikonur():
    return district("astana-baikonur")


def make_staff(username: str, **fields) -> User:
    return User.objects.create_user(username=username, password="correct horse battery", is_staff=True, **fields)


@pytest.fixture
def officer(yesil):
    return make_staff("officer-yesil", role=Role.OFFICER, district=yesil)


@pytest.fixture
def other_officer(baikonur):
    return make_staff("officer-baikonur", role=Role.OFFICER, district=baikonur)


@pytest.fixture
def administrator():
    return User.objects.create_superuser(username="root", password="correct horse battery")
