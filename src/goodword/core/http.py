"""Request helpers shared by the API and the public pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from goodword.core.validators import ip_address_normalise


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
    """The address as stored (see `core.validators.ip_address_normalise`); ValueError when it
    is not one the database takes."""
    return ip_address_normalise(value)
