"""What counts as the same device for the new-device sign-in notice.

A device is the browser and operating system the User-Agent names plus the network the request came
from (an IPv4 /24, an IPv6 /48): a browser update or a new address from the same provider's block is
the same device; another browser, another phone or another network is a new one. Only names from the
fixed lists below ever reach a message, never the raw User-Agent a stranger could have chosen.
"""

from __future__ import annotations

import ipaddress

# Order matters: Edge and Opera also say "Chrome/", Chrome also says "Safari/"; Android also says "Linux",
# iPhones also say "Mac OS X".
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("YaBrowser/", "Yandex Browser"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
UNKNOWN = "?"
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def _first(user_agent: str, names: tuple[tuple[str, str], ...]) -> str:
    return next((name for token, name in names if token in user_agent), UNKNOWN)


def device_name(user_agent: str) -> str:
    """The browser and system a User-Agent names, like "Chrome, Android" (rule: no raw User-Agent in messages)."""
    return f"{_first(user_agent, BROWSERS)}, {_first(user_agent, SYSTEMS)}"


def device_network(ip: str) -> str:
    """The block an address belongs to (IPv4 /24, IPv6 /48); an unreadable address stands for itself."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip().lower()
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def device_key(*, user_agent: str, ip: str) -> str:
    """One device: browser, system and network (rule: a sign-in from a new device is notified)."""
    return f"{device_name(user_agent)} @ {device_network(ip)}"


def device_is_new(*, current: str, known: list[str]) -> bool:
    """A device is new when the account has signed in before, but never from it (a first sign-in is not news)."""
    return bool(known) and current not in known
