"""Validation shared by every way in (the API, batches, public pages, the CLI): the email rule,
and pydantic's errors as the sentences a merchant's engineer reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from goodword.core.money import to_amount

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
EMAIL_MAX = 254


def email_normalise(value: str) -> str | None:
    """The address as stored (trimmed, lower case), or None when it is not one."""
    email = value.strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        return None
    return email


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
    return f"`{path}` is invalid: {err.get('msg')}"


def describe_all(errors: Iterable[dict[str, Any]]) -> str:
    """Several errors as one message, each sentence once, in order."""
    return "; ".join(dict.fromkeys(describe(e) for e in errors))
