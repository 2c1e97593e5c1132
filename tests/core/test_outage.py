"""The outage answer without a real outage (tests/core/test_outage_postgres.py stops a real
cluster): 503 with Retry-After, logged once per outage, the recovery noticed, and the claim
page's fallbacks."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.db import OperationalError
from django.test import Client

from goodword.api.v2 import auth as api_auth
from goodword.core.outage import outage
from goodword.coupons.models import Coupon
from goodword.offers import services as offer_services
from goodword.offers import views as offer_views
from tests.referrals.program import DESTINATION, build_program, click, join, landing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture(autouse=True)
def fresh_state():
    outage.reset()
    offer_services._destinations.clear()
    yield
    outage.reset()
    offer_services._destinations.clear()


def down(*args, **kwargs):
    raise OperationalError("connection refused")


def test_api_requests_answer_503_and_the_outage_is_logged_once(
    api_site, monkeypatch, caplog, settings
):
    # given the database refusing connections when the key is checked
    settings.OUTAGE_RETRY_AFTER_SECONDS = 9
    monkeypatch.setattr(api_auth, "site_for_key", down)
    caplog.set_level(logging.INFO, logger="goodword")

    # when three API requests arrive
    answers = [
        Client().get(
            "/api/v2/people/x@example.com",
            {"site_slug": api_site.slug},
            HTTP_AUTHORIZATION="Bearer k",
        )
        for _ in range(3)
    ]

    # then each is a 503 in the envelope with Retry-After, and one line says why
    for answer in answers:
        assert answer.status_code == 503
        assert answer["Retry-After"] == "9"
        assert answer.json()["ok"] is False
        assert "temporarily unavailable" in answer.json()["error_message"]
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("goodword")]
    assert sum("database unavailable" in line for line in lines) == 1, lines
    assert not any("unhandled error" in line for line in lines)
    assert outage.refused == 3


def test_the_first_request_that_works_ends_the_outage_with_one_line(api_site, monkeypatch, caplog):
    # given an outage noticed by a request
    caplog.set_level(logging.INFO, logger="goodword")
    with monkeypatch.context() as patch:
        patch.setattr(api_auth, "site_for_key", down)
        refused = Client().get(
            "/api/v2/people/x@example.com",
            {"site_slug": api_site.slug},
            HTTP_AUTHORIZATION=f"Bearer {api_site.key}",
        )
    assert refused.status_code == 503 and outage.is_down

    # when requests succeed with the database answering again
    for _ in range(2):
        ok = Client().get(
            "/api/v2/people/x@example.com",
            {"site_slug": api_site.slug},
            HTTP_AUTHORIZATION=f"Bearer {api_site.key}",
        )
        assert ok.status_code < 500, ok.content

    # then the outage is over, said once
    assert not outage.is_down
    lines = [r.getMessage() for r in caplog.records if "database available again" in r.getMessage()]
    assert len(lines) == 1 and "1 requests were answered 503" in lines[0]


def test_a_page_outside_the_api_is_a_503_page_that_reloads(api_site, monkeypatch):
    # given the portal's login page meeting a database outage
    from goodword.portal.views import account

    monkeypatch.setattr(account.LoginView, "get", lambda self, request, *a, **k: down())

    response = Client().get("/portal/login/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert 'http-equiv="refresh"' in response.content.decode()


def test_a_claim_link_seen_before_the_outage_still_redirects(api, api_site, monkeypatch):
    # given a claim link followed once while the database was up
    build_program(api_site.site)
    url = join(api, api_site.slug)["offer"]["claim_url"]
    _, before = click(url)
    store = before["Location"].split("?")[0]
    coupons_before = Coupon.objects.filter(claimed_at__isnull=False).count()

    # when the database is down
    monkeypatch.setattr(offer_views, "link_resolve", down)
    _, response = click(url, ip="198.51.100.77")

    # then the friend goes to the same store, as a visitor of their own, without a code; no
    # visitor cookie is set (which site's it would be is not known while the database is down)
    after = landing(response)
    assert response["Location"].split("?")[0] == store == DESTINATION.split("?")[0]
    assert "tkbl_coupon" not in after
    assert uuid.UUID(after["tkbl_cvuuid"][0])
    assert not [name for name in response.cookies if name.startswith("gw_vuuid")]
    assert Coupon.objects.filter(claimed_at__isnull=False).count() == coupons_before


def test_a_link_this_process_never_saw_goes_to_the_configured_page(api_site, monkeypatch, settings):
    # given the database down and an operator's fallback page
    settings.OUTAGE_REDIRECT_URL = "https://shop.example.com/welcome"
    monkeypatch.setattr(offer_views, "link_resolve", down)

    # when a friend follows a link this process has not seen
    _, response = click("/x/never-seen")

    # then they land there, as a visitor
    assert response["Location"].startswith("https://shop.example.com/welcome?tkbl_cvuuid=")


def test_a_link_nobody_can_place_gets_the_page_that_reloads(api_site, monkeypatch):
    # given the database down, no fallback page, and no link seen by this process
    monkeypatch.setattr(offer_views, "link_resolve", down)

    _, response = click("/x/never-seen")

    # then the friend sees a short page that reloads by itself, not an error
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert 'http-equiv="refresh"' in response.content.decode()
