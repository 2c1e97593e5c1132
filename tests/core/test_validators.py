"""goodword.core.validators: the email rule and pydantic errors as sentences."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from goodword.core.validators import EMAIL_MAX, describe, describe_all, email_normalise


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
    ["", "ada", "ada@example", "ada@@example.com", "a da@example.com", "ada@example.com.", "@x.io"],
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
