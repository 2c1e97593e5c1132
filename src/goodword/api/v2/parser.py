"""JSON bodies, refusing text no database can store."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.parser import Parser

# Only bodies that spell a NUL or a surrogate as an escape can carry one (raw control characters
# are not valid JSON), so the walk below runs only when one of these appears.
_SUSPECT = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


def _bad(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_text_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string no database can store, or None."""
    if isinstance(value, str):
        return path or "body" if _bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _bad(str(key)):
                return here
            found = bad_text_path(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_text_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


class TalkableParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        body = request.body
        data = json.loads(body)
        if _SUSPECT.search(body):
            path = bad_text_path(data)
            if path:
                raise HttpError(
                    400, f"`{path}` must not contain NUL characters or unpaired surrogates"
                )
        return data
