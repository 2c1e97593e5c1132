"""The people calls of Talkable's client libraries, sent as they send them: the person slug
URL-escaped in the path (`CGI.escape`: `@` as %40, `+` as %2B), `site_slug` in the JSON body
of writes and in the query of reads, the key as a Bearer token. Each must succeed unchanged."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
from django.test import Client

from goodword.people.models import Person
from tests.referrals.program import build_program, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

EMAIL = "john+shop@example.com"


def client_call(api_site, method: str, path: str, body: dict | None = None, query: str = ""):
    headers = {"Authorization": f"Bearer {api_site.key}", "Accept": "application/json"}
    url = f"/api/v2{path}" + (f"?{query}" if query else "")
    send = getattr(Client(), method)
    if body is None:
        return send(url, headers=headers)
    return send(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_the_client_libraries_people_calls_succeed(api, api_site):
    build_program(api_site.site)
    join(api, api_site.slug, email=EMAIL)
    slug = quote_plus(EMAIL)  # john%2Bshop%40example.com
    site = {"site_slug": api_site.slug}

    # Talkable::API::Person.update(email, first_name: ..., custom_properties: ...)
    updated = client_call(
        api_site,
        "put",
        f"/people/{slug}",
        {**site, "data": {"first_name": "John", "custom_properties": {"tier": "gold"}}},
    )
    # Talkable::API::Person.find(email)
    found = client_call(api_site, "get", f"/people/{slug}", query=f"site_slug={api_site.slug}")
    # Talkable::API::Person.unsubscribe(email)
    unsubscribed = client_call(api_site, "post", f"/people/{slug}/unsubscribe", site)
    # Talkable::API::Person.personal_data(email)
    data = client_call(
        api_site, "get", f"/people/{slug}/personal_data", query=f"site_slug={api_site.slug}"
    )
    # Talkable::API::Person.shares_by(email)
    shares = client_call(
        api_site, "get", f"/people/{slug}/shares_by", query=f"site_slug={api_site.slug}"
    )
    # Talkable::API::Person.anonymize(email)
    anonymized = client_call(api_site, "post", f"/people/{slug}/anonymize", site)

    for response in (updated, found, unsubscribed, data, shares, anonymized):
        assert response.status_code == 200, (response.request["PATH_INFO"], response.content)
        assert response.json()["ok"] is True
    assert found.json()["result"]["person"]["custom_properties"] == {"tier": "gold"}
    assert unsubscribed.json()["result"]["person"]["unsubscribed_at"] is not None
    assert data.json()["result"]["person"]["email"] == EMAIL
    assert shares.json()["result"]["shares"] == []
    assert anonymized.json()["result"]["person"]["email"].endswith("@anonymized.email")
    assert not Person.objects.filter(email=EMAIL).exists()
