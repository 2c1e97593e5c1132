"""Origins API input validation: every refusal is a 400 naming the field, and stores nothing.

Each case changes one field of an otherwise valid request (see
test_the_unchanged_request_is_accepted), for every endpoint the field belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from goodword.people.models import Person
from tests.factories import PersonFactory
from tests.helpers import (
    ENDPOINT_IDS,
    ENDPOINTS,
    Endpoint,
    assert_created,
    assert_error,
    endpoint_by_id,
    endpoints,
    stored_counts,
)

ALL = ("Purchase", "Event", "AffiliateMember")
COMMERCE = ("Purchase", "Event")
BAD_EMAIL = "Email isn't valid"
BAD_TYPE = '`type` must be within ["AffiliateMember", "Purchase", "Event"]'


@dataclass(frozen=True)
class Case:
    id: str
    kinds: tuple[str, ...]
    set: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    message: str | None = None  # the exact error_message, when the contract or rule fixes it
    names: str | None = None  # else: a fragment naming the field

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        data = {**data, **self.set}
        for name in self.drop:
            data.pop(name)
        return data


def missing(name: str, kinds: tuple[str, ...]) -> Case:
    return Case(f"missing-{name}", kinds, drop=(name,), message=f"`data.{name}` is required")


def bad(id: str, kinds: tuple[str, ...], name: str, value: Any) -> Case:
    return Case(id, kinds, set={name: value}, names=name)


def too_long(name: str, kinds: tuple[str, ...], limit: int) -> Case:
    return Case(f"too-long-{name}", kinds, set={name: "x" * (limit + 1)}, names=name)


CASES = [
    # required fields
    missing("email", ALL),
    missing("order_number", ("Purchase",)),
    missing("subtotal", ("Purchase",)),
    missing("event_category", ("Event",)),
    missing("event_number", ("Event",)),
    bad("blank-order_number", ("Purchase",), "order_number", "   "),
    bad("blank-event_category", ("Event",), "event_category", ""),
    bad("null-subtotal", ("Purchase",), "subtotal", None),
    # wrong types
    bad("object-first_name", ALL, "first_name", {"given": "John"}),
    bad("string-custom_properties", ALL, "custom_properties", "vip"),
    bad("array-custom_properties", ALL, "custom_properties", ["vip"]),
    bad("text-subtotal", COMMERCE, "subtotal", "a lot"),
    bad("bool-subtotal", COMMERCE, "subtotal", True),
    bad("object-subtotal", COMMERCE, "subtotal", {"amount": 5}),
    bad("array-order_number", ("Purchase",), "order_number", ["20"]),
    bad("object-event_number", ("Event",), "event_number", {"n": 42}),
    bad("string-items", COMMERCE, "items", "TSHIRT x4"),
    bad("scalar-item", COMMERCE, "items", ["TSHIRT"]),
    bad("text-item-quantity", COMMERCE, "items", [{"product_id": "A", "quantity": "lots"}]),
    Case(
        "text-item-price",
        COMMERCE,
        set={"items": [{"product_id": "A", "price": "cheap"}]},
        names="price",
    ),
    bad("object-coupon_codes", COMMERCE, "coupon_codes", {"C1": True}),
    bad("nested-coupon_codes", COMMERCE, "coupon_codes", [["C1"]]),
    bad("text-created_at", ALL, "created_at", "yesterday"),
    bad("string-sharing_channels", ALL, "sharing_channels", "facebook"),
    # emails, always in Talkable's words
    *[
        Case(f"email-{i}", ALL, set={"email": value}, message=BAD_EMAIL)
        for i, value in enumerate(
            [
                "not-an-email",
                "john@localhost",
                "john doe@example.com",
                "@example.com",
                "john@",
                "a@b@example.com",
                "",
                None,
                42,
                "x" * 250 + "@example.com",
            ]
        )
    ],
    # money
    bad("negative-subtotal", COMMERCE, "subtotal", -0.01),
    bad("negative-subtotal-string", COMMERCE, "subtotal", "-5"),
    bad("huge-subtotal", COMMERCE, "subtotal", 10**13),
    Case("huge-item-price", COMMERCE, set={"items": [{"price": "1e40"}]}, names="price"),
    # network and identifiers
    bad("ip-out-of-range", ALL, "ip_address", "999.1.1.1"),
    bad("ip-hostname", ALL, "ip_address", "localhost"),
    bad("ip-partial", ALL, "ip_address", "10.0.1"),
    bad("ip-number", ALL, "ip_address", 167772161),
    bad("ip-current-typo", ALL, "ip_address", "Current!"),
    bad("uuid-text", ALL, "uuid", "not-a-uuid"),
    bad("uuid-short", ALL, "uuid", "123e4567-e89b-32d1-a456-42661417400"),
    bad("uuid-number", ALL, "uuid", 123),
    # currency
    bad("currency-two-letters", COMMERCE, "currency_iso_code", "US"),
    bad("currency-word", COMMERCE, "currency_iso_code", "DOLLAR"),
    bad("currency-digit", COMMERCE, "currency_iso_code", "U5D"),
    bad("currency-numeric-code", COMMERCE, "currency_iso_code", 840),
    bad("currency-symbol", COMMERCE, "currency_iso_code", "€"),
    # lengths: one past each column's size
    too_long("order_number", ("Purchase",), 255),
    too_long("event_category", ("Event",), 255),
    too_long("event_number", ("Event",), 255),
    too_long("first_name", ALL, 100),
    too_long("last_name", ALL, 100),
    too_long("username", ALL, 150),
    too_long("customer_id", ALL, 150),
    too_long("phone_number", ALL, 32),
    too_long("traffic_source", ALL, 255),
    too_long("segment1", ALL, 255),
    too_long("segment2", ALL, 255),
    too_long("segment3", ALL, 255),
    too_long("utm_source", ALL, 255),
    too_long("utm_medium", ALL, 255),
    too_long("utm_campaign", ALL, 255),
    too_long("utm_term", ALL, 255),
    too_long("utm_content", ALL, 255),
    too_long("shipping_address", COMMERCE, 1000),
    too_long("shipping_zip", COMMERCE, 32),
    bad("too-long-coupon", COMMERCE, "coupon_codes", ["C1", "x" * 256]),
    bad("too-many-coupons", COMMERCE, "coupon_codes", [f"C{i}" for i in range(51)]),
    bad("too-many-items", COMMERCE, "items", [{"product_id": "A"}] * 1001),
    Case(
        "too-long-item-product_id",
        COMMERCE,
        set={"items": [{"product_id": "x" * 256}]},
        names="product_id",
    ),
]

MATRIX = [
    pytest.param(endpoint, case, id=f"{endpoint.id}-{case.id}")
    for case in CASES
    for endpoint in ENDPOINTS
    if endpoint.kind in case.kinds
]


@pytest.fixture
def known_person(api_site):
    """A person the refused requests would update if they got as far as the database."""

    def make(email: str) -> Person:
        return PersonFactory(site=api_site.site, email=email, first_name="Original")

    return make


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_unchanged_request_is_accepted(api, api_site, endpoint):
    # given the request every case below starts from
    data = endpoint.data(first_name="Changed")

    # when it is sent as is
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is stored, so each refusal below is down to the one field it changes
    assert_created(response)
    assert stored_counts() == (1, 1)


@pytest.mark.parametrize(("endpoint", "case"), MATRIX)
def test_invalid_field_is_400_naming_it_and_stores_nothing(
    api, api_site, known_person, endpoint: Endpoint, case: Case
):
    # given a valid request for a known person, with one field made invalid
    base = endpoint.data(first_name="Changed")
    person = known_person(base["email"])
    data = case.apply(base)
    before = stored_counts()

    # when it is sent
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is a 400 that names the field (or says exactly what the contract says)
    message = assert_error(response, 400, case.message)
    if case.names is not None:
        assert case.names in message
    # and nothing was stored or changed
    assert stored_counts() == before
    person.refresh_from_db()
    assert person.first_name == "Original"


@pytest.mark.parametrize(
    "type_value",
    [
        pytest.param("purchase", id="lowercase"),
        pytest.param("Referral", id="unknown"),
        pytest.param("", id="empty"),
        pytest.param(None, id="null"),
        pytest.param(1, id="number"),
        pytest.param(True, id="boolean"),
        # Regression: an unhashable `type` raised TypeError in the membership test (500).
        pytest.param(["Purchase"], id="array"),
        pytest.param({"Purchase": 1}, id="object"),
    ],
)
def test_origins_with_a_bad_type_is_400_in_talkable_words(api, api_site, type_value):
    # given a valid purchase sent to POST /origins with a wrong `type`
    endpoint = endpoint_by_id("origins:Purchase")
    body = endpoint.body(api_site.slug, endpoint.data(), type=type_value)

    # when it is sent
    response = api.post("/api/v2/origins", body)

    # then the answer is the contract's
    assert_error(response, 400, BAD_TYPE)
    assert stored_counts() == (0, 0)


def test_origins_without_a_type_is_400_in_talkable_words(api, api_site):
    # when POST /origins has no `type` at all
    response = api.post(
        "/api/v2/origins", {"site_slug": api_site.slug, "data": endpoint_by_id("purchase").data()}
    )

    # then the answer is the contract's
    assert_error(response, 400, BAD_TYPE)
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("data", [None, [], "x", 1], ids=["null", "array", "string", "number"])
def test_data_that_is_not_an_object_is_400_naming_data(api, api_site, endpoint, data):
    # when `data` is missing or not an object
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is refused, naming `data`
    message = assert_error(response, 400)
    assert "data" in message
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("endpoint", endpoints("Event"), ids=lambda e: e.id)
# Regression: events without a subtotal were refused; Talkable's origins documentation calls it
# optional for events and its Ruby client sends them without one.
def test_event_without_subtotal_is_created_without_one(api, api_site, endpoint):
    # given an event without a subtotal
    data = endpoint.data()
    data.pop("subtotal")

    # when it is sent
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is stored, with no subtotal
    result = assert_created(response)
    assert result["origin"]["subtotal"] is None
    assert stored_counts() == (1, 1)


@pytest.mark.parametrize(
    ("kind", "name", "value", "message"),
    [
        ("Purchase", "subtotal", 10**13, "`data.subtotal` is too large"),
        ("Purchase", "subtotal", "1e40", "`data.subtotal` is too large"),
        ("Event", "subtotal", 10**13, "`data.subtotal` is too large"),
        ("Purchase", "subtotal", -0.01, "`data.subtotal` must be greater than or equal to 0"),
        ("Purchase", "subtotal", "a lot", "`data.subtotal` must be a number"),
        ("Purchase", "order_number", "   ", "`data.order_number` can't be blank"),
        ("Purchase", "order_number", None, "`data.order_number` can't be blank"),
        ("Event", "event_category", "", "`data.event_category` can't be blank"),
        ("Event", "event_number", " ", "`data.event_number` can't be blank"),
        (
            "Purchase",
            "ip_address",
            "999.1.1.1",
            '`data.ip_address` must be an IP address or "current"',
        ),
        ("Purchase", "items", [{"price": "1e40"}], "`data.items.0.price` is too large"),
        ("Purchase", "items", [{"price": "cheap"}], "`data.items.0.price` must be a number"),
        (
            "Purchase",
            "created_at",
            "0001-01-01T00:00:00+14:00",
            "`data.created_at` is out of range",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_refusals_name_the_field_by_its_data_path(api, api_site, kind, name, value, message):
    # given one field of a valid origin made invalid
    endpoint = next(e for e in ENDPOINTS if e.kind == kind and not e.with_type)
    data = endpoint.data(**{name: value})

    # when it is sent
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then the message names the field with its `data.` path, in the rule's words
    assert_error(response, 400, message)
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.with_type], ids=lambda e: e.id)
@pytest.mark.parametrize("name", ["first_name", "utm_source"])
@pytest.mark.parametrize(
    "text",
    [
        # Regression: NUL answered 500 on PostgreSQL (and was stored on SQLite); a lone
        # surrogate failed to encode on the way to either database (500).
        pytest.param("a\x00b", id="nul"),
        pytest.param("a\ud800b", id="lone-surrogate"),
    ],
)
def test_text_a_database_cannot_hold_is_refused_as_invalid(api, api_site, endpoint, name, text):
    # given a string field holding a character no database column can store
    data = endpoint.data(**{name: text})

    # when it is sent
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is refused like any other invalid field, not a 500, and on every database alike
    message = assert_error(response, 400)
    assert name in message
    assert stored_counts() == (0, 0)


# Regression: an instant outside years 1..9999 in UTC overflowed on conversion, answering 500.
@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"], ids=["min", "max"]
)
def test_a_date_time_out_of_range_in_utc_is_400(api, api_site, moment):
    # given a purchase dated at the very edge of what a date-time can hold
    endpoint = endpoint_by_id("purchase")
    data = endpoint.data(created_at=moment)

    # when it is sent
    response = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then it is refused, naming the field
    message = assert_error(response, 400)
    assert "created_at" in message
    assert stored_counts() == (0, 0)


def test_a_nan_subtotal_is_not_a_number(api, api_site):
    endpoint = endpoint_by_id("purchase")
    response = api.post(endpoint.path, endpoint.body(api_site.slug, endpoint.data(subtotal="NaN")))
    assert_error(response, 400, "`data.subtotal` must be a number")
    assert stored_counts() == (0, 0)
