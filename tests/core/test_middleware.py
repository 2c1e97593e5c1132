"""Request ids: one per request, in X-Request-Id, a proxy's kept only when it is safe."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def test_every_response_carries_a_fresh_request_id(db):
    client = Client()
    a = client.get("/healthz")["X-Request-Id"]
    b = client.get("/healthz")["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert a != b


def test_a_proxys_safe_request_id_is_kept(db):
    response = Client().get("/healthz", headers={"X-Request-Id": "lb-01.req_42-x"})
    assert response["X-Request-Id"] == "lb-01.req_42-x"


@pytest.mark.parametrize(
    "incoming",
    ["<script>alert(1)</script>", "a b", "x" * 65, "id\r\nSet-Cookie: a=b", ""],
    ids=["markup", "space", "too-long", "header-injection", "empty"],
)
def test_an_odd_request_id_is_replaced_not_echoed(db, incoming):
    response = Client().get("/healthz", headers={"X-Request-Id": incoming})
    assert response["X-Request-Id"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-Id"])
