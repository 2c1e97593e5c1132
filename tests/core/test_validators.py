"""goodword.core.validators: the email rule and pydantic errors as sentences."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from goodword.core.validators import (
    EARLIEST_DATE,
    EMAIL_MAX,
    LATEST_AHEAD,
    MAX_JSON_DEPTH,
    MAX_JSON_ENTRIES,
    MAX_JSON_KEY,
    datetime_in_window,
    describe,
    describe_all,
    email_normalise,
    ip_address_normalise,
    json_shape_check,
)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("a.b+tag@mail.example.org", "a.b+tag@mail.example.org"),
    ],
)
def test_an_email_is_stored_trimmed_and_in_lower_case(sent, stored):
    assert email_normalise(sent) == stored


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "ada",
        "ada@example",
        "ada@@example.com",
        "a da@example.com",
        "ada@example.com.",
        "@x.io",
        "a\x00da@example.com",
        "ada@exa\x01mple.com",
    ],
)
def test_what_is_not_an_email_is_refused(sent):
    assert email_normalise(sent) is None


def test_an_email_longer_than_the_limit_is_refused():
    local = "a" * (EMAIL_MAX - len("@example.com"))
    assert email_normalise(f"{local}@example.com") == f"{local}@example.com"
    assert email_normalise(f"{local}a@example.com") is None


class Row(BaseModel):
    name: str = Field(max_length=3)
    count: int


def errors_of(data) -> list[dict]:
    with pytest.raises(ValidationError) as failed:
        Row.model_validate(data)
    return [dict(e, loc=("data", *e["loc"])) for e in failed.value.errors()]


def test_each_error_names_its_field_by_its_path():
    assert [describe(e) for e in errors_of({"name": "long", "count": "x"})] == [
        "`data.name` is too long (at most 3 characters)",
        "`data.count` must be an integer",
    ]


def test_a_missing_field_and_a_body_that_is_no_object():
    assert describe_all(errors_of({"name": "ab"})) == "`data.count` is required"
    assert describe({"type": "model_type", "loc": ()}) == "The request body must be a JSON object"


def test_a_value_error_is_told_in_its_own_words_and_each_sentence_once():
    error = {"type": "value_error", "loc": ("email",), "ctx": {"error": "Email isn't valid"}}
    assert describe_all([error, error]) == "Email isn't valid"


# ---- IP addresses, dates, free-form JSON ---------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (" 198.51.100.7 ", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("fe80::1", "fe80::1"),
    ],
)
def test_an_ip_address_is_kept_in_one_spelling(sent, stored):
    assert ip_address_normalise(sent) == stored


@pytest.mark.parametrize(
    "sent", ["fe80::1%eth0", "fe80::1%1", "::1%lo", "10.0.0.1/8", "1.2.3", "01.2.3.4", "", "x"]
)
def test_an_ip_address_postgresql_would_refuse_is_refused(sent):
    # a zone index is what Python's ipaddress takes and PostgreSQL's inet does not
    with pytest.raises(ValueError):
        ip_address_normalise(sent)


def test_dates_are_taken_from_2000_to_one_day_ahead(frozen_now):
    assert datetime_in_window(EARLIEST_DATE, "d") == EARLIEST_DATE
    assert datetime_in_window(frozen_now + LATEST_AHEAD, "d") == frozen_now + LATEST_AHEAD
    with pytest.raises(ValueError, match="`d` must not be before 2000-01-01"):
        datetime_in_window(EARLIEST_DATE - timedelta(microseconds=1), "d")
    with pytest.raises(ValueError, match="`d` must not be more than one day in the future"):
        datetime_in_window(frozen_now + LATEST_AHEAD + timedelta(microseconds=1), "d")


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_free_form_json_within_its_limits_passes():
    json_shape_check(
        {"a": _deep(MAX_JSON_DEPTH - 1), "b": list(range(MAX_JSON_ENTRIES)), "k" * MAX_JSON_KEY: 1},
        "p",
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"a": _deep(MAX_JSON_DEPTH)}, "`p` is nested too deeply"),
        ({"a": list(range(MAX_JSON_ENTRIES + 1))}, "`p` has a list or object of 101 entries"),
        ({"a": {str(i): i for i in range(MAX_JSON_ENTRIES + 1)}}, "of 101 entries"),
        ({"a": {"k" * (MAX_JSON_KEY + 1): 1}}, "`p` has a key of 256 characters"),
    ],
    ids=["depth", "list", "map", "key"],
)
def test_free_form_json_beyond_a_limit_is_refused(value, says):
    with pytest.raises(ValueError, match=says):
        json_shape_check(value, "p")


def test_free_form_json_is_checked_without_recursion():
    # far deeper than Python's recursion limit: refused, not a RecursionError
    with pytest.raises(ValueError, match="nested too deeply"):
        json_shape_check(_deep(50_000), "p", max_depth=10)
