"""The values of a configuration file, read and written in the file's words.

Each reader takes a raw value (what YAML or JSON made of it) and returns the parsed one, or
raises ValueError with the message that follows the value's location in the file
(`must be a three-letter ISO currency code, not 'dollars'`). The models in `schema` put them at
the leaves of the file's structure. Pure: no database, no Django setup needed beyond imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from goodword.core.clock import zone_named
from goodword.core.money import MAX_AMOUNT, to_amount
from goodword.sites.models import SLUG_RE

# Identifiers of campaigns, coupon lists and incentives: what a URL or a CSV column can carry.
IDENTIFIER_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"

# PositiveIntegerField's ceiling on PostgreSQL.
MAX_INTEGER = 2**31 - 1
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"^(\d{1,10})\s*([dhms])$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_url_validator = URLValidator(schemes=["http", "https"])


# ---------------------------------------------------------------- durations and amounts


def parse_duration(value: Any) -> int:
    """Seconds from an integer or a string like `30s`, `15m`, `24h`, `7d`."""
    if isinstance(value, bool):
        raise ValueError("must be a duration: seconds, or a number with s, m, h or d")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION_RE.match(value.strip())):
        seconds = int(match[1]) * _DURATION_UNITS[match[2]]
    else:
        raise ValueError(
            f"must be a duration: seconds, or a number with s, m, h or d (like 24h), not {value!r}"
        )
    if not 0 <= seconds <= MAX_INTEGER:
        raise ValueError(f"must be between 0 and {MAX_INTEGER} seconds")
    return seconds


def format_duration(seconds: int) -> str:
    """The largest whole unit: 86400 → `1d`, 5400 → `90m`, 0 → `0s`."""
    for unit, size in _DURATION_UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def plain_amount(amount: Decimal) -> int | str:
    """An amount for the file: a whole number as a number, anything else as an exact decimal
    string, so that no float ever carries money."""
    if amount == amount.to_integral_value():
        return int(amount)
    return str(amount)


# ---------------------------------------------------------------- readers

Parser = Callable[[Any], Any]


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def string(max_length: int, *, blank: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {type_name(value)}")
        value = value.strip()
        if not value and not blank:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value

    return parse


def pattern(regex: str, what: str) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {type_name(value)}")
        if not re.fullmatch(regex, value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return parse


site_slug = pattern(SLUG_RE, "site slug (1-63 lowercase letters, digits, '-' or '_')")
identifier = pattern(IDENTIFIER_RE, "identifier (1-100 letters, digits, '-', '_' or '.')")


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {type_name(value)}")
    return value


def choice(choices: Collection[str]) -> Parser:
    def parse(value: Any) -> str:
        if value not in choices or not isinstance(value, str):
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    return parse


def format_version(choices: Collection[int]) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or value not in choices:
            raise ValueError(
                f"this Goodword reads format version {', '.join(map(str, choices))}, not {value!r}"
            )
        return int(value)

    return parse


def url(max_length: int) -> Parser:
    def parse(value: Any) -> str:
        value = string(max_length)(value)
        try:
            _url_validator(value)
        except ValidationError:
            raise ValueError(f"{value!r} is not an http(s) URL") from None
        return str(value)

    return parse


def base_url(value: Any) -> str:
    # Links are built as base + "/x/<code>": one spelling, without the trailing slash.
    return str(url(500)(value)).rstrip("/")


def currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY_RE.match(value.strip().upper()):
        raise ValueError(f"must be a three-letter ISO currency code, not {value!r}")
    return value.strip().upper()


def time_zone(value: Any) -> str:
    """An IANA zone name, as the system's zone database spells it ("America/New_York")."""
    if not isinstance(value, str) or len(value) > MAX_TIME_ZONE_LENGTH:
        raise ValueError(f"must be an IANA time zone name such as America/New_York, not {value!r}")
    try:
        zone_named(value)
    except ValueError:
        raise ValueError(
            f"must be an IANA time zone name such as America/New_York, not {value!r}"
        ) from None
    return value


MAX_TIME_ZONE_LENGTH = 64


def integer(minimum: int, maximum: int = MAX_INTEGER) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {type_name(value)}")
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return value

    return parse


def amount(value: Any) -> Decimal:
    if not isinstance(value, int | float | str | Decimal) or isinstance(value, bool):
        raise ValueError(f"must be a number, not {type_name(value)}")
    try:
        amount = to_amount(value)
    except ValueError as exc:
        if str(exc) == "out of range":
            raise ValueError(f"must be at most {MAX_AMOUNT}") from None
        raise ValueError(f"must be a number, not {value!r}") from None
    if amount < 0:
        raise ValueError("must not be negative")
    return amount


def duration(value: Any) -> int:
    return parse_duration(value)


def moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError("must be a date and time with a timezone, like 2026-08-01T00:00:00Z")
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"must be a date and time with a timezone, like 2026-08-01T00:00:00Z, not {value!r}"
            ) from None
    else:
        raise ValueError(f"must be a date and time, not {type_name(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("needs a timezone, like 2026-08-01T00:00:00Z")
    return moment


def retry_window(value: Any) -> int:
    seconds = parse_duration(value)
    if not 60 <= seconds <= 30 * 86400:
        raise ValueError("must be between 1m and 30d")
    return seconds


def security_key(value: Any) -> str:
    key = string(255)(value)
    if len(key) < 16:
        raise ValueError("must be at least 16 characters")
    return str(key)


def optional(parser: Parser) -> Parser:
    def parse(value: Any) -> Any:
        return None if value is None else parser(value)

    return parse


def policy_action(value: Any) -> Any:
    # YAML 1.1 reads a bare `off` as false; it can only mean the action `off` here.
    return "off" if value is False else value
