"""Talkable's API authentication: the key as a Bearer token, as the HTTP Basic user name with
an empty password (`curl -u KEY:`), or, as Talkable also accepts it, as the `api_key` parameter
(in the query string or a form-encoded body)."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest
from ninja.security.base import AuthBase

from goodword.api.v2.envelope import response_zone_set
from goodword.core.errors import Unauthorized
from goodword.sites.auth import SiteRef, site_for_key


def key_from_header(header: str) -> str:
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        return value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("api_key_invalid", "Invalid API key.") from None
        return decoded.partition(":")[0]
    return ""


class ApiKeyAuth(AuthBase):
    """Verifies the key only; each view then checks `site_slug` against the key's site."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> SiteRef:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        key = key_from_header(header) if header else key_from_params(request)
        site = site_for_key(key)
        # The key decides the site, and so the zone every timestamp of the answer is written in.
        response_zone_set(site.zone)
        return site


def key_from_params(request: HttpRequest) -> str:
    """The `api_key` parameter: in the query string, or in a form-encoded body."""
    key = request.GET.get("api_key")
    if key is None and request.content_type == "application/x-www-form-urlencoded":
        key = request.POST.get("api_key")
    return key.strip() if isinstance(key, str) else ""
