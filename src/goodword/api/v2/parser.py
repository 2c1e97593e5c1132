"""JSON bodies, refusing text no database can store and nesting deeper than MAX_JSON_DEPTH."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.parser import Parser

from goodword.core.validators import MAX_JSON_DEPTH

# Only bodies that spell a NUL or a surrogate as an escape can carry one (raw control characters
# are not valid JSON), so the walk below runs only when one of these appears.
_SUSPECT = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


# A JSON string (its escapes included), and every byte that is not a bracket.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the valid JSON `body` nests lists and objects deeper than `limit`.

    Done on the bytes, without recursion: with the strings taken out and only brackets left,
    each pass removes the innermost empty pairs, so a document of depth d is gone after d passes.
    Every step is a C-level scan, so a 10 MB batch costs milliseconds, and a body with few
    brackets none at all."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    for _ in range(limit):
        brackets, removed = _EMPTY_PAIR.subn(b"", brackets)
        if not brackets or not removed:
            return False
    return True


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
        too_deep = HttpError(
            400, f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
        )
        try:
            data = json.loads(body)
        except RecursionError:  # nested far beyond the limit
            raise too_deep from None
        if nesting_exceeds(body, MAX_JSON_DEPTH):
            raise too_deep
        if _SUSPECT.search(body):
            path = bad_text_path(data)
            if path:
                raise HttpError(
                    400, f"`{path}` must not contain NUL characters or unpaired surrogates"
                )
        return data
