"""Validation shared by every way in (the API, batches, public pages, the CLI): the email rule,
IP addresses and dates as the database takes them, the shape of free-form JSON, and pydantic's
errors as the sentences a merchant's engineer reads.

The limits here are named once and documented in docs/input-limits.md."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from goodword.core.clock import now
from goodword.core.money import to_amount

# Control characters are no part of an address, and PostgreSQL refuses NUL in any text.
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")
EMAIL_MAX = 254

# Nesting of any JSON a request carries (the body, and free-form values inside it such as
# custom_properties and an item's extra fields): deep enough for any real document, shallow
# enough that no parser, validator or serialiser recurses anywhere near its limit.
MAX_JSON_DEPTH = 32
# Entries of any list or map inside a free-form value (custom_properties, an item's extras).
MAX_JSON_ENTRIES = 100
# Characters of a key in a free-form map.
MAX_JSON_KEY = 255

# The window a date sent by a client must fall in: nothing Goodword stores happened before
# 2000, and a clock a day fast is the most a merchant's server is allowed. Outside it a date is
# a mistake (year 9999, a unit error) that would otherwise schedule work centuries ahead.
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=1)


def email_normalise(value: str) -> str | None:
    """The address as stored (trimmed, lower case), or None when it is not one."""
    email = value.strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        return None
    return email


def ip_address_normalise(value: str) -> str:
    """One spelling per address, and only addresses every database column takes: an IPv4 client
    seen through a dual-stack socket (`::ffff:198.51.100.7`) becomes plain IPv4, so it matches
    the same client elsewhere. ValueError when it is not an address, or carries an IPv6 zone
    (`fe80::1%eth0`: Python takes it, PostgreSQL's inet does not, and a zone names an interface
    of the sender's machine, meaningless here)."""
    address = ipaddress.ip_address(value.strip())
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            raise ValueError("an IPv6 zone index is not accepted")
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)


def datetime_in_window(value: datetime, field: str) -> datetime:
    """`value` (aware) when it lies between EARLIEST_DATE and LATEST_AHEAD from now, else
    ValueError with the sentence that names `field`."""
    if value < EARLIEST_DATE:
        raise ValueError(f"`{field}` must not be before {EARLIEST_DATE.date().isoformat()}")
    latest = now() + LATEST_AHEAD
    if value > latest:
        raise ValueError(
            f"`{field}` must not be more than one day in the future "
            f"(at most {latest.isoformat(timespec='seconds')})"
        )
    return value


def json_shape_check(
    value: Any,
    field: str,
    *,
    max_entries: int = MAX_JSON_ENTRIES,
    max_depth: int = MAX_JSON_DEPTH,
) -> None:
    """ValueError naming `field` when the free-form JSON `value` nests deeper than `max_depth`
    (`value` itself being depth 1), holds a list or map of more than `max_entries` entries, or a
    key longer than MAX_JSON_KEY. Iterative, and it stops at the first fault, so the work is
    bounded by the limits rather than by what was sent."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise ValueError(f"`{field}` is nested too deeply (at most {max_depth} levels)")
        if len(item) > max_entries:
            raise ValueError(
                f"`{field}` has a list or object of {len(item)} entries (at most {max_entries})"
            )
        if isinstance(item, dict):
            for key in item:
                if isinstance(key, str) and len(key) > MAX_JSON_KEY:
                    raise ValueError(
                        f"`{field}` has a key of {len(key)} characters (at most {MAX_JSON_KEY})"
                    )
            stack.extend((v, depth + 1) for v in item.values())
        else:
            stack.extend((v, depth + 1) for v in item)


def amount_not_negative(value: Any, field: str) -> Decimal | None:
    """A money amount as sent (a number or a numeric string; blank is not sent), or ValueError
    with the sentence that names `field`."""
    if value is None or value == "":
        return None
    try:
        amount = to_amount(value)
    except ValueError as exc:
        raise ValueError(amount_error(value, field, exc)) from None
    if amount < 0:
        raise ValueError(f"`{field}` must be greater than or equal to 0")
    return amount


def amount_error(value: Any, field: str, exc: ValueError) -> str:
    """The sentence for an amount `to_amount` refused: a number beyond what the columns hold
    is too large (or too small), not "not a number"."""
    if str(exc) == "out of range" and not (isinstance(value, str) and "nan" in value.lower()):
        negative = isinstance(value, int | float) and value < 0
        if isinstance(value, str):
            negative = value.strip().startswith("-")
        return f"`{field}` is too {'small' if negative else 'large'}"
    return f"`{field}` must be a number"


def not_blank(value: Any, field: str) -> Any:
    """A required identifier, trimmed; ValueError "can't be blank" for blank text or null."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        raise ValueError(f"`{field}` can't be blank")
    return value


def _prefixed(message: str, loc: tuple[Any, ...]) -> str:
    # Rules name a field by its own name; the merchant reads its path in the body (`data.x`).
    if len(loc) > 1 and isinstance(loc[-1], str):
        path = ".".join(str(p) for p in loc)
        return message.replace(f"`{loc[-1]}`", f"`{path}`", 1)
    return message


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "datetime_type": "an ISO 8601 date-time",
    "datetime_parsing": "an ISO 8601 date-time",
    "datetime_from_date_parsing": "an ISO 8601 date-time",
    "uuid_type": "a UUID",
    "uuid_parsing": "a UUID",
}


def describe(err: dict[str, Any]) -> str:
    """One pydantic error (its `loc` being the field's path in the body) as a sentence that
    names the field."""
    kind = err.get("type", "")
    path = ".".join(str(p) for p in err.get("loc", ()))
    if not path:
        if kind in {"missing", "model_type", "model_attributes_type", "dict_type"}:
            return "The request body must be a JSON object"
        return str(err.get("msg", "Invalid request"))
    if kind == "missing":
        return f"`{path}` is required"
    if kind == "value_error":
        ctx = err.get("ctx") or {}
        return _prefixed(str(ctx.get("error") or err.get("msg")), tuple(err.get("loc", ())))
    if kind in _TYPE_WORDS:
        return f"`{path}` must be {_TYPE_WORDS[kind]}"
    if kind in {"string_too_long"}:
        limit = (err.get("ctx") or {}).get("max_length")
        return f"`{path}` is too long (at most {limit} characters)"
    if kind in {"string_too_short"}:
        return f"`{path}` can't be blank"
    if kind == "too_long":
        limit = (err.get("ctx") or {}).get("max_length")
        return f"`{path}` has too many entries (at most {limit})"
    return f"`{path}` is invalid: {err.get('msg')}"


def describe_all(errors: Iterable[dict[str, Any]]) -> str:
    """Several errors as one message, each sentence once, in order."""
    return "; ".join(dict.fromkeys(describe(e) for e in errors))
