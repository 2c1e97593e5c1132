"""The Talkable envelope: {"ok": true, "result": ...} or {"ok": false, "error_message": ...}."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpResponse

# The API writes moments as webhooks do; serializers import it from here.
from goodword.core.clock import format_time as format_time


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
