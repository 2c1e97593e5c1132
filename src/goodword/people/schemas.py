"""What `PUT /api/v2/people/{person_slug}` may change: the contract's `data` fields, each with
the column's limit. Unknown fields are refused the way Talkable refuses them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, field_validator

from goodword.core.errors import ValidationFailed
from goodword.core.validators import describe_all


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _text(max_length: int) -> Any:
    # Trimmed; blank (or null) clears the field.
    return Annotated[
        Annotated[str, StringConstraints(max_length=max_length)] | None, BeforeValidator(_strip)
    ]


class PersonChanges(BaseModel):
    """The fields sent; a field not sent keeps its value (`model_fields_set` says which)."""

    model_config = ConfigDict(extra="forbid")

    email: _text(254) = None  # type: ignore[valid-type]
    first_name: _text(100) = None  # type: ignore[valid-type]
    last_name: _text(100) = None  # type: ignore[valid-type]
    username: _text(150) = None  # type: ignore[valid-type]
    customer_id: _text(150) = None  # type: ignore[valid-type]
    phone_number: _text(32) = None  # type: ignore[valid-type]
    # Talkable's signed-identity check for its JavaScript integration; the server-side API
    # is authenticated by its key, so it is accepted and not needed.
    identifier_hash: _text(255) = None  # type: ignore[valid-type]
    custom_properties: dict[str, Any] | None = None
    gated_param_subscribed: bool | None = None
    unsubscribed: bool | None = None
    unsubscribed_at: datetime | None = None

    @field_validator("customer_id", "username", "phone_number", mode="before")
    @classmethod
    def _scalar(cls, value: Any) -> Any:
        # Numbers are fine for identifiers (Talkable clients send customer ids as integers).
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("unsubscribed_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("`data.unsubscribed_at` is out of range") from None


def person_changes_validate(data: Any) -> PersonChanges:
    """The `data` object of an update, or ValidationFailed with the contract's sentences."""
    if not isinstance(data, dict):
        raise ValidationFailed("invalid_person", "`data` must be an object")
    try:
        return PersonChanges.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        if extra:
            # Talkable's (Rails strong parameters) wording.
            raise ValidationFailed(
                "invalid_person", f"found unpermitted parameter: :{extra[0]['loc'][0]}"
            ) from None
        located = [dict(e, loc=("data", *e["loc"])) for e in errors]
        raise ValidationFailed("invalid_person", describe_all(located)) from None
