"""A property-based fuzz of every endpoint of our OpenAPI description (the one /api/v2/docs
serves, so a new endpoint is fuzzed the day it is added): bodies built from each operation's
request schema, half of them bent out of shape (wrong types, nulls, huge numbers, odd strings,
extra keys, deep nesting), and odd path and query parameters. However wrong the request, the
answer is never a 5xx, and a 4xx (or any answer to a read) stores nothing: the row count of
every table is the same after it as before.

Plain Hypothesis strategies over the schema (Hypothesis is pinned in pyproject.toml); requests go
through Django's test client, in process."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goodword.api.v2.api import api as ninja_api
from tests.conftest import postgres_only
from tests.factories import SiteFactory, make_key
from tests.faults.conftest import figures
from tests.referrals.program import build_program, join

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db]

SCHEMA = ninja_api.get_openapi_schema()
EXAMPLES = 60  # per operation

# Strings that have broken parsers and databases before.
ODD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud7ff",
        "💥" * 50,
        "x" * 5000,
        "-1",
        "1e309",
        "NaN",
        "null",
        "2026-13-45T25:61:61Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "fe80::1%eth0",
        "300.1.1.1",
        "../../etc/passwd",
        "%00",
        "'; DROP TABLE x; --",
        "<script>",
        "facebook",
        "approved",
        "USD",
    ]
)
TEXT = st.one_of(st.text(max_size=40), ODD_STRINGS)
# Path and query parameters: the same strings, the NUL byte included (refused with a 400 before
# any lookup, core/input_guard.py). False leaves it out, to fuzz what lies behind that guard.
PARAMETER_NUL = True
PARAMETER_TEXT = TEXT if PARAMETER_NUL else TEXT.filter(lambda t: "\x00" not in t)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 10**20, 0.1, 1e300]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def deep(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


DEEP = st.sampled_from([deep(50), deep(300), deep(900)])


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def shaped(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """A value the schema describes, roughly (formats and bounds are not honoured on purpose)."""
    schema = resolve(schema)
    if depth > 6:
        return SCALARS
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([shaped(s, depth + 1) for s in schema.get("anyOf", schema.get("oneOf"))])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: named(k, v, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: named(k, v, depth + 1) for k, v in properties.items() if k not in required
            },
        )
    if kind == "array":
        return st.lists(bent(schema.get("items", {}), depth + 1), max_size=4)
    if kind == "string":
        return TEXT
    if kind in ("integer", "number"):
        return NUMBERS
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON


# Values that pass validation for fields known by name, so that a good share of requests get
# past it into the services (a fuzz that only meets the validator proves little).
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "email": st.emails().map(lambda e: e[:200]),
    "order_number": st.from_regex(r"[A-Z]{1,3}-[0-9]{1,6}", fullmatch=True),
    "subtotal": st.decimals(min_value=0, max_value=10**6, places=2).map(float),
    "uuid": st.uuids().map(str),
    "status": st.sampled_from(["approved", "voided", "unblocked", "pending"]),
    "channel": st.sampled_from(["facebook", "twitter", "other"]),
    "event_category": st.sampled_from(["signup", "review"]),
    "event_number": st.from_regex(r"E-[0-9]{1,6}", fullmatch=True),
    "ip_address": st.ip_addresses().map(str),
    "created_at": st.datetimes().map(lambda d: d.isoformat() + "Z"),
    "refunded_at": st.datetimes().map(lambda d: d.isoformat() + "Z"),
}


def named(name: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if name in PLAUSIBLE:
        return st.one_of(PLAUSIBLE[name], PLAUSIBLE[name], bent(schema, depth))
    return bent(schema, depth)


def bent(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly the shape the schema asks for, sometimes anything at all."""
    return st.one_of(shaped(schema, depth), shaped(schema, depth), ANY_JSON, DEEP)


def operations() -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, methods in SCHEMA["paths"].items()
        for method in methods
        if path.startswith("/api/v2/")
    )


def table_counts() -> dict[str, int]:
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(t)})" for t in tables)
        )
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


@pytest.fixture
def shop(db):
    """A site with a live campaign and an advocate's offer, so requests reach deep code."""
    site = SiteFactory()
    key = make_key(site).raw_key
    build_program(site)
    from tests.conftest import ApiClient

    offer = join(ApiClient(key), site.slug)["offer"]
    return site, key, offer


@pytest.mark.parametrize(("method", "path"), operations())
def test_no_request_gets_a_5xx_and_a_refused_one_stores_nothing(shop, method, path):
    site, key, offer = shop
    operation = SCHEMA["paths"][path][method.lower()]
    body_schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    known = {
        "short_url_code": offer["short_url_code"],
        "person_slug": "advocate@example.com",
        "origin_slug": "F-1",
    }
    path_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    client = Client(raise_request_exception=False)
    statuses: Counter[int] = Counter()
    refusals_that_stored: list[str] = []

    path_values = st.fixed_dictionaries(
        {name: st.one_of(st.just(known.get(name, "x")), PARAMETER_TEXT) for name in path_names}
    )
    slugs = st.one_of(st.just(site.slug), st.just(site.slug), st.just(site.slug), TEXT, ANY_JSON)
    bodies = (
        st.one_of(bent(body_schema), bent(body_schema), st.binary(max_size=64), DEEP)
        if body_schema is not None
        else st.none()
    )

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        params=path_values,
        query=st.dictionaries(
            st.sampled_from(["site_slug", "status", "visitor_uuid"]), TEXT, max_size=2
        ),
        slug=slugs,
        body=bodies,
    )
    def one_request(params, query, slug, body):
        url = path
        for name, value in params.items():
            url = url.replace("{" + name + "}", quote(str(value), safe=""))
        query = {"site_slug": site.slug, **query}
        url += "?" + "&".join(f"{quote(k)}={quote(str(v))}" for k, v in query.items())
        if isinstance(body, dict):
            body = {**body, "site_slug": slug}
        data = body if isinstance(body, bytes) else json.dumps(body)
        before = table_counts()
        response = client.generic(
            method,
            url,
            data=data if method != "GET" else "",
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        statuses[response.status_code] += 1
        assert response.status_code < 500, (method, url, data[:500], response.content[:2000])
        if response.status_code >= 400 or method == "GET":
            after = table_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                refusals_that_stored.append(f"{response.status_code} {url}: {changed}")
            assert not changed, (method, url, data[:500], response.status_code, changed)

    one_request()
    figures(
        f"fuzz {method} {path}",
        requests=sum(statuses.values()),
        statuses=dict(sorted(statuses.items())),
        five_xx=sum(n for s, n in statuses.items() if s >= 500),
        refusals_that_stored=len(refusals_that_stored),
    )
