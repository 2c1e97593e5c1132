"""Tenancy leaks through `site_slug`: to a key that belongs to neither, another site's slug and
an unknown slug get the same answer, on every endpoint that takes one (read from our own
OpenAPI description, so a new endpoint is covered the day it is added)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from goodword.api.v2.api import api as ninja_api
from tests.conftest import ApiClient
from tests.factories import SiteFactory, make_key

ORDER = "LEAK-1"
EMAIL = "leak@buyers.example.org"


def operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if operation.get("security") == [] or not operation.get("security", True):
                continue
            found.append((method.upper(), path))
    return sorted(found)


def concrete(path: str) -> str:
    """The path with the other site's objects in it: a person, an origin that exist there."""
    values = {"person_slug": EMAIL, "origin_slug": ORDER}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)


def send(client: ApiClient, method: str, path: str, slug: str) -> tuple[int, Any]:
    url = f"{concrete(path)}?site_slug={slug}"
    body = json.dumps({"site_slug": slug, "data": {"email": EMAIL}})
    headers = client._headers()
    if method == "GET":
        response = client.client.get(url, headers=headers)
    else:
        response = client.client.generic(
            method, url, data=body, content_type="application/json", headers=headers
        )
    return response.status_code, response.json()


@pytest.mark.parametrize(("method", "path"), operations())
def test_another_sites_slug_answers_like_an_unknown_one(db, method, path):
    # given a site with a person and an origin, and a key of a third site
    owner = SiteFactory()
    owner_api = ApiClient(make_key(owner).raw_key)
    created = owner_api.post(
        "/api/v2/origins/purchase",
        {"site_slug": owner.slug, "data": {"email": EMAIL, "order_number": ORDER, "subtotal": 5}},
    )
    assert created.status_code == 201, created.content
    stranger = ApiClient(make_key(SiteFactory()).raw_key)

    # when the stranger names the owner's site, and then a site that does not exist
    foreign = send(stranger, method, path, owner.slug)
    unknown = send(stranger, method, path, "no-such-site")

    # then the two answers cannot be told apart, and neither is a success
    assert foreign == unknown
    assert 400 <= foreign[0] < 500 and foreign[1]["ok"] is False, foreign


def test_every_endpoint_with_a_site_is_covered():
    # the list the test above runs over is the API's, not a hand-written one
    ops = operations()
    assert ("POST", "/api/v2/origins/purchase") in ops
    assert ("GET", "/api/v2/rewards") in ops
    assert len(ops) >= 20
