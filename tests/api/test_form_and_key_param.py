"""Talkable also takes the key as the `api_key` parameter and bodies form-encoded."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from django.test import Client
from ninja.errors import HttpError

from goodword.api.v2.parser import nest_form
from goodword.origins.models import Origin
from tests.helpers import PURCHASE_URL, assert_created, assert_error, stored_counts


def form(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


def purchase_pairs(site_slug: str, order: str = "F-1") -> list[tuple[str, str]]:
    return [
        ("site_slug", site_slug),
        ("data[email]", "buyer@example.org"),
        ("data[order_number]", order),
        ("data[subtotal]", "25.50"),
        ("data[coupon_codes][]", "SAVE"),
        ("data[coupon_codes][]", "MORE"),
        ("data[items][][product_id]", "A"),
        ("data[items][][price]", "10"),
        ("data[items][][product_id]", "B"),
        ("data[items][][price]", "15.50"),
    ]


def test_api_key_in_the_query_string_is_accepted(api_site):
    # given a client with no Authorization header, sending the key as `api_key`
    client = Client()

    # when it creates a purchase
    response = client.post(
        f"{PURCHASE_URL}?api_key={api_site.key}",
        {
            "site_slug": api_site.slug,
            "data": {"email": "a@example.org", "order_number": "Q-1", "subtotal": 5},
        },
        content_type="application/json",
    )

    # then the purchase is stored on the key's site
    result = assert_created(response)
    assert Origin.objects.get(pk=result["origin"]["id"]).site_id == api_site.site.id


def test_a_form_encoded_body_with_api_key_creates_the_purchase(api_site):
    # given a form-encoded purchase, Rails-style, with the key among its parameters
    body = form([("api_key", api_site.key), *purchase_pairs(api_site.slug)])

    # when it is posted
    response = Client().post(PURCHASE_URL, body, content_type="application/x-www-form-urlencoded")

    # then it is stored as the same JSON would have been
    result = assert_created(response)
    origin = Origin.objects.get(pk=result["origin"]["id"])
    assert origin.order_number == "F-1"
    assert str(origin.subtotal) == "25.50"
    assert origin.coupon_codes == ["SAVE", "MORE"]
    assert [(i["product_id"], str(i["price"])) for i in origin.items] == [
        ("A", "10.00"),
        ("B", "15.50"),
    ]


@pytest.mark.parametrize("key", ["", "wrong-key"])
def test_a_bad_api_key_parameter_is_401(api_site, key):
    # when the parameter carries no valid key
    response = Client().post(
        PURCHASE_URL,
        form([("api_key", key), *purchase_pairs(api_site.slug)]),
        content_type="application/x-www-form-urlencoded",
    )

    # then it is refused and nothing is stored
    assert_error(response, 401)
    assert stored_counts() == (0, 0)


def test_nest_form_builds_objects_and_arrays_in_the_order_sent():
    # given Rails-style parameters
    pairs = parse_qsl(
        "a=1&data[x][]=p&data[x][]=q&data[items][][k]=1&data[items][][v]=2&data[items][][k]=3"
    )

    # when nested / then objects and arrays come out as a JSON client would send them
    assert nest_form(pairs) == {
        "a": "1",
        "data": {"x": ["p", "q"], "items": [{"k": "1", "v": "2"}, {"k": "3"}]},
    }


@pytest.mark.parametrize(
    "pairs",
    [
        [("[x]", "1")],
        [("data[a][]", "1"), ("data[a][b]", "2")],
        [("data[x]", "1"), ("data[x][y]", "2")],
    ],
    ids=["no-name", "array-then-object", "text-then-object"],
)
def test_nest_form_refuses_names_that_make_no_shape(pairs):
    # when parameters name no consistent shape / then the body is refused
    with pytest.raises(HttpError):
        nest_form(pairs)


def test_form_body_with_a_bad_field_is_400_naming_it(api, api_site):
    # given a form-encoded purchase with a subtotal that is not a number
    pairs = [(k, "lots" if k == "data[subtotal]" else v) for k, v in purchase_pairs(api_site.slug)]

    # when it is posted with the key as a header
    response = api.client.post(
        PURCHASE_URL,
        form(pairs),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api_site.key}",
    )

    # then it is refused naming the field
    assert_error(response, 400, "`data.subtotal` must be a number")
    assert stored_counts() == (0, 0)
