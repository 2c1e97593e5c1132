"""The Talkable envelope: {"ok": true, "result": ...} or {"ok": false, "error_message": ...}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpResponse

from goodword.core import clock

# The zone the current request's answer is written in: its site's, set once when the API key
# names the site (api/v2/auth.py), UTC until then. A context variable rather than an argument
# threaded through every serializer: the site is known once per request, and a serializer that
# forgot the argument would silently write UTC.
_response_zone: ContextVar[tzinfo] = ContextVar("goodword_response_zone", default=UTC)


def response_zone_set(zone: tzinfo) -> None:
    _response_zone.set(zone)


@contextmanager
def response_zone_scope() -> Iterator[None]:
    """One request: whatever zone its authentication sets is forgotten when it ends, so a
    thread's next request starts from UTC again."""
    token = _response_zone.set(UTC)
    try:
        yield
    finally:
        _response_zone.reset(token)


def format_time(value: datetime | None) -> str | None:
    """A moment as the API writes it: `core.clock.format_time` in the request's site's zone.
    Serializers import it from here."""
    return clock.format_time(value, _response_zone.get())


def _default(value: Any) -> Any:
    # Money goes out as a JSON number, as Talkable sends it; it is stored as Decimal.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(body: Any) -> bytes:
    return json.dumps(body, default=_default, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200) -> HttpResponse:
    content = dumps(body)
    response = HttpResponse(content, status=status, content_type="application/json")
    # Without it the WSGI server falls back to chunked encoding.
    response["Content-Length"] = str(len(content))
    return response


def ok(result: Any = None, *, status: int = 200) -> HttpResponse:
    body: dict[str, Any] = {"ok": True}
    if result is not None:
        body["result"] = result
    return json_response(body, status)


def error(message: str, *, status: int = 400, **extra: Any) -> HttpResponse:
    return json_response({"ok": False, "error_message": message, **extra}, status)
