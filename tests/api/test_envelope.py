"""Every answer under /api/ is the Talkable envelope, whatever produced it."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

import goodword.origins.intake as intake
from tests.factories import PurchaseDataFactory
from tests.helpers import PURCHASE_URL, assert_created, assert_error, assert_json, stored_counts


def test_success_is_ok_true_with_a_result(api, api_site):
    # when a purchase is created
    response = api.post(
        PURCHASE_URL, {"site_slug": api_site.slug, "data": dict(PurchaseDataFactory())}
    )

    # then the body is {"ok": true, "result": ...} with a JSON content type
    assert_created(response)
    assert set(response.json()) == {"ok", "result"}


@pytest.mark.parametrize("path", ["/api/v2/no_such_thing", "/api/v2/origins/purchase/extra"])
def test_unknown_route_is_a_json_404(api, path):
    # when an unknown API route is requested
    response = api.get(path)

    # then the answer is the envelope, not Django's HTML page
    assert_error(response, 404)
    assert set(response.json()) == {"ok", "error_message"}


def test_unknown_route_without_a_key_is_still_a_json_404():
    # when an unknown API route is requested anonymously
    response = Client().get("/api/nothing/here")

    # then it is a JSON 404 too
    assert_error(response, 404)


def test_wrong_method_is_a_json_405_that_names_the_allowed_method(api, api_site):
    # when a POST-only route is read with GET
    response = api.get(PURCHASE_URL, {"site_slug": api_site.slug})

    # then it is a JSON 405 that still says what is allowed
    assert_error(response, 405)
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"site_slug": "x", "data": {', id="truncated"),
        pytest.param("{'single': 'quotes'}", id="not-json"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
    ],
)
def test_malformed_json_is_a_400_envelope(api, raw):
    # when the body cannot be parsed
    response = api.post(PURCHASE_URL, raw, raw=True)

    # then the caller hears that the body is not JSON, and nothing is stored
    message = assert_error(response, 400)
    assert "JSON" in message
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("[]", id="empty-array"),
        pytest.param('[{"site_slug": "x", "data": {}}]', id="array-of-objects"),
        pytest.param('"just a string"', id="string"),
        pytest.param("42", id="number"),
    ],
)
def test_json_that_is_not_an_object_is_a_400_envelope(api, api_site, raw):
    # when the body is valid JSON but not an object
    response = api.post(f"{PURCHASE_URL}?site_slug={api_site.slug}", raw, raw=True)

    # then it is refused in the envelope and nothing is stored
    assert_error(response, 400)
    assert stored_counts() == (0, 0)


def test_unhandled_exception_is_a_json_500_with_the_request_id_and_is_logged(
    api, api_site, monkeypatch, caplog
):
    # given a service that crashes
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(intake, "origin_create", explode)

    # when a purchase is posted
    with caplog.at_level(logging.ERROR, logger="goodword.api"):
        response = api.post(
            PURCHASE_URL, {"site_slug": api_site.slug, "data": dict(PurchaseDataFactory())}
        )

    # then the client gets a JSON 500 whose request id is the response header's
    message = assert_error(response, 500)
    body = response.json()
    request_id = response["X-Request-Id"]
    assert request_id and body["request_id"] == request_id
    assert request_id in message
    # ...and no internals
    assert "fire" not in response.content.decode()
    # ...and the crash is logged with the same id and its traceback
    records = [r for r in caplog.records if r.name == "goodword.api" and r.levelname == "ERROR"]
    assert len(records) == 1
    assert request_id in records[0].getMessage()
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)


def test_the_500_keeps_a_request_id_sent_by_a_proxy(api, api_site, monkeypatch):
    # given a crashing service and a proxy that set X-Request-Id
    monkeypatch.setattr(intake, "origin_create", lambda **kw: 1 / 0)

    # when a purchase is posted
    response = api.post(
        PURCHASE_URL,
        {"site_slug": api_site.slug, "data": dict(PurchaseDataFactory())},
        HTTP_X_REQUEST_ID="edge-1234.abc",
    )

    # then the proxy's id is the one quoted
    assert_error(response, 500)
    assert response.json()["request_id"] == "edge-1234.abc"
    assert response["X-Request-Id"] == "edge-1234.abc"


@pytest.mark.urls("tests.api.crash_urls")
def test_a_crash_in_any_view_under_api_is_a_json_500(caplog):
    # when a non-ninja view under /api/ raises
    with caplog.at_level(logging.ERROR, logger="goodword.api"):
        response = Client(raise_request_exception=False).get("/api/crash")

    # then the middleware answers in the envelope, quoting the request id, and logs it
    assert_error(response, 500)
    assert response.json()["request_id"] == response["X-Request-Id"]
    assert "secret detail" not in response.content.decode()
    assert any(response["X-Request-Id"] in r.getMessage() for r in caplog.records)


@pytest.mark.urls("tests.api.crash_urls")
def test_html_errors_under_api_are_wrapped_but_not_elsewhere():
    client = Client()

    # when a view under /api/ answers an error in HTML
    api_response = client.get("/api/teapot")
    # then it is turned into the envelope with the same status
    assert_error(api_response, 418)

    # and outside /api/ the same answer is left alone
    site_response = client.get("/teapot")
    assert site_response.status_code == 418
    assert site_response["Content-Type"].startswith("text/html")


# Regression: RequestDataTooBig fell through to the catch-all handler and answered 500.
def test_body_over_the_upload_limit_is_refused_as_a_client_error(api, api_site, settings):
    # given a small upload limit
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = dict(PurchaseDataFactory(custom_properties={"pad": "x" * 2048}))

    # when a bigger body is posted
    response = api.post(PURCHASE_URL, {"site_slug": api_site.slug, "data": data})

    # then it is a client error in the envelope (413), not a server crash
    assert_error(response, 413)
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", PURCHASE_URL, {"data": {}}),
        ("post", "/api/v2/origins", {"type": "Nope"}),
        ("get", "/api/v2/origins", None),
        ("get", "/api/v2/missing", None),
        ("post", "/api/v2/origins/event", {"site_slug": "nope", "data": {}}),
    ],
)
def test_every_api_answer_is_json_with_a_request_id(api, method, path, body):
    # when anything at all is asked of the API
    response = api.post(path, body) if method == "post" else api.get(path)

    # then the answer is JSON with the envelope's ok flag and a request id header
    body = assert_json(response)
    assert body["ok"] is (response.status_code < 400)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response["X-Request-Id"])
