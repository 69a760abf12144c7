import pytest

from kezek.domain.devices import device_is_new, device_key, device_name, device_network

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (CHROME_ANDROID, "Chrome, Android"),
        (SAFARI_IPHONE, "Safari, iOS"),
        (EDGE_WINDOWS, "Edge, Windows"),
        (FIREFOX_LINUX, "Firefox, Linux"),
        ("curl/8.5.0", "?, ?"),
        ("", "?, ?"),
    ],
)
def test_device_name_is_browser_and_system_from_fixed_lists(user_agent, name):
    assert device_name(user_agent) == name


def test_a_stranger_chosen_user_agent_never_reaches_the_name():
    assert device_name("Chrome/1 <script>alert(1)</script> Android") == "Chrome, Android"


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.250", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        (" unknown ", "unknown"),
    ],
)
def test_device_network_is_the_address_block(ip, network):
    assert device_network(ip) == network


def test_same_browser_on_a_neighbouring_address_is_the_same_device():
    home = device_key(user_agent=CHROME_ANDROID, ip="203.0.113.7")
    assert device_key(user_agent=CHROME_ANDROID.replace("126.0", "127.0"), ip="203.0.113.99") == home
    assert device_key(user_agent=CHROME_ANDROID, ip="198.51.100.7") != home
    assert device_key(user_agent=SAFARI_IPHONE, ip="203.0.113.7") != home


def test_only_an_unseen_device_of_an_account_that_signed_in_before_is_new():
    assert device_is_new(current="a", known=[]) is False
    assert device_is_new(current="a", known=["a", "b"]) is False
    assert device_is_new(current="c", known=["a", "b"]) is True
