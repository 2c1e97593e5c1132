"""JSON bodies, refusing text no database can store and nesting deeper than MAX_JSON_DEPTH."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

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


_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


def nest_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rails-style form parameters (`data[email]=..`, `data[items][][price]=..`,
    `data[coupon_codes][]=..`) as the JSON object a client would have sent."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        if not head:
            raise HttpError(400, f"`{name}` is not a valid parameter name")
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            child: Any = value if last else ([] if following == "" else {})
            if isinstance(node, list):
                # `items[][price]`: a new element when the last one already has this key.
                if part != "":
                    raise HttpError(400, f"`{name}` is not a valid parameter name")
                if last or not node or not isinstance(node[-1], dict) or following in node[-1]:
                    node.append(child)
                node = node[-1]
                continue
            if not isinstance(node, dict) or part == "":
                raise HttpError(400, f"`{name}` is not a valid parameter name")
            if last:
                node[part] = value
            else:
                existing = node.setdefault(part, child)
                if type(existing) is not type(child):
                    raise HttpError(400, f"`{name}` mixes an array and an object")
                node = existing
    root.pop("api_key", None)
    return root


class TalkableParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type == "application/x-www-form-urlencoded":
            # Talkable accepts form-encoded bodies as well as JSON.
            # In the order sent: `items[][price]=1&items[][quantity]=2&items[][price]=3` makes two
            # items only when read in order.
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise HttpError(400, "The form-encoded body is not valid UTF-8") from None
            data = nest_form(parse_qsl(text, keep_blank_values=True))
            path = bad_text_path(data)
            if path:
                raise HttpError(
                    400, f"`{path}` must not contain NUL characters or unpaired surrogates"
                )
            return data
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
