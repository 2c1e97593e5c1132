"""What an origin's data must be, field for field as in the contract: the pydantic schemas that
POST /api/v2/origins* and each row of a batch are validated with, so both refuse the same data
with the same sentences."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import pydantic
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import BaseModel as Schema

from goodword.core.errors import ValidationFailed
from goodword.core.money import to_amount
from goodword.core.validators import (
    amount_error,
    amount_not_negative,
    datetime_in_window,
    describe_all,
    email_normalise,
    ip_address_normalise,
    json_shape_check,
    not_blank,
)
from goodword.origins.models import (
    LEN_ADDRESS,
    LEN_EVENT,
    LEN_ORDER_NUMBER,
    LEN_SHORT,
    LEN_ZIP,
    OriginType,
)

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# What one origin may carry (docs/input-limits.md): each list and map is bounded, and checked
# before anything walks it, so no request does work in proportion to what an attacker sends.
MAX_ITEMS = 1000
MAX_ITEM_FIELDS = 50  # keys of one item, its extra fields included
MAX_COUPONS = 50
MAX_CAMPAIGN_TAGS = 20
MAX_CUSTOM_PROPERTIES = 100  # top-level keys; nested lists and maps: MAX_JSON_ENTRIES each
# Each channel becomes a short link made with the offer (offers.services.validate_channels,
# which the offers API's query uses too).
MAX_SHARING_CHANNELS = 20


def _bounded_list(value: Any, field: str, limit: int, noun: str) -> Any:
    """A list longer than `limit` refused before its elements are looked at."""
    if isinstance(value, list) and len(value) > limit:
        raise ValueError(f"`{field}` takes at most {limit} {noun} ({len(value)} sent)")
    return value


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _utc(value: datetime, info: ValidationInfo) -> datetime:
    # A time without an offset is taken as UTC, the server's and the database's zone.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"`{info.field_name}` is out of range") from None
    return datetime_in_window(value, str(info.field_name))


AwareDatetime = Annotated[datetime, AfterValidator(_utc)]


# Optional text: trimmed, blank counts as not sent, at most so many characters.
Text32 = Annotated[Annotated[str, StringConstraints(max_length=32)] | None, BeforeValidator(_strip)]
Text100 = Annotated[
    Annotated[str, StringConstraints(max_length=100)] | None, BeforeValidator(_strip)
]
Text150 = Annotated[
    Annotated[str, StringConstraints(max_length=150)] | None, BeforeValidator(_strip)
]
Short = Annotated[
    Annotated[str, StringConstraints(max_length=LEN_SHORT)] | None, BeforeValidator(_strip)
]
Zip = Annotated[
    Annotated[str, StringConstraints(max_length=LEN_ZIP)] | None, BeforeValidator(_strip)
]
Address = Annotated[
    Annotated[str, StringConstraints(max_length=LEN_ADDRESS)] | None, BeforeValidator(_strip)
]


def _not_blank(value: Any, info: ValidationInfo) -> Any:
    return not_blank(value, str(info.field_name))


def _required_text(max_length: int) -> Any:
    return Annotated[str, BeforeValidator(_not_blank), Field(min_length=1, max_length=max_length)]


class Item(Schema):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="allow")

    price: Decimal | None = None
    quantity: int | None = None
    product_id: Short = None

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        # An item's extra fields are free-form: bounded in number, nesting and size.
        if isinstance(value, dict):
            if len(value) > MAX_ITEM_FIELDS:
                raise ValueError(
                    f"An item takes at most {MAX_ITEM_FIELDS} fields ({len(value)} sent)"
                )
            json_shape_check(value, "items")
        return value

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return to_amount(value)
        except ValueError as exc:
            raise ValueError(amount_error(value, "price", exc)) from None


class PersonFields(Schema):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")

    email: str
    first_name: Text100 = None
    last_name: Text100 = None
    username: Text150 = None
    customer_id: Text150 = None
    phone_number: Text32 = None
    custom_properties: dict[str, Any] | None = None

    campaign_tags: str | list[str] | None = None
    sharing_channels: list[str] | None = None
    ip_address: str | None = None
    uuid: UUID | None = None
    created_at: AwareDatetime | None = None
    traffic_source: Short = None
    segment1: Short = None
    segment2: Short = None
    segment3: Short = None
    utm_source: Short = None
    utm_medium: Short = None
    utm_campaign: Short = None
    utm_term: Short = None
    utm_content: Short = None

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        email = email_normalise(value) if isinstance(value, str) else None
        if email is None:
            raise ValueError("Email isn't valid")
        return email

    @field_validator("custom_properties", mode="before")
    @classmethod
    def _custom(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) > MAX_CUSTOM_PROPERTIES:
                raise ValueError(
                    f"`custom_properties` takes at most {MAX_CUSTOM_PROPERTIES} properties "
                    f"({len(value)} sent)"
                )
            json_shape_check(value, "custom_properties")
        return value

    @field_validator("campaign_tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        tags = value
        if isinstance(value, str):
            # Blank tags are dropped (by intake), so a few empty commas pass; a string with
            # far more than the limit is refused before it is split.
            if value.count(",") >= MAX_CAMPAIGN_TAGS * 2:
                raise ValueError(f"`campaign_tags` takes at most {MAX_CAMPAIGN_TAGS} tags")
            tags = [t for t in value.split(",") if t.strip()]
        _bounded_list(tags, "campaign_tags", MAX_CAMPAIGN_TAGS, "tags")
        if isinstance(tags, list) and any(isinstance(t, str) and len(t) > LEN_SHORT for t in tags):
            raise ValueError(f"`campaign_tags` takes tags of at most {LEN_SHORT} characters")
        return value

    @field_validator("sharing_channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        return _bounded_list(value, "sharing_channels", MAX_SHARING_CHANNELS, "channels")

    @field_validator("ip_address", mode="before")
    @classmethod
    def _ip(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = value.strip()
            if value == "current":
                return value
            try:
                return ip_address_normalise(value)
            except ValueError:
                pass
        raise ValueError('`ip_address` must be an IP address or "current"')


class CommerceFields(PersonFields):
    subtotal: Decimal | None = None
    coupon_codes: str | list[str] | None = None
    currency_iso_code: str | None = None
    shipping_address: Address = None
    shipping_zip: Zip = None
    items: list[Item] | None = Field(None, max_length=MAX_ITEMS)

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        return _bounded_list(value, "items", MAX_ITEMS, "items")

    @field_validator("subtotal", mode="before")
    @classmethod
    def _subtotal(cls, value: Any) -> Decimal | None:
        return amount_not_negative(value, "subtotal")

    @field_validator("coupon_codes", mode="before")
    @classmethod
    def _coupons(cls, value: Any) -> list[str]:
        if value is None:
            return []
        # Blank and repeated codes are dropped below; a list far beyond the limit is refused
        # before it is walked.
        if isinstance(value, str):
            value = value.split(",") if value.count(",") < MAX_COUPONS * 2 else None
        if value is None or (isinstance(value, list) and len(value) > MAX_COUPONS * 2):
            raise ValueError(f"`coupon_codes` takes at most {MAX_COUPONS} codes")
        if not isinstance(value, list) or not all(isinstance(c, str | int) for c in value):
            raise ValueError("`coupon_codes` must be a comma-separated string or an array")
        codes = list(dict.fromkeys(str(c).strip() for c in value if str(c).strip()))
        if len(codes) > MAX_COUPONS or any(len(c) > LEN_SHORT for c in codes):
            raise ValueError(f"`coupon_codes` takes at most {MAX_COUPONS} codes of 255 characters")
        return codes

    @field_validator("currency_iso_code", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and CURRENCY_RE.match(value.strip().upper()):
            return value.strip().upper()
        raise ValueError("`currency_iso_code` must be a three-letter ISO 4217 currency code")


class PurchaseData(CommerceFields):
    order_number: _required_text(LEN_ORDER_NUMBER)  # type: ignore[valid-type]
    subtotal: Decimal
    # Some integrations send the purchase date as order_date; created_at is the contract's name.
    order_date: AwareDatetime | None = None


class EventData(CommerceFields):
    event_category: _required_text(LEN_EVENT)  # type: ignore[valid-type]
    event_number: _required_text(LEN_EVENT)  # type: ignore[valid-type]
    # Optional, as Talkable's origins documentation says ("subtotal (optional)") and its Ruby
    # client sends events; the contract's OpenAPI file marks it required by mistake.


class AffiliateMemberData(PersonFields):
    pass


DATA_SCHEMAS: dict[str, type[PersonFields]] = {
    OriginType.AFFILIATE_MEMBER: AffiliateMemberData,
    OriginType.PURCHASE: PurchaseData,
    OriginType.EVENT: EventData,
}
TYPE_ERROR = '`type` must be within ["AffiliateMember", "Purchase", "Event"]'


def origin_data_validate(*, kind: Any, data: Any) -> PersonFields:
    """`data` (as sent, under the body's `data`) validated as an origin of type `kind`;
    ValidationFailed with the sentences the API answers for it otherwise."""
    schema = DATA_SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise ValidationFailed("invalid_type", TYPE_ERROR)
    if data is None:
        raise ValidationFailed("missing_data", "`data` is required")
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = (dict(e, loc=("data", *e["loc"])) for e in exc.errors())
        raise ValidationFailed("invalid_origin", describe_all(errors)) from None
