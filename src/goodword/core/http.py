"""Request helpers shared by the API and the public pages."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP: the first X-Forwarded-For hop when the operator trusts their proxy
    (GOODWORD_TRUST_X_FORWARDED_FOR), else the socket's peer."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # Proxies write `unknown` or worse; only a real address is taken.
        first = _valid(forwarded.split(",")[0])
        if first is not None:
            return first
    return _valid(request.META.get("REMOTE_ADDR", ""))


def _valid(value: str) -> str | None:
    try:
        return normalise_ip(value)
    except ValueError:
        return None


def normalise_ip(value: str) -> str:
    """One spelling per address: an IPv4 client seen through a dual-stack socket
    (`::ffff:198.51.100.7`) is stored as plain IPv4, so it matches the same client elsewhere.
    ValueError when it is not an address."""
    address = ipaddress.ip_address(value.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
