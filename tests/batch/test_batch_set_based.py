"""On PostgreSQL a chunk is stored set-based (ADR 0018): the same origins, people, jobs and row
errors as one row at a time, in a number of statements that does not grow with the chunk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from goodword.origins.models import Origin, OriginBatch
from goodword.people.models import Person
from goodword.sites.models import Site
from goodword.worker import queue
from goodword.worker.loop import load_handlers
from goodword.worker.models import Job
from tests.batch.support import PURCHASES_URL, post_batch, purchase, row_errors, the_batch
from tests.conftest import ApiClient, postgres_only
from tests.factories import SiteFactory, make_key
from tests.helpers import DUPLICATE_PURCHASE
from tests.referrals.program import PURCHASE_URL, build_program
from tests.roundtrips import listing, statements

pytestmark = [postgres_only, pytest.mark.django_db]

# Statements of one chunk's job on the set path, whatever its size (a row takes two to five
# statements row by row): the runner's savepoint; the chunk with its batch; the chunk's
# savepoint; stored identities, people, origins, their attribution jobs; its release; the
# chunk's deletion, the batch's lock, the look for other chunks, the counters; the job's
# deletion and the runner's release.
SET_STATEMENTS = 14


def run_batch_jobs() -> int:
    """Run the queued batch chunks only (their attribution jobs stay queued, to be compared)."""
    load_handlers()
    done = 0
    while jobs := queue.claim(limit=100, kind="origin_batch"):
        for job in jobs:
            queue.run_one(job)
        done += len(jobs)
    return done


def shop(name: str) -> tuple[Site, ApiClient]:
    site = SiteFactory(slug=name)
    build_program(site)  # a live campaign: friends' purchases get attribution jobs
    return site, ApiClient(make_key(site).raw_key, drain=False)


def given_stored_before(site: Site, api: ApiClient) -> None:
    for data in (
        purchase("S-1", email="old@example.org", first_name="Old", custom_properties={"a": 1}),
        purchase("S-2", email="keep@example.org", last_name="Keep", phone_number="+15550100"),
    ):
        response = api.post(PURCHASE_URL, {"site_slug": site.slug, "data": data})
        assert response.status_code in (200, 201), response.content


MIXED_ROWS: list[Any] = [
    # an existing person's new purchase: the fields sent overwrite, custom properties merge
    purchase("B-1", email="old@example.org", first_name="New", custom_properties={"b": 2}),
    # a new person in two purchases: the second's fields and properties are added
    purchase("B-2", email="new@example.org", first_name="Ann"),
    purchase("B-3", email="new@example.org", last_name="Lee", custom_properties={"k": "v"}),
    # an equal repeat of an earlier row, and a repeat with other data (whose fields do nothing)
    purchase("B-2", email="new@example.org", first_name="Ann"),
    purchase("B-2", email="new@example.org", first_name="Bob"),
    # an equal repeat of a purchase stored before, and one with other data
    purchase("S-1", email="old@example.org", first_name="Old", custom_properties={"a": 1}),
    purchase("S-2", email="keep@example.org", subtotal=99, first_name="Changed"),
    # refused by validation
    {"email": "not an email", "order_number": "B-X"},
    purchase("B-6", sharing_channels=["sms!"]),
    # everything an origin may carry
    purchase(
        "B-4",
        email="Keep@Example.org",
        ip_address="current",
        uuid="5b3e6f0e-5a4a-4c3b-9e55-1f0a7a1d2c3b",
        subtotal="12.34",
        coupon_codes=["SAVE", "MORE"],
        items=[{"product_id": "p1", "price": 5, "quantity": 2}],
        shipping_address="1 Main St",
        shipping_zip="10001",
        traffic_source="newsletter",
        utm_campaign="spring",
        campaign_tags="a, b",
        order_date="2026-07-01T10:00:00Z",
        customer_id="c-7",
    ),
    # a returning person who sends nothing new: their row stays as it was
    purchase("B-5", email="keep@example.org"),
    purchase("B-7", email="old@example.org", first_name="New"),
]


def snapshot(site: Site) -> dict[str, Any]:
    """Everything a batch stores for a site, free of ids and of the site itself."""
    skip = {"id", "site", "person"}
    origins = sorted(
        (
            (
                *(
                    (f.name, getattr(o, f.attname))
                    for f in Origin._meta.concrete_fields
                    if f.name not in skip
                ),
                ("person", o.person.email),
            )
            for o in Origin.objects.filter(site=site).select_related("person")
        ),
        key=repr,
    )
    people = sorted(
        (
            tuple(
                (f.name, getattr(p, f.attname))
                for f in Person._meta.concrete_fields
                if f.name not in skip
            )
            for p in Person.objects.filter(site=site)
        ),
        key=repr,
    )
    orders = dict(Origin.objects.filter(site=site).values_list("id", "order_number"))
    jobs = sorted(
        (j.kind, orders.get(j.ref_id), j.payload, j.run_after)
        for j in Job.objects.filter(site=site).exclude(kind="origin_batch")
    )
    return {"origins": origins, "people": people, "jobs": jobs}


def test_a_mixed_chunk_set_based_stores_what_row_by_row_stores(monkeypatch, frozen_now):
    # given two sites in the same state: live campaigns, two purchases stored before
    site_set, api_set = shop("set-based")
    site_rows, api_rows = shop("row-by-row")
    given_stored_before(site_set, api_set)
    given_stored_before(site_rows, api_rows)
    import goodword.origins.jobs as jobs

    real_rows = jobs._store_rows

    def rows_only_when_asked(site, batch, chunk, *, one_by_one):
        assert batch.site_id == site_rows.pk, "the set-based chunk went row by row"
        return real_rows(site, batch, chunk, one_by_one=one_by_one)

    monkeypatch.setattr(jobs, "_store_rows", rows_only_when_asked)

    # when the same mixed batch is stored set-based on one and row by row on the other
    post = {"REMOTE_ADDR": "203.0.113.9"}
    set_batch = the_batch(
        api_set.post(PURCHASES_URL, {"site_slug": site_set.slug, "data": MIXED_ROWS}, **post)
    )
    assert run_batch_jobs() == 1
    monkeypatch.setattr(jobs, "origin_ingest_many_fits", lambda **kwargs: False)
    rows_batch = the_batch(
        api_rows.post(PURCHASES_URL, {"site_slug": site_rows.slug, "data": MIXED_ROWS}, **post)
    )
    assert run_batch_jobs() == 1

    # then both stored the same origins, people and attribution jobs, and refused the same rows
    expected = snapshot(site_rows)
    assert snapshot(site_set) == expected
    assert row_errors(set_batch) == row_errors(rows_batch)
    set_batch.refresh_from_db()
    rows_batch.refresh_from_db()
    assert (set_batch.stored, set_batch.failed) == (rows_batch.stored, rows_batch.failed) == (8, 4)
    # and what they stored is what the rows say, not merely the same mistake twice
    assert [i for i, _ in row_errors(set_batch)] == [4, 6, 7, 8]
    new = Person.objects.get(site=site_set, email="new@example.org")
    assert (new.first_name, new.last_name, new.custom_properties) == ("Ann", "Lee", {"k": "v"})
    old = Person.objects.get(site=site_set, email="old@example.org")
    assert (old.first_name, old.custom_properties) == ("New", {"a": 1, "b": 2})
    keep = Person.objects.get(site=site_set, email="keep@example.org")
    assert (keep.first_name, keep.last_name, keep.customer_id) == (None, "Keep", "c-7")
    b4 = Origin.objects.get(site=site_set, order_number="B-4")
    assert (b4.ip_address, b4.subtotal, b4.campaign_tags) == (
        "203.0.113.9",
        Decimal("12.34"),
        ["a", "b"],
    )
    assert Origin.objects.get(site=site_set, order_number="S-2").subtotal == 10
    assert len(expected["jobs"]) == 2 + 6  # the two stored before and the six new purchases


def chunk_statements(site: Site, api: ApiClient, rows: list[Any]) -> list[str]:
    batch = the_batch(post_batch(api, PURCHASES_URL, site.slug, rows))
    load_handlers()
    (job,) = queue.claim(limit=10, kind="origin_batch")
    with statements() as seen:
        queue.run_one(job)
    batch = OriginBatch.objects.get(pk=batch.pk)
    assert (batch.stored, batch.finished_at is not None) == (len(rows), True)
    return seen


def test_a_chunk_costs_the_same_statements_for_3_rows_and_for_500(frozen_now):
    # given a site with a live campaign (each new purchase gets its attribution job)
    site, api = shop("counted")

    # and a first chunk stored (the site's snapshots are cached, as in a running worker)
    chunk_statements(site, api, [purchase("W-1")])

    # when a 3-row and then a 500-row chunk are stored
    small = chunk_statements(site, api, [purchase(f"C-{i}") for i in range(3)])
    large = chunk_statements(site, api, [purchase(f"L-{i}") for i in range(500)])

    # then each took the same fixed number of statements
    assert len(small) == SET_STATEMENTS, listing(small)
    assert len(large) == SET_STATEMENTS, listing(large)
    assert Origin.objects.filter(site=site).count() == 504


def test_an_origin_stored_meanwhile_by_another_writer_sends_the_chunk_row_by_row(monkeypatch):
    # given a purchase stored through the single endpoint that the chunk's look-up does not see,
    # as when another writer commits it between the look-up and the chunk's insert
    site, api = shop("raced")
    stored = purchase("R-1", subtotal=5, first_name="First")
    response = api.post(PURCHASE_URL, {"site_slug": site.slug, "data": stored})
    assert response.status_code in (200, 201), response.content
    monkeypatch.setattr("goodword.origins.bulk._stored_fingerprints", lambda **kwargs: {})

    # when a batch repeats it with other data among new rows
    rows = [purchase("R-0"), purchase("R-1", subtotal=6, first_name="Second"), purchase("R-2")]
    batch = the_batch(post_batch(api, PURCHASES_URL, site.slug, rows))
    assert run_batch_jobs() == 1

    # then the chunk went row by row: that row is the single endpoint's duplicate error and
    # changed nothing, the others are stored once
    assert row_errors(batch) == [(1, DUPLICATE_PURCHASE)]
    numbers = sorted(Origin.objects.filter(site=site).values_list("order_number", flat=True))
    assert numbers == ["R-0", "R-1", "R-2"]
    assert Origin.objects.get(site=site, order_number="R-1").subtotal == 5
    assert Person.objects.get(site=site, email="r-1@buyers.example.org").first_name == "First"
