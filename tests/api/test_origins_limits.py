"""What one origin request may carry: every list and map has a limit (docs/input-limits.md),
a request beyond it is a 400 naming the field that stores nothing, one at the limit is
accepted; the body's nesting is bounded before anything recurses into it; dates lie in a window
around now; an IP address is one PostgreSQL's inet column takes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from goodword.core.validators import MAX_JSON_DEPTH, MAX_JSON_ENTRIES, MAX_JSON_KEY
from goodword.offers.models import ShortLink
from goodword.origins.models import Origin
from goodword.origins.schemas import (
    MAX_CAMPAIGN_TAGS,
    MAX_COUPONS,
    MAX_CUSTOM_PROPERTIES,
    MAX_ITEM_FIELDS,
    MAX_ITEMS,
    MAX_SHARING_CHANNELS,
)
from tests.conftest import NOW
from tests.helpers import assert_created, assert_error, endpoint_by_id, stored_counts
from tests.referrals.program import build_program, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

PURCHASE = endpoint_by_id("purchase")
MEMBER = endpoint_by_id("affiliate_member")


def post(api: Any, slug: str, endpoint: Any = PURCHASE, **fields: Any) -> Any:
    return api.post(endpoint.path, endpoint.body(slug, endpoint.data(**fields)))


def nested(depth: int) -> Any:
    """A value `depth` levels deep (1: a flat object), alternating objects and arrays."""
    value: Any = {"leaf": 1}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"k": value}
    return value


# ---- lists and maps: refused beyond the limit, accepted at it --------------------------------


def channels(n: int) -> list[str]:
    return [f"ch{i}" for i in range(n)]


LIMITS = [
    pytest.param("sharing_channels", channels(MAX_SHARING_CHANNELS), id="sharing_channels"),
    pytest.param(
        "campaign_tags", [f"t{i}" for i in range(MAX_CAMPAIGN_TAGS)], id="campaign_tags-array"
    ),
    pytest.param(
        "campaign_tags", ",".join(f"t{i}" for i in range(MAX_CAMPAIGN_TAGS)), id="campaign_tags"
    ),
    pytest.param("coupon_codes", [f"C{i}" for i in range(MAX_COUPONS)], id="coupon_codes-array"),
    pytest.param("coupon_codes", ",".join(f"C{i}" for i in range(MAX_COUPONS)), id="coupons"),
    pytest.param(
        "custom_properties",
        {f"p{i}": i for i in range(MAX_CUSTOM_PROPERTIES)},
        id="custom_properties",
    ),
    pytest.param(
        "custom_properties",
        {"list": list(range(MAX_JSON_ENTRIES))},
        id="custom_properties-nested-list",
    ),
    pytest.param(
        "custom_properties",
        {"map": {f"k{i}": i for i in range(MAX_JSON_ENTRIES)}},
        id="custom_properties-nested-map",
    ),
    pytest.param("custom_properties", {"k" * MAX_JSON_KEY: 1}, id="custom_properties-key"),
    pytest.param("items", [{"price": 1}] * MAX_ITEMS, id="items"),
    pytest.param("items", [{f"f{i}": i for i in range(MAX_ITEM_FIELDS)}], id="items-fields"),
    pytest.param("items", [{"extra": list(range(MAX_JSON_ENTRIES))}], id="items-nested-list"),
]


def beyond(value: Any) -> Any:
    """The same value with one entry more than the limit allows."""
    if isinstance(value, str):
        return value + ",one-more"
    if isinstance(value, list) and value and isinstance(value[0], dict) and len(value) == 1:
        (only,) = value
        if len(only) == 1:
            ((key, inner),) = only.items()
            return [{key: [*inner, "one-more"]}]
        return [{**only, "one_more": 1}]
    if isinstance(value, list):
        return [*value, value[0] if isinstance(value[0], dict) else "one-more"]
    (key, inner), *_ = value.items()
    if len(value) == 1 and isinstance(inner, list):
        return {key: [*inner, "one-more"]}
    if len(value) == 1 and isinstance(inner, dict):
        return {key: {**inner, "one-more": 1}}
    if len(value) == 1:
        return {key + "k": inner}
    return {**value, "one-more": 1}


@pytest.mark.parametrize(("name", "at_limit"), LIMITS)
def test_a_list_or_map_at_its_limit_is_accepted(api, api_site, name, at_limit):
    # given a site whose campaign gives offers (so the channels become links)
    build_program(api_site.site)

    # when a purchase carries as many entries as the limit allows
    response = post(api, api_site.slug, **{name: at_limit})

    # then it is stored
    assert_created(response)
    assert Origin.objects.count() == 1


@pytest.mark.parametrize(("name", "at_limit"), LIMITS)
def test_a_list_or_map_beyond_its_limit_is_400_naming_it_and_stores_nothing(
    api, api_site, name, at_limit
):
    # given a site whose campaign gives offers
    build_program(api_site.site)
    links = ShortLink.objects.count()

    # when a purchase carries one entry more than the limit
    response = post(api, api_site.slug, **{name: beyond(at_limit)})

    # then it is refused, naming the field, and nothing is stored
    message = assert_error(response, 400)
    assert name in message or (name == "items" and "item" in message.lower()), message
    assert "at most" in message
    assert stored_counts() == (0, 0)
    assert ShortLink.objects.count() == links


def test_a_hundred_thousand_sharing_channels_are_refused_whole(api, api_site):
    # given the request that kept a server inserting short links for minutes
    build_program(api_site.site)
    links = ShortLink.objects.count()

    # when it is sent
    response = post(api, api_site.slug, MEMBER, sharing_channels=channels(100_000))

    # then it is a 400 that says the limit, and no link was made
    message = assert_error(response, 400)
    assert f"`data.sharing_channels` takes at most {MAX_SHARING_CHANNELS} channels" in message
    assert stored_counts() == (0, 0)
    assert ShortLink.objects.count() == links


def test_repeated_channels_count_once_and_make_one_link_each(api, api_site):
    # given a site whose campaign gives offers
    build_program(api_site.site)

    # when an advocate joins naming facebook three times in different spellings
    result = join(api, api_site.slug, channels=["facebook", " Facebook", "FACEBOOK", "sms"])

    # then there is one claim link per channel
    assert set(result["claim_links"]) == {"facebook", "sms"}


def test_the_offers_api_refuses_more_sharing_channels_than_the_limit(api, api_site):
    # given an advocate's offer
    build_program(api_site.site)
    code = join(api, api_site.slug)["offer"]["short_url_code"]
    links = ShortLink.objects.count()
    path = f"/api/v2/offers/{code}"

    # when it is asked for with the most channels allowed, then with one more
    at_limit = api.get(path, {"site_slug": api_site.slug, "sharing_channels": channels(20)})
    too_many = api.get(
        path, {"site_slug": api_site.slug, "sharing_channels": ",".join(channels(5000))}
    )

    # then the first is answered and the second refused with the limit
    assert at_limit.status_code == 200, at_limit.content
    assert len(at_limit.json()["result"]["claim_links"]) == MAX_SHARING_CHANNELS
    assert "at most 20 channels" in assert_error(too_many, 400)
    assert ShortLink.objects.count() == links + MAX_SHARING_CHANNELS


def test_a_batch_row_beyond_a_limit_is_recorded_as_that_rows_error(api, api_site):
    from tests.batch.support import PURCHASES_URL, post_batch, purchase, row_errors, the_batch

    # given a batch whose second row names too many sharing channels
    rows = [purchase("B-1"), purchase("B-2", sharing_channels=channels(21)), purchase("B-3")]

    # when the worker has gone through it
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))

    # then the other rows are stored and that row's error names the limit
    assert sorted(Origin.objects.values_list("order_number", flat=True)) == ["B-1", "B-3"]
    assert row_errors(batch) == [(1, "`data.sharing_channels` takes at most 20 channels (21 sent)")]


# ---- nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 256, 954, 5000, 100_000])
@pytest.mark.parametrize("name", ["custom_properties", "items"])
def test_nesting_beyond_the_limit_is_400_and_stores_nothing(api, api_site, name, depth):
    # given a purchase whose custom_properties (or an item) nest `depth` levels deep; the body
    # is written by hand, since json.dumps itself cannot go that deep
    opening = '{"k":[' * (depth // 2)
    closing = "]}" * (depth // 2)
    value = f'{{"deep":{opening}1{closing}}}'
    if name == "items":
        value = f"[{value}]"
    data = json.dumps(PURCHASE.data())[:-1] + f', "{name}": {value}}}'
    body = f'{{"site_slug": "{api_site.slug}", "data": {data}}}'

    # when it is sent
    response = api.post(PURCHASE.path, body, raw=True)

    # then it is refused, saying why, and nothing is stored
    message = assert_error(response, 400)
    assert f"nested too deeply (at most {MAX_JSON_DEPTH} levels)" in message
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("name", ["custom_properties", "items"])
def test_nesting_within_the_limit_is_accepted(api, api_site, name):
    # given a value whose deepest point is the limit, counted from the body's top (the body
    # and `data` are two levels; `items` and the item two more)
    value = nested(MAX_JSON_DEPTH - 2)
    if name == "items":
        value = [{"extra": nested(MAX_JSON_DEPTH - 4)}]

    # when it is sent
    response = post(api, api_site.slug, **{name: value})

    # then it is stored as sent
    assert_created(response)
    assert Origin.objects.count() == 1


def test_a_batch_nested_too_deeply_is_refused_whole(api, api_site):
    from tests.batch.support import PURCHASES_URL

    # given a batch with one row nested far too deeply
    deep = '{"k":[' * 400 + "1" + "]}" * 400
    body = (
        f'{{"site_slug": "{api_site.slug}", "data": [{{"email": "a@x.org", "order_number": "1",'
        f' "subtotal": 1, "custom_properties": {deep}}}]}}'
    )

    # when it is posted
    response = api.post(PURCHASES_URL, body, raw=True)

    # then the request is a 400 and no batch was kept
    assert "nested too deeply" in assert_error(response, 400)
    from goodword.origins.models import OriginBatch

    assert OriginBatch.objects.count() == 0


# ---- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "moment", "says"),
    [
        ("created_at", "9999-01-01T00:00:00Z", "more than one day in the future"),
        ("created_at", "2200-01-01T00:00:00Z", "more than one day in the future"),
        ("order_date", "9000-06-01T00:00:00Z", "more than one day in the future"),
        ("created_at", (NOW + timedelta(days=1, seconds=1)).isoformat(), "in the future"),
        ("created_at", "1999-12-31T23:59:59Z", "before 2000-01-01"),
        ("created_at", "1970-01-01T00:00:00Z", "before 2000-01-01"),
    ],
)
def test_a_date_outside_the_window_is_400_naming_it(api, api_site, name, moment, says):
    # when a purchase is dated outside the window
    response = post(api, api_site.slug, **{name: moment})

    # then it is refused with a message that says which date and why
    message = assert_error(response, 400)
    assert f"`data.{name}`" in message and says in message, message
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    "moment",
    ["2000-01-01T00:00:00Z", (NOW + timedelta(days=1)).isoformat(), "2026-07-07T18:00:00"],
    ids=["earliest", "latest", "now"],
)
def test_a_date_inside_the_window_is_accepted(api, api_site, moment):
    response = post(api, api_site.slug, created_at=moment)

    assert_created(response)
    assert Origin.objects.count() == 1


def test_a_refund_dated_in_year_9999_is_refused(api, api_site):
    # given a stored purchase
    assert_created(post(api, api_site.slug, order_number="R-1"))

    # when its refund is dated far in the future
    response = api.post(
        "/api/v2/origins/R-1/refund",
        {"site_slug": api_site.slug, "data": {"refunded_at": "9999-01-01T00:00:00Z"}},
    )

    # then it is refused and the purchase is not refunded
    assert "`data.refunded_at`" in assert_error(response, 400)
    assert Origin.objects.get().refunded_at is None


# ---- IP addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip", ["fe80::1%eth0", "fe80::1%1", "ff02::1%lo", "10.0.0.1/24", "300.1.1.1", "01.2.3.4"]
)
def test_an_ip_address_the_database_would_refuse_is_400(api, api_site, ip):
    # when a purchase carries an address PostgreSQL's inet does not take (or none at all)
    response = post(api, api_site.slug, ip_address=ip)

    # then it is refused, naming the field, on every database alike
    assert assert_error(response, 400) == '`data.ip_address` must be an IP address or "current"'
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("::ffff:198.51.100.7", "198.51.100.7"), ("2001:DB8::1", "2001:db8::1"), ("fe80::1", None)],
)
def test_an_ip_address_is_stored_in_one_spelling(api, api_site, sent, stored):
    response = post(api, api_site.slug, ip_address=sent)

    assert_created(response)
    assert Origin.objects.get().ip_address == (stored or sent)


@pytest.mark.parametrize(
    "sent",
    ["[" * 5000 + "]" * 5000, "[" * 900 + "]" * 900, '[["facebook"]]', '[{"a": 1}]'],
    ids=["beyond-recursion", "deep", "nested", "object"],
)
def test_the_offers_api_refuses_sharing_channels_nested_in_its_json_array(api, api_site, sent):
    # given an advocate's offer
    build_program(api_site.site)
    code = join(api, api_site.slug)["offer"]["short_url_code"]

    # when the channels come as a JSON array holding arrays, however deep
    response = api.get(
        f"/api/v2/offers/{code}", {"site_slug": api_site.slug, "sharing_channels": sent}
    )

    # then it is the usual 400, not a recursion error
    assert assert_error(response, 400) == "`sharing_channels` must be a JSON array of strings"


@pytest.mark.parametrize("name", ["campaign_tags", "coupon_codes"])
def test_a_comma_separated_string_far_beyond_the_limit_is_refused_before_it_is_split(
    api, api_site, name
):
    # when a purchase sends a hundred thousand tags (or codes) as one string
    response = post(api, api_site.slug, **{name: ",".join(["x"] * 100_000)})

    # then it is refused with the limit, and nothing is stored
    assert f"`data.{name}` takes at most" in assert_error(response, 400)
    assert stored_counts() == (0, 0)
