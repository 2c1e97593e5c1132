"""Talkable's API authentication: the key as a Bearer token, or as the HTTP Basic user name
with an empty password (`curl -u KEY:`)."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest
from ninja.security.base import AuthBase

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
        return site_for_key(key_from_header(request.META.get("HTTP_AUTHORIZATION", "")))
