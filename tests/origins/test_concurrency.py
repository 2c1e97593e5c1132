"""Concurrent duplicates resolve in the database (ENGINE.md: constraints, not check-then-insert).

Real HTTP against the live server, one thread per client, all released at once by a barrier so
that the requests overlap inside the database.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from goodword.origins.models import Origin
from goodword.people.models import Person
from tests.conftest import postgres_only
from tests.factories import PurchaseDataFactory, SiteFactory, make_key
from tests.helpers import DUPLICATE_PURCHASE, PURCHASE_URL

CLIENTS = 50

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def post_all_at_once(url: str, key: str, bodies: list[dict[str, Any]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> requests.Response:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            return session.post(
                url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60
            )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


@pytest.fixture
def shop(transactional_db):
    site = SiteFactory()
    return site, make_key(site).raw_key


def test_the_same_purchase_from_50_clients_at_once_is_stored_once(live_server, shop):
    # given one purchase that 50 clients send at the same moment
    site, key = shop
    data = dict(PurchaseDataFactory(order_number="RACE-1", email="racer@example.com"))
    body = {"site_slug": site.slug, "data": data}

    # when they all post it
    responses = post_all_at_once(f"{live_server.url}{PURCHASE_URL}", key, [body] * CLIENTS)

    # then every client is told it was created, with the same origin
    statuses = [r.status_code for r in responses]
    assert statuses == [201] * CLIENTS, [r.text for r in responses if r.status_code != 201]
    bodies = [r.json() for r in responses]
    assert all(b["ok"] is True for b in bodies)
    ids = {b["result"]["origin"]["id"] for b in bodies}
    assert len(ids) == 1
    # and the database holds exactly one purchase and one person
    assert list(Origin.objects.values_list("id", flat=True)) == list(ids)
    assert Person.objects.count() == 1


def test_conflicting_purchases_from_50_clients_at_once_one_wins(live_server, shop):
    # given 50 clients that each send order RACE-2 with their own subtotal and email
    site, key = shop
    bodies = [
        {
            "site_slug": site.slug,
            "data": dict(
                PurchaseDataFactory(
                    order_number="RACE-2", subtotal=i + 1, email=f"racer{i}@example.com"
                )
            ),
        }
        for i in range(CLIENTS)
    ]

    # when they all post at once
    responses = post_all_at_once(f"{live_server.url}{PURCHASE_URL}", key, bodies)

    # then exactly one is created and every other is refused as a duplicate
    created = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 400]
    assert len(created) == 1, [r.status_code for r in responses]
    assert len(refused) == CLIENTS - 1, [r.text for r in responses if r.status_code != 400]
    assert all(r.json() == {"ok": False, "error_message": DUPLICATE_PURCHASE} for r in refused)
    # and the one stored is the winner's, with only the winner's person
    winner = created[0].json()["result"]["origin"]
    stored = Origin.objects.get()
    assert stored.pk == winner["id"]
    assert stored.email == winner["email"]
    assert list(Person.objects.values_list("email", flat=True)) == [winner["email"]]
