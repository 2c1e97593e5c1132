"""Pure: find a person's identifying values in text and JSON and replace them.

An email becomes the person's replacement address (so rows that matched on it still match one
another, pseudonymously); every other value (names, phone, IPs, user agents, addresses,
customer id, username) becomes `[erased]` inside longer text, and null where it is a whole JSON
string. Matching ignores case and needs a non-alphanumeric character (or the edge) on both
sides, so "1.2.3.4" is not found in "11.2.3.45" nor "Al" in "Also"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

ERASED = "[erased]"
# Shorter values would match too much ordinary text to be safe to replace.
MIN_LENGTH = 3


class Scrubber:
    def __init__(self, *, emails: dict[str, str], values: Iterable[str]) -> None:
        """`emails`: each address (lower case) and its replacement; `values`: the rest."""
        self._emails = {e.lower(): r for e, r in emails.items() if e}
        others = {v.strip().lower() for v in values if v and len(v.strip()) >= MIN_LENGTH}
        self._values = others - set(self._emails)
        needles = sorted(set(self._emails) | self._values, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![A-Za-z0-9])(?:"
                + "|".join(re.escape(n) for n in needles)
                + r")(?![A-Za-z0-9])",
                re.IGNORECASE,
            )
            if needles
            else None
        )

    def _swap(self, match: re.Match[str]) -> str:
        return self._emails.get(match.group(0).lower(), ERASED)

    def text(self, value: str) -> str:
        """`value` with every identifying value replaced."""
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(self._swap, value)

    def whole(self, value: str) -> str | None:
        """A string that is one value as a whole: its replacement email, or None."""
        key = value.strip().lower()
        if key in self._emails:
            return self._emails[key]
        if key in self._values:
            return None
        return self.text(value)

    def json(self, value: Any) -> Any:
        """A JSON document with every string scrubbed (keys are the program's, not people's)."""
        if isinstance(value, str):
            return self.whole(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value
