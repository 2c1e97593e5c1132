"""GET /api/v2/traffic_sources: the distinct traffic sources of the site's origins."""

from __future__ import annotations

import pytest

from goodword.origins.selectors import traffic_source_list
from tests.conftest import ApiClient, is_postgres
from tests.factories import PersonFactory, SiteFactory, make_key
from tests.referrals.program import JOIN_URL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

URL = "/api/v2/traffic_sources"


def report(api: ApiClient, slug: str, email: str, source: str | None) -> None:
    data = {"email": email} if source is None else {"email": email, "traffic_source": source}
    response = api.post(JOIN_URL, {"site_slug": slug, "data": data})
    assert response.status_code == 201, response.content


def test_each_source_is_listed_once_in_order(api, api_site, openapi):
    # given origins from three sources, some repeated, and some with none
    for n, source in enumerate(["web", "mobile", "web", "pos", None, "mobile"]):
        report(api, api_site.slug, f"m{n}@example.com", source)

    response = api.get(URL, {"site_slug": api_site.slug})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True,
        "result": [{"identifier": "mobile"}, {"identifier": "pos"}, {"identifier": "web"}],
    }
    contract = openapi["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]
    assert all(
        set(item) == set(contract["example"]["result"][0]) for item in response.json()["result"]
    )


def test_a_site_without_origins_has_no_sources(api, api_site):
    response = api.get(URL, {"site_slug": api_site.slug})

    assert response.json() == {"ok": True, "result": []}


def test_another_sites_sources_are_not_listed(api, api_site):
    report(api, api_site.slug, "a@example.com", "web")
    other = SiteFactory()
    theirs = ApiClient(make_key(other).raw_key)
    report(theirs, other.slug, "b@example.com", "newsletter")

    assert traffic_source_list(site_id=api_site.site.pk) == ["web"]
    response = theirs.get(URL, {"site_slug": other.slug})
    assert response.json()["result"] == [{"identifier": "newsletter"}]


def test_the_list_is_bounded(api, api_site, monkeypatch):
    from goodword.origins import selectors

    monkeypatch.setattr(selectors, "TRAFFIC_SOURCES_MAX", 2)
    for n, source in enumerate(["c", "a", "b"]):
        report(api, api_site.slug, f"m{n}@example.com", source)

    assert traffic_source_list(site_id=api_site.site.pk) == ["a", "b"]


def test_the_walk_reads_the_index_and_never_scans_the_origins(api_site):
    from django.db import connection

    from goodword.origins.selectors import _TRAFFIC_SOURCES

    site = api_site.site
    person = PersonFactory(site=site)
    with connection.cursor() as cursor:
        if is_postgres():
            # A site with many origins and few sources, as the planner's statistics see it.
            cursor.execute(
                "INSERT INTO origins_origin (site_id, person_id, type, email, currency, "
                "coupon_codes, items, campaign_tags, traffic_source, occurred_at, fingerprint, "
                "created_at) SELECT %s, %s, 'AffiliateMember', 'x@example.com', 'USD', '[]', "
                "'[]', '[]', 'source-' || (n %% 5), now(), '', now() "
                "FROM generate_series(1, 20000) AS n",
                [site.pk, person.pk],
            )
            cursor.execute("ANALYZE origins_origin")
            cursor.execute("EXPLAIN " + _TRAFFIC_SOURCES, [site.pk, site.pk, 10])
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + _TRAFFIC_SOURCES, [site.pk, site.pk, 10])
        plan = "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())

    assert "origin_site_traffic_idx" in plan, plan
    assert "Seq Scan on origins_origin" not in plan, plan
    assert "SCAN origins_origin" not in plan.replace("SCAN origins_origin USING", ""), plan
