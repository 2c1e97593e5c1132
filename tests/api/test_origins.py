"""Origins API behaviour: what is stored, what is answered, identity and person upsert."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from goodword.origins.models import Origin
from goodword.people.models import Person
from tests.conftest import ApiClient
from tests.factories import PersonFactory, SiteFactory, make_key
from tests.helpers import (
    DUPLICATE_EVENT,
    DUPLICATE_PURCHASE,
    ENDPOINT_IDS,
    ENDPOINTS,
    PURCHASE_URL,
    Endpoint,
    assert_created,
    assert_error,
    endpoint_by_id,
    endpoints,
    stored_counts,
)

EVENT_URL = "/api/v2/origins/event"
TYPED_PATH = {e.kind: e.path for e in ENDPOINTS if not e.with_type}

PERSON_FIELDS = {
    "email": "Customer@Store.com",
    "first_name": "John",
    "last_name": "Doe",
    "username": "johndoe1992",
    "customer_id": "1024",
    "phone_number": "+12025551111",
    "custom_properties": {"plan": "gold", "visits": 3},
}
TRACKING_FIELDS = {
    "campaign_tags": "post-purchase",
    "sharing_channels": ["facebook", "custom"],
    "ip_address": "192.0.2.255",
    "uuid": "123e4567-e89b-32d1-a456-426614174000",
    "created_at": "2026-07-07T11:06:14.000-07:00",
    "traffic_source": "in-store",
    "segment1": "CA",
    "segment2": "male",
    "segment3": "in-store",
    "utm_source": "facebook",
    "utm_medium": "example_medium",
    "utm_campaign": "example_campaign",
    "utm_term": "example_term",
    "utm_content": "example_content",
}
COMMERCE_FIELDS = {
    "subtotal": 100.44,
    "coupon_codes": ["C0001", "C0002"],
    "currency_iso_code": "EUR",
    "shipping_address": "456 White Finch St., North Augusta, South Carolina, 29860, United States",
    "shipping_zip": "29860",
    "items": [
        {"price": 25.11, "quantity": 4, "product_id": "TSHIRT"},
        {"price": "0.5", "quantity": 1, "product_id": 77},
    ],
}
OCCURRED = datetime(2026, 7, 7, 18, 6, 14, tzinfo=UTC)
SEGMENTS_AND_UTM = [
    "segment1",
    "segment2",
    "segment3",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
]


def full_data(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {**PERSON_FIELDS, **TRACKING_FIELDS}
    if kind == "Purchase":
        data.update(COMMERCE_FIELDS, order_number="20")
    if kind == "Event":
        data.update(COMMERCE_FIELDS, event_category="newsletter_subscription", event_number="42")
    return data


def create(api: ApiClient, endpoint: Endpoint, site_slug: str, data: dict, **extra) -> dict:
    return assert_created(api.post(endpoint.path, endpoint.body(site_slug, data), **extra))


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- what is stored -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_documented_person_and_tracking_field_is_stored(api, api_site, endpoint):
    # given a request with every documented field for its type
    data = full_data(endpoint.kind)

    # when it is sent
    result = create(api, endpoint, api_site.slug, data)

    # then the origin holds the tracking fields...
    origin = Origin.objects.get(pk=result["origin"]["id"])
    assert origin.site_id == api_site.site.id
    assert origin.type == endpoint.kind
    assert origin.email == "customer@store.com"
    assert origin.customer_id == "1024"
    assert origin.ip_address == "192.0.2.255"
    assert origin.uuid == UUID("123e4567-e89b-32d1-a456-426614174000")
    assert origin.occurred_at == OCCURRED
    assert origin.traffic_source == "in-store"
    assert origin.campaign_tags == ["post-purchase"]
    for name in SEGMENTS_AND_UTM:
        assert getattr(origin, name) == data[name], name
    # ...and the person holds the person fields
    person = origin.person
    assert person.site_id == api_site.site.id
    assert (person.email, person.first_name, person.last_name) == (
        "customer@store.com",
        "John",
        "Doe",
    )
    assert (person.username, person.customer_id, person.phone_number) == (
        "johndoe1992",
        "1024",
        "+12025551111",
    )
    assert person.custom_properties == {"plan": "gold", "visits": 3}


@pytest.mark.parametrize("endpoint", endpoints("Purchase", "Event"), ids=lambda e: e.id)
def test_every_documented_commerce_field_is_stored(api, api_site, endpoint):
    # given a purchase or event with every commerce field
    data = full_data(endpoint.kind)

    # when it is sent
    result = create(api, endpoint, api_site.slug, data)

    # then the origin holds them, money as exact decimals
    origin = Origin.objects.get(pk=result["origin"]["id"])
    assert origin.subtotal == Decimal("100.44")
    assert origin.coupon_codes == ["C0001", "C0002"]
    assert origin.currency == "EUR"
    assert origin.shipping_address == COMMERCE_FIELDS["shipping_address"]
    assert origin.shipping_zip == "29860"
    assert [(Decimal(str(i["price"])), i["quantity"], i["product_id"]) for i in origin.items] == [
        (Decimal("25.11"), 4, "TSHIRT"),
        (Decimal("0.50"), 1, "77"),
    ]
    if endpoint.kind == "Purchase":
        assert origin.order_number == "20"
    else:
        assert (origin.event_category, origin.event_number) == ("newsletter_subscription", "42")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_answer_echoes_the_stored_origin(api, api_site, endpoint):
    # when a full request is sent
    result = create(api, endpoint, api_site.slug, full_data(endpoint.kind))

    # then the answer carries the stored values
    origin = result["origin"]
    assert origin["type"] == endpoint.kind
    assert origin["email"] == "customer@store.com"
    assert origin["customer_id"] == "1024"
    assert origin["ip_address"] == "192.0.2.255"
    assert isinstance(origin["id"], int)
    for name in SEGMENTS_AND_UTM:
        assert origin[name] == TRACKING_FIELDS[name], name
    if endpoint.kind != "AffiliateMember":
        assert origin["subtotal"] == 100.44
        assert origin["coupon_code"] == "C0001,C0002"
        assert origin["refunded_at"] is None
        assert origin["refund_subtotal"] is None
        assert origin["partially_refunded"] is False
    if endpoint.kind == "Purchase":
        assert origin["order_number"] == "20"
        assert iso(origin["order_date"]) == OCCURRED
    if endpoint.kind == "Event":
        assert (origin["event_category"], origin["event_number"]) == (
            "newsletter_subscription",
            "42",
        )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_ip_address_current_is_the_callers_address(api, api_site, endpoint):
    # when the caller asks for its own address to be recorded
    data = endpoint.data(ip_address="current")
    result = create(api, endpoint, api_site.slug, data, REMOTE_ADDR="203.0.113.9")

    # then the address the request came from is stored and answered
    assert result["origin"]["ip_address"] == "203.0.113.9"
    assert Origin.objects.get().ip_address == "203.0.113.9"


@pytest.mark.parametrize(("trusted", "expected"), [(True, "198.51.100.7"), (False, "10.0.0.2")])
def test_ip_address_current_follows_x_forwarded_for_only_when_trusted(
    api, api_site, settings, trusted, expected
):
    # given a proxy in front, trusted or not
    settings.TRUST_X_FORWARDED_FOR = trusted
    endpoint = endpoint_by_id("purchase")

    # when a request comes through it
    result = create(
        api,
        endpoint,
        api_site.slug,
        endpoint.data(ip_address="current"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.1",
    )

    # then the forwarded client is used only when the proxy is trusted
    assert result["origin"]["ip_address"] == expected


# Regression: the first X-Forwarded-For entry was used unvalidated (500 on PostgreSQL).
@pytest.mark.parametrize("forwarded", ["unknown, 10.0.0.1", "not-an-ip"])
def test_a_forwarded_for_that_is_not_an_ip_is_not_stored_as_one(api, api_site, settings, forwarded):
    # given a trusted proxy that forwards something that is not an address
    settings.TRUST_X_FORWARDED_FOR = True
    endpoint = endpoint_by_id("purchase")

    # when a purchase asks for the caller's address
    result = create(
        api,
        endpoint,
        api_site.slug,
        endpoint.data(ip_address="current"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    # then it is stored, with the connection's address or none, never the junk
    assert result["origin"]["ip_address"] in (None, "10.0.0.2")
    assert Origin.objects.get().ip_address in (None, "10.0.0.2")


def test_ipv6_address_is_stored_in_canonical_form(api, api_site):
    # when an expanded, upper-case IPv6 address is sent
    endpoint = endpoint_by_id("purchase")
    result = create(api, endpoint, api_site.slug, endpoint.data(ip_address="2001:DB8:0:0:0:0:0:1"))

    # then it is answered and stored compressed, the same on every database
    assert result["origin"]["ip_address"] == "2001:db8::1"
    assert Origin.objects.get().ip_address == "2001:db8::1"


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        pytest.param({"created_at": "2026-07-07T11:06:14.000-07:00"}, OCCURRED, id="created_at"),
        pytest.param({"order_date": "2026-07-07T11:06:14-07:00"}, OCCURRED, id="order_date"),
        pytest.param({"created_at": "2026-07-07T18:06:14Z"}, OCCURRED, id="zulu"),
        pytest.param({"created_at": "2026-07-07T18:06:14"}, OCCURRED, id="naive-is-utc"),
        pytest.param({}, "now", id="arrival-time"),
    ],
)
def test_order_date_is_when_the_purchase_happened(api, api_site, frozen_now, dates, expected):
    # given a purchase with its date under one of its names, or none
    endpoint = endpoint_by_id("purchase")

    # when it is sent
    result = create(api, endpoint, api_site.slug, endpoint.data(**dates))

    # then that moment (or the arrival time) is stored and answered as order_date
    moment = frozen_now if expected == "now" else expected
    assert iso(result["origin"]["order_date"]) == moment
    assert Origin.objects.get().occurred_at == moment


@pytest.mark.parametrize(
    "coupons",
    [
        pytest.param("C1,C2", id="comma-string"),
        pytest.param(" C1 , C2 ,", id="spaced-string"),
        pytest.param(["C1", "C2"], id="array"),
        pytest.param(["C1", "C2", "C1", ""], id="array-with-repeats"),
    ],
)
@pytest.mark.parametrize("endpoint", endpoints("Purchase", "Event"), ids=lambda e: e.id)
def test_coupon_codes_as_string_or_array_answer_one_coupon_code(api, api_site, endpoint, coupons):
    # when coupon codes are sent in any accepted shape
    result = create(api, endpoint, api_site.slug, endpoint.data(coupon_codes=coupons))

    # then the answer joins them and the origin keeps them as a list
    assert result["origin"]["coupon_code"] == "C1,C2"
    assert Origin.objects.get().coupon_codes == ["C1", "C2"]


def test_without_coupon_codes_coupon_code_is_null(api, api_site):
    endpoint = endpoint_by_id("purchase")
    result = create(api, endpoint, api_site.slug, endpoint.data())
    assert result["origin"]["coupon_code"] is None


def test_currency_defaults_to_the_sites_and_is_upper_cased(db):
    # given a site that sells in pounds
    site = SiteFactory(currency="GBP")
    api = ApiClient(make_key(site).raw_key)
    endpoint = endpoint_by_id("purchase")

    # when one purchase names no currency and another names euros in lower case
    plain = create(api, endpoint, site.slug, endpoint.data())
    euros = create(api, endpoint, site.slug, endpoint.data(currency_iso_code="eur"))

    # then the first is in the site's currency and the second in EUR
    assert Origin.objects.get(pk=plain["origin"]["id"]).currency == "GBP"
    assert Origin.objects.get(pk=euros["origin"]["id"]).currency == "EUR"


@pytest.mark.parametrize(
    ("sent", "stored", "answered"),
    [
        (100.44, Decimal("100.44"), 100.44),
        ("100.44", Decimal("100.44"), 100.44),
        (0, Decimal("0.00"), 0),
        ("19.995", Decimal("20.00"), 20.0),
        (1.005, Decimal("1.01"), 1.01),
        (999999999999.99, Decimal("999999999999.99"), 999999999999.99),
    ],
)
def test_subtotal_is_stored_to_the_cent(api, api_site, sent, stored, answered):
    # when a subtotal is sent as a number or a string
    endpoint = endpoint_by_id("purchase")
    result = create(api, endpoint, api_site.slug, endpoint.data(subtotal=sent))

    # then it is kept exactly, rounded half up to the cent, and answered as a number
    assert Origin.objects.get().subtotal == stored
    assert result["origin"]["subtotal"] == answered


@pytest.mark.parametrize(
    ("name", "limit", "kind"),
    [
        ("order_number", 255, "Purchase"),
        ("event_number", 255, "Event"),
        ("first_name", 100, "Purchase"),
        ("customer_id", 150, "Purchase"),
        ("phone_number", 32, "Purchase"),
        ("utm_content", 255, "Purchase"),
        ("shipping_address", 1000, "Purchase"),
        ("shipping_zip", 32, "Purchase"),
    ],
)
def test_strings_exactly_at_their_limit_are_stored_whole(api, api_site, name, limit, kind):
    # when a field is as long as it may be
    endpoint = endpoint_by_id(kind.lower())
    value = "7" * limit
    result = create(api, endpoint, api_site.slug, endpoint.data(**{name: value}))

    # then the database keeps all of it
    origin = Origin.objects.get(pk=result["origin"]["id"])
    holder = origin.person if name in ("first_name", "phone_number") else origin
    assert getattr(holder, name) == value


def test_numbers_sent_for_text_fields_are_kept_as_text(api, api_site):
    # when an integration sends numeric identifiers
    endpoint = endpoint_by_id("purchase")
    result = create(api, endpoint, api_site.slug, endpoint.data(order_number=20, customer_id=1024))

    # then they are stored and answered as strings, as in the contract
    assert result["origin"]["order_number"] == "20"
    assert result["origin"]["customer_id"] == "1024"


# -- the answer's shape ---------------------------------------------------------------------


def contract_examples(openapi: dict[str, Any], path: str) -> list[dict[str, Any]]:
    content = openapi["paths"][path]["post"]["responses"]["201"]["content"]["application/json"]
    if "example" in content:
        return [content["example"]]
    return [example["value"] for example in content["examples"].values()]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_answer_has_exactly_the_contracts_keys(api, api_site, openapi, endpoint):
    # given the contract's 201 examples for this kind of origin (POST /origins documents only
    # a purchase; the other types answer like their own routes)
    path = endpoint.path if endpoint.kind == "Purchase" else TYPED_PATH[endpoint.kind]
    examples = contract_examples(openapi, path)
    origin_keys = {frozenset(e["result"]["origin"]) for e in examples}
    assert len(origin_keys) == 1, "the contract's examples disagree"
    # we pass no sharing_channels, so the examples with claim_links do not apply
    result_keys = {frozenset(e["result"]) for e in examples if "claim_links" not in e["result"]}

    # when an origin is created
    result = create(api, endpoint, api_site.slug, endpoint.data())

    # then the answer's keys are exactly the contract's
    assert set(result["origin"]) == set(next(iter(origin_keys)))
    assert frozenset(result) in result_keys


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_offer_is_null_until_campaigns_exist(api, api_site, endpoint):
    result = create(api, endpoint, api_site.slug, endpoint.data())
    assert "offer" in result and result["offer"] is None


# -- identity and idempotency ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint", endpoints("Purchase", "Event"), ids=lambda e: e.id)
def test_the_same_origin_sent_twice_is_stored_once(api, api_site, endpoint):
    # given an origin that was stored
    data = full_data(endpoint.kind)
    first = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # when exactly the same request is sent again
    second = api.post(endpoint.path, endpoint.body(api_site.slug, data))

    # then both are 201 with the same answer, and there is one origin and one person
    assert assert_created(second) == assert_created(first)
    assert stored_counts() == (1, 1)


def test_a_retry_may_spell_the_same_data_differently(api, api_site):
    # given a stored purchase
    endpoint = endpoint_by_id("purchase")
    data = endpoint.data(
        email="buyer@example.com", coupon_codes="C1,C2", subtotal=10, sharing_channels=["twitter"]
    )
    first = create(api, endpoint, api_site.slug, data)

    # when it is retried with equal values in other spellings, and other sharing channels
    retry = {
        **data,
        "email": " Buyer@Example.COM ",
        "coupon_codes": ["C1", "C2"],
        "subtotal": "10.00",
        "sharing_channels": ["facebook"],
    }
    second = create(api, endpoint, api_site.slug, retry)

    # then it is the same purchase
    assert second["origin"]["id"] == first["origin"]["id"]
    assert Origin.objects.count() == 1


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        pytest.param(endpoint_by_id(id), message, id=id)
        for id, message in [
            ("purchase", DUPLICATE_PURCHASE),
            ("origins:Purchase", DUPLICATE_PURCHASE),
            ("event", DUPLICATE_EVENT),
            ("origins:Event", DUPLICATE_EVENT),
        ]
    ],
)
@pytest.mark.parametrize(
    "change",
    [{"subtotal": 99.99}, {"first_name": "Jack"}, {"coupon_codes": "OTHER"}],
    ids=["subtotal", "first_name", "coupon"],
)
def test_different_data_under_the_same_identity_is_refused_and_changes_nothing(
    api, api_site, endpoint, message, change
):
    # given a stored origin for John
    data = endpoint.data(email="john@example.com", first_name="John", phone_number="+1555")
    first = create(api, endpoint, api_site.slug, data)
    person = Person.objects.get()
    person_before = (person.first_name, person.phone_number, person.updated_at)

    # when the same identity comes again with different data
    response = api.post(
        endpoint.path, endpoint.body(api_site.slug, {**data, **change, "phone_number": "+1999"})
    )

    # then it is refused in Talkable's words
    assert_error(response, 400, message)
    # and neither the origin nor the person changed
    origin = Origin.objects.get()
    assert origin.pk == first["origin"]["id"]
    assert origin.subtotal == Decimal("100.44")
    person.refresh_from_db()
    assert (person.first_name, person.phone_number, person.updated_at) == person_before


def test_a_refused_duplicate_does_not_create_its_person(api, api_site):
    # given a stored purchase
    endpoint = endpoint_by_id("purchase")
    data = endpoint.data(order_number="A-1")
    create(api, endpoint, api_site.slug, data)

    # when the same order number comes for someone else
    response = api.post(
        PURCHASE_URL, endpoint.body(api_site.slug, {**data, "email": "someone.else@example.com"})
    )

    # then it is refused and that someone is not recorded
    assert_error(response, 400, DUPLICATE_PURCHASE)
    assert stored_counts() == (1, 1)
    assert not Person.objects.filter(email="someone.else@example.com").exists()


def test_an_event_is_identified_by_category_and_number(api, api_site):
    # given an event number used in two categories
    endpoint = endpoint_by_id("event")
    signup = endpoint.data(event_category="signup", event_number="42")
    review = endpoint.data(event_category="review", event_number="42", email=signup["email"])

    # when both are sent
    a = create(api, endpoint, api_site.slug, signup)
    b = create(api, endpoint, api_site.slug, review)

    # then they are two events
    assert a["origin"]["id"] != b["origin"]["id"]
    assert Origin.objects.filter(type="Event", event_number="42").count() == 2


def test_a_purchase_and_an_event_may_share_a_number(api, api_site):
    # when a purchase and an event carry the same number
    buy, event = endpoint_by_id("purchase"), endpoint_by_id("event")
    a = create(api, buy, api_site.slug, buy.data(order_number="42"))
    b = create(api, event, api_site.slug, event.data(event_number="42"))

    # then they are two origins
    assert a["origin"]["id"] != b["origin"]["id"]
    assert Origin.objects.count() == 2


def test_the_same_order_number_on_two_sites_is_two_purchases(api, api_site):
    # given a second site with its own key
    other = SiteFactory()
    other_api = ApiClient(make_key(other).raw_key)
    endpoint = endpoint_by_id("purchase")
    data = endpoint.data(order_number="1001", email="shopper@example.com")

    # when each site reports order 1001, with different data even
    a = create(api, endpoint, api_site.slug, data)
    b = create(other_api, endpoint, other.slug, {**data, "subtotal": 5})

    # then each site has its own purchase and its own person
    assert a["origin"]["id"] != b["origin"]["id"]
    assert Origin.objects.filter(site=api_site.site).count() == 1
    assert Origin.objects.filter(site=other).count() == 1
    assert Person.objects.filter(email="shopper@example.com").count() == 2


# -- person upsert --------------------------------------------------------------------------


@pytest.mark.parametrize("second", ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_later_origin_updates_the_person_and_keeps_what_it_does_not_send(api, api_site, second):
    # given a person created by a purchase
    first = endpoint_by_id("purchase")
    create(
        api,
        first,
        api_site.slug,
        first.data(
            email="jane@example.com",
            first_name="Jane",
            last_name="Roe",
            username="jroe",
            customer_id="C-1",
            phone_number="+15550001",
            custom_properties={"plan": "silver", "city": "Oslo"},
        ),
    )

    # when another origin comes for the same email in other case, with some fields
    create(
        api,
        second,
        api_site.slug,
        second.data(
            email="JANE@Example.com",
            first_name="Janet",
            phone_number="+15550002",
            custom_properties={"plan": "gold", "vip": True},
        ),
    )

    # then there is still one person: sent fields replaced, others kept, properties merged
    person = Person.objects.get()
    assert person.email == "jane@example.com"
    assert (person.first_name, person.phone_number) == ("Janet", "+15550002")
    assert (person.last_name, person.username, person.customer_id) == ("Roe", "jroe", "C-1")
    assert person.custom_properties == {"plan": "gold", "city": "Oslo", "vip": True}
    assert Origin.objects.filter(person=person).count() == 2


# Regression: max_length was applied to the None that blank text becomes, answering 500.
@pytest.mark.parametrize("value", [None, "   "], ids=["null", "blank"])
@pytest.mark.parametrize("name", ["first_name", "phone_number", "utm_source", "shipping_zip"])
def test_null_or_blank_text_is_taken_as_not_sent_and_keeps_what_is_known(
    api, api_site, name, value
):
    # given a known person, and a purchase that sends one text field as null or blank
    PersonFactory(
        site=api_site.site,
        email="kim@example.com",
        first_name="Kim",
        last_name="Lee",
        phone_number="+1555",
    )
    endpoint = endpoint_by_id("purchase")

    # when it is sent
    data = endpoint.data(email="kim@example.com", **{name: value})
    result = create(api, endpoint, api_site.slug, data)

    # then the field counts as not sent: stored empty, and the person keeps what is known
    origin = Origin.objects.get(pk=result["origin"]["id"])
    if hasattr(origin, name):
        assert getattr(origin, name) is None
    person = Person.objects.get()
    assert (person.first_name, person.last_name, person.phone_number) == ("Kim", "Lee", "+1555")


def test_the_same_email_on_two_sites_is_two_people(api, api_site):
    other = SiteFactory()
    PersonFactory(site=other, email="pat@example.com", first_name="Other site")
    endpoint = endpoint_by_id("affiliate_member")

    create(api, endpoint, api_site.slug, endpoint.data(email="pat@example.com", first_name="Pat"))

    assert Person.objects.get(site=other).first_name == "Other site"
    assert Person.objects.get(site=api_site.site).first_name == "Pat"


# Regression: SQLite merged with json_patch() (deep, RFC 7396), PostgreSQL with jsonb ||.
def test_custom_properties_merge_by_top_level_key_on_every_database(api, api_site):
    # given a person with a nested custom property
    endpoint = endpoint_by_id("affiliate_member")
    nested = {"prefs": {"color": "red", "size": "M"}, "plan": "gold"}
    create(
        api,
        endpoint,
        api_site.slug,
        endpoint.data(email="lee@example.com", custom_properties=nested),
    )

    # when a later origin sends that property again
    update = {"prefs": {"color": "blue"}}
    create(
        api,
        endpoint,
        api_site.slug,
        endpoint.data(email="lee@example.com", custom_properties=update),
    )

    # then the property is replaced as a whole, as PostgreSQL does, and others are kept
    assert Person.objects.get().custom_properties == {"prefs": {"color": "blue"}, "plan": "gold"}
