"""Request limits of the API, per client address and per API key, in fixed one-minute windows
counted in each server process (docs/adr/0012-rate-limits.md): over a limit, 429 with
Retry-After in the envelope. Checked before the key is verified, so a flood of bad keys from
one address is stopped by the address limit without a database read."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from goodword.api.v2.auth import key_from_header
from goodword.api.v2.envelope import error
from goodword.core.errors import Unauthorized
from goodword.core.http import client_ip
from goodword.core.ratelimit import Hit, LocalWindows

WINDOW_SECONDS = 60

by_ip = LocalWindows(WINDOW_SECONDS)
by_key = LocalWindows(WINDOW_SECONDS)


def _key_id(request: HttpRequest) -> str:
    """The API key the request carries, as a digest (raw keys are not kept in memory), or ""."""
    try:
        raw = key_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    except Unauthorized:
        return ""
    return hashlib.sha256(raw.encode()).hexdigest()[:32] if raw else ""


def _too_many(hit: Hit, limit: int, per: str) -> HttpResponse:
    response = error(
        f"Too many requests: at most {limit} a minute per {per}. "
        f"Retry in {hit.retry_after} seconds.",
        status=429,
    )
    response["Retry-After"] = str(hit.retry_after)
    return response


def rate_limited(request: HttpRequest) -> HttpResponse | None:
    """The 429 answer when this request is over a limit (and counted), else None."""
    per_ip = int(settings.API_RATE_PER_IP)
    if per_ip > 0:
        hit = by_ip.hit(client_ip(request) or "-")
        if hit.over(per_ip):
            return _too_many(hit, per_ip, "client address")
    per_key = int(settings.API_RATE_PER_KEY)
    if per_key > 0:
        key = _key_id(request)
        if key:
            hit = by_key.hit(key)
            if hit.over(per_key):
                return _too_many(hit, per_key, "API key")
    return None


class ApiRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = rate_limited(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def forget_counts() -> None:
    """Start every window afresh (tests)."""
    by_ip.clear()
    by_key.clear()
