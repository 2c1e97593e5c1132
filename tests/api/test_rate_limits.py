"""API request limits per client address and per API key: 429 with Retry-After in the
envelope, counted per one-minute window in the process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.conftest import NOW
from tests.factories import make_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def person(api_site, key: str, ip: str = "192.0.2.10"):
    return Client().get(
        "/api/v2/people/nobody@example.com",
        {"site_slug": api_site.slug},
        HTTP_AUTHORIZATION=f"Bearer {key}",
        REMOTE_ADDR=ip,
    )


def test_a_key_over_its_limit_gets_429_with_retry_after(api_site, settings, time_machine):
    # given a limit of 5 requests a minute per key, 20 seconds into a minute
    settings.API_RATE_PER_KEY = 5
    time_machine.move_to(NOW + timedelta(seconds=20), tick=False)

    # when the key sends 7 requests, from two addresses
    answers = [person(api_site, api_site.key, ip=f"192.0.2.{n % 2}") for n in range(7)]

    # then 5 were answered and the rest refused in the envelope, told when to come back
    assert [a.status_code == 429 for a in answers] == [False] * 5 + [True] * 2
    refused = answers[-1]
    assert refused["Retry-After"] == "40"
    assert refused.json() == {
        "ok": False,
        "error_message": "Too many requests: at most 5 a minute per API key. Retry in 40 seconds.",
    }
    # and another key of the same site, from the same address, is not affected
    other = make_key(api_site.site).raw_key
    assert person(api_site, other, ip="192.0.2.0").status_code != 429

    # and the next minute the key is served again
    time_machine.move_to(NOW + timedelta(seconds=60), tick=False)
    assert person(api_site, api_site.key).status_code != 429


def test_an_address_over_its_limit_gets_429_whatever_the_key(api_site, settings):
    # given a limit of 3 requests a minute per address
    settings.API_RATE_PER_IP = 3

    # when one address sends requests with good and made-up keys
    answers = [person(api_site, key) for key in (api_site.key, "made-up-1", "made-up-2")]
    over = [person(api_site, key) for key in (api_site.key, "made-up-3")]

    # then the fourth and later are refused before any key is checked
    assert all(a.status_code != 429 for a in answers)
    assert [a.status_code for a in over] == [429, 429]
    assert "per client address" in over[0].json()["error_message"]
    # and another address is served
    assert person(api_site, api_site.key, ip="198.51.100.3").status_code != 429


def test_limits_of_zero_are_off_and_pages_outside_the_api_are_not_counted(api_site, settings):
    settings.API_RATE_PER_IP = 0
    settings.API_RATE_PER_KEY = 0

    assert all(person(api_site, api_site.key).status_code != 429 for _ in range(30))

    settings.API_RATE_PER_IP = 1
    assert all(Client().get("/healthz").status_code == 200 for _ in range(3))
