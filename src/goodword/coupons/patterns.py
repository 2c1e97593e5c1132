"""Coupon code patterns: how Goodword makes an advocate's personal coupon code when the campaign
says so (docs/offers.md). Pure: no database; the caller makes codes unique per site (a
database constraint on the offer's code, and a retry on collision).

The language is small on purpose, so that any shop can create the code it is sent:

- letters, digits, `-` and `_` stand for themselves;
- `{RANDOMn}` stands for n random characters (n from 1 to 16) drawn from upper-case letters and
  digits without the look-alikes 0, O, 1 and I (32 characters), so an advocate can read a code
  aloud;
- a pattern needs at least 6 random characters in all (32^6, about a billion codes, keeps
  collisions rare on a large site), and makes codes of at most 64 characters.

`REF-{RANDOM6}` makes codes like `REF-7KQ2MX`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MIN_RANDOM = 6
MAX_CODE = 64
_TOKEN_RE = re.compile(r"\{RANDOM(\d{1,2})\}")
_LITERAL_RE = re.compile(r"^[A-Za-z0-9_-]*$")


class PatternError(ValueError):
    """The pattern cannot make codes; the message says why, in the file's words."""


def pattern_parse(pattern: str) -> list[str | int]:
    """The pattern as literal strings and random-run lengths; PatternError when it is not one."""
    parts: list[str | int] = []
    at = 0
    for match in _TOKEN_RE.finditer(pattern):
        parts.append(pattern[at : match.start()])
        parts.append(int(match.group(1)))
        at = match.end()
    parts.append(pattern[at:])
    literals = [p for p in parts if isinstance(p, str)]
    runs = [p for p in parts if isinstance(p, int)]
    for literal in literals:
        if not _LITERAL_RE.match(literal):
            raise PatternError(
                f"may hold only letters, digits, - and _ besides {{RANDOMn}}, not {literal!r}"
            )
    if any(n < 1 or n > 16 for n in runs):
        raise PatternError("{RANDOMn} takes n from 1 to 16")
    if sum(runs) < MIN_RANDOM:
        raise PatternError(
            f"needs at least {MIN_RANDOM} random characters in all, like REF-{{RANDOM6}}"
        )
    if sum(len(p) for p in literals) + sum(runs) > MAX_CODE:
        raise PatternError(f"makes codes longer than {MAX_CODE} characters")
    return [p for p in parts if p != ""]


def pattern_make(pattern: str, *, choice: Callable[[str], str] = secrets.choice) -> str:
    """A code made from a valid pattern; `choice` picks one random character."""
    return "".join(
        part if isinstance(part, str) else "".join(choice(ALPHABET) for _ in range(part))
        for part in pattern_parse(pattern)
    )
