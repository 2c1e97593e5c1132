"""The hot path's SQL round trips: one POST /api/v2/origins/purchase of a new friend's purchase on
a site with a campaign (the origin, its new person and the attribution job), counted exactly.

Django's cursors are counted by CaptureQueriesContext; on PostgreSQL the origin write runs on a
psycopg cursor of its own, which Django does not see, so every statement psycopg sends is
counted too (Django's cursor classes derive from psycopg's, so that count covers both)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from goodword.origins.models import Origin
from goodword.worker.models import Job
from tests.conftest import ApiSite, is_postgres
from tests.referrals.program import PURCHASE_URL, build_program


@contextmanager
def psycopg_statements() -> Iterator[list[str]]:
    """Every statement sent through any psycopg cursor while open (none on SQLite)."""
    sent: list[str] = []
    if not is_postgres():
        yield sent
        return
    import psycopg

    original = psycopg.Cursor.execute

    def counting(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(" ".join(str(query).split())[:40])
        return original(self, query, params, **kwargs)

    psycopg.Cursor.execute = counting  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]


def post_purchase(client: Client, site: ApiSite, number: str, email: str) -> int:
    body = {
        "site_slug": site.slug,
        "data": {"email": email, "order_number": number, "subtotal": "25.00"},
    }
    response = client.post(
        PURCHASE_URL, body, "application/json", headers={"Authorization": f"Bearer {site.key}"}
    )
    return int(response.status_code)


@pytest.fixture
def warm(api_site: ApiSite, frozen_now) -> Client:
    """A site with a live campaign whose key and program are cached, as in a running server."""
    build_program(api_site.site)
    client = Client()
    assert post_purchase(client, api_site, "WARM-1", "warm@example.com") == 201
    return client


def test_a_new_friend_purchase_costs_its_exact_round_trips(api_site, warm):
    # given a running site (key and program cached) with a live campaign
    # when a new friend's purchase comes in
    with CaptureQueriesContext(connection) as django_side, psycopg_statements() as psycopg_side:
        status = post_purchase(warm, api_site, "F-1", "new-friend@example.com")

    # then it is stored with its attribution job...
    assert status == 201
    origin = Origin.objects.get(order_number="F-1")
    assert Job.objects.filter(kind="attribute", ref_id=origin.pk).count() == 1
    # ...in exactly these statements
    django_statements = [
        " ".join(q["sql"].replace('"', "").split()[:3]) for q in django_side.captured_queries
    ]
    if is_postgres():
        # one prepared CTE on the hot path's own cursor: person, origin and job in one statement
        assert django_statements == []
        assert len(psycopg_side) == 1
        assert psycopg_side[0].startswith("WITH existing AS ( SELECT id FROM origi")
    else:
        # the write under a savepoint: the person upsert, the origin, the job, nothing else
        assert len(django_statements) == 5
        assert django_statements[0].startswith("SAVEPOINT ")
        assert django_statements[1:4] == [
            "INSERT INTO people_person",
            "INSERT INTO origins_origin",
            "INSERT INTO worker_job",
        ]
        assert django_statements[4].startswith("RELEASE SAVEPOINT ")
