"""The worker stores a batch's rows exactly as the single-origin endpoints would, and records
why for every row it does not store: nothing is dropped silently."""

from __future__ import annotations

import pytest

from goodword.offers.models import AdvocateOffer
from goodword.origins.models import Origin, OriginBatchError
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.batch.support import (
    EVENTS_URL,
    MEMBERS_URL,
    PURCHASES_URL,
    post_batch,
    purchase,
    row_errors,
    the_batch,
)
from tests.conftest import ApiClient, postgres_only
from tests.helpers import DUPLICATE_EVENT, DUPLICATE_PURCHASE, assert_error
from tests.referrals.program import PURCHASE_URL, build_program, referral_of
from tests.worker.support import friend_program

pytestmark = pytest.mark.django_db


def test_a_mixed_batch_stores_every_valid_row_and_records_every_invalid_one(api, api_site):
    # given rows the single endpoint would take and rows it would refuse
    rows = [
        purchase("M-0", subtotal=10),
        {"email": "nobody@example.org", "subtotal": 1},
        purchase("M-2", subtotal="ten"),
        purchase("M-3", email="not an email"),
        purchase("M-4", first_name="Ann", coupon_codes=["SAVE"]),
        purchase("M-5", sharing_channels=["sms!"]),
    ]

    # when the batch is posted and the worker runs
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))
    batch.refresh_from_db()

    # then the valid rows are stored, as they would be one by one
    assert sorted(Origin.objects.values_list("order_number", flat=True)) == ["M-0", "M-4"]
    m4 = Origin.objects.get(order_number="M-4")
    assert (m4.coupon_codes, m4.person.first_name) == (["SAVE"], "Ann")
    # and each invalid one is recorded with its index, its data, and the single endpoint's words
    single = ApiClient(api_site.key)
    expected = [
        (i, assert_error(single.post(PURCHASE_URL, {"site_slug": api_site.slug, "data": r}), 400))
        for i, r in enumerate(rows)
        if i in (1, 2, 3, 5)
    ]
    assert row_errors(batch) == expected
    assert expected[0] == (1, "`data.order_number` is required")
    assert OriginBatchError.objects.get(batch=batch, row_index=2).data == rows[2]
    # and the counters add up, and the batch is finished with no work left
    assert (batch.row_count, batch.stored, batch.failed) == (6, 2, 4)
    assert batch.finished_at is not None
    assert Job.objects.count() == 0


@pytest.mark.parametrize("url", [PURCHASES_URL, EVENTS_URL, MEMBERS_URL])
def test_rows_that_are_not_objects_are_recorded_as_their_rows_errors(api, api_site, url):
    # given a batch with one good row among rows that are not objects
    good = purchase("N-0", event_category="signup", event_number="N-0")
    rows = [good, "x", [], None, 5]

    # when it is posted and the worker runs
    batch = the_batch(post_batch(api, url, api_site.slug, rows))
    batch.refresh_from_db()

    # then the good row is stored and every other one recorded as not an object, with its data
    assert Origin.objects.count() == 1
    assert row_errors(batch) == [(i, "`data` must be an object") for i in (1, 2, 3, 4)]
    assert [e.data for e in OriginBatchError.objects.filter(batch=batch).order_by("row_index")] == [
        "x",
        [],
        None,
        5,
    ]
    assert (batch.stored, batch.failed) == (1, 4)
    assert batch.finished_at is not None


def test_rows_across_chunks_are_all_accounted_for(api, api_site, monkeypatch):
    # given chunks of two rows
    monkeypatch.setattr("goodword.origins.batches.CHUNK_ROWS", 2)
    rows = [purchase(f"K-{i}") if i != 3 else {"email": "x@y.example"} for i in range(7)]

    # when seven rows are posted
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))
    batch.refresh_from_db()

    # then every chunk was processed, with indexes counted over the whole batch
    assert Origin.objects.count() == 6
    assert [i for i, _ in row_errors(batch)] == [3]
    assert (batch.stored, batch.failed, batch.finished_at is not None) == (6, 1, True)


def test_duplicates_within_and_across_batches_as_the_single_endpoint_treats_them(api, api_site):
    # given a purchase already stored by a first batch
    post_batch(api, PURCHASES_URL, api_site.slug, [purchase("D-1", subtotal=5)])

    # when a second batch repeats it, sends it with other data, and repeats a row of its own
    rows = [
        purchase("D-1", subtotal=5),
        purchase("D-1", subtotal=6),
        purchase("D-2", subtotal=1),
        purchase("D-2", subtotal=1),
        purchase("D-2", subtotal=2),
    ]
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))
    batch.refresh_from_db()

    # then an equal repeat is taken as the same origin, other data is a duplicate error
    assert sorted(Origin.objects.values_list("order_number", flat=True)) == ["D-1", "D-2"]
    assert row_errors(batch) == [(1, DUPLICATE_PURCHASE), (4, DUPLICATE_PURCHASE)]
    assert (batch.stored, batch.failed) == (3, 2)
    assert Origin.objects.get(order_number="D-1").subtotal == 5


def test_events_are_stored_with_their_identity(api, api_site):
    rows = [
        {"email": "e@x.example", "event_category": "signup", "event_number": "1", "subtotal": 1},
        {"email": "e@x.example", "event_category": "signup", "event_number": "1", "subtotal": 3},
        {"email": "e@x.example", "event_category": "signup", "subtotal": 1},
    ]

    batch = the_batch(post_batch(api, EVENTS_URL, api_site.slug, rows))
    batch.refresh_from_db()

    event = Origin.objects.get()
    assert (event.type, event.event_category, event.event_number) == ("Event", "signup", "1")
    assert row_errors(batch) == [(1, DUPLICATE_EVENT), (2, "`data.event_number` is required")]
    assert (batch.stored, batch.failed) == (1, 2)


def test_affiliate_members_are_stored_each_time_and_people_upserted(api, api_site):
    rows = [
        {"email": "Ann@Example.org", "first_name": "Ann"},
        {"email": "ann@example.org", "last_name": "Lee"},
        {"email": "bob@example.org", "ip_address": "current"},
    ]

    response = api.post(
        MEMBERS_URL, {"site_slug": api_site.slug, "data": rows}, REMOTE_ADDR="203.0.113.9"
    )
    batch = the_batch(response)
    batch.refresh_from_db()

    assert Origin.objects.filter(type="AffiliateMember").count() == 3
    ann = Person.objects.get(email="ann@example.org")
    assert (ann.first_name, ann.last_name) == ("Ann", "Lee")
    # `current` is the address the batch came from, as it is for a single origin
    assert Origin.objects.get(email="bob@example.org").ip_address == "203.0.113.9"
    assert (batch.stored, batch.failed) == (3, 0)


@pytest.mark.parametrize(("create_offers", "offers"), [(True, 2), (False, 0)])
def test_offers_are_made_only_when_the_batch_asks(api, api_site, create_offers, offers):
    # given a live campaign that makes affiliate members advocates
    build_program(api_site.site)

    # when two members are posted in a batch
    rows = [{"email": "a1@example.org"}, {"email": "a2@example.org"}]
    post_batch(api, MEMBERS_URL, api_site.slug, rows, create_offers=create_offers)

    # then each gets an offer exactly when the batch asked for offers
    assert Origin.objects.count() == 2
    assert AdvocateOffer.objects.count() == offers
    if create_offers:
        assert set(AdvocateOffer.objects.values_list("advocate__email", flat=True)) == {
            "a1@example.org",
            "a2@example.org",
        }


def test_a_friend_purchase_in_a_batch_is_attributed_by_the_worker(api_site):
    # given a friend who clicked an advocate's link, and no worker yet
    queued = ApiClient(api_site.key, drain=False)
    uuid = friend_program(queued, api_site.site)
    drain()

    # when the friend's purchase comes in a batch
    post_batch(queued, PURCHASES_URL, api_site.slug, [purchase("F-1", subtotal=80, uuid=uuid)])

    # then nothing is stored before the worker runs; after, the purchase has its referral
    assert referral_of("F-1") is None
    drain()
    referral = referral_of("F-1")
    assert referral is not None
    assert referral.track_method == "cookie"
    assert Referral.objects.count() == 1
    assert not Job.objects.filter(kind__in=["origin_batch", "attribute"]).exists()


def test_a_worker_failing_mid_batch_leaves_no_duplicate_and_no_row_behind(api_site, monkeypatch):
    # given a batch of five affiliate members (no identity to be idempotent on) in chunks of two
    monkeypatch.setattr("goodword.origins.batches.CHUNK_ROWS", 2)
    queued = ApiClient(api_site.key, drain=False)
    rows = [{"email": f"m{i}@example.org"} for i in range(4)] + [{"email": "bad"}]
    batch = the_batch(post_batch(queued, MEMBERS_URL, api_site.slug, rows))

    # and a worker that dies while storing the second chunk: row by row (SQLite) after its
    # first row, set-based (PostgreSQL) after validating it
    import goodword.origins.jobs as jobs

    real, real_many = jobs.origin_ingest, jobs.origin_ingest_many
    calls = {"one": 0, "many": 0}

    def failing(**kwargs):
        calls["one"] += 1
        if calls["one"] == 4:
            raise RuntimeError("worker died")
        return real(**kwargs)

    def failing_many(**kwargs):
        calls["many"] += 1
        if calls["many"] == 2:
            raise RuntimeError("worker died")
        return real_many(**kwargs)

    monkeypatch.setattr(jobs, "origin_ingest", failing)
    monkeypatch.setattr(jobs, "origin_ingest_many", failing_many)

    # when it works through the batch
    drain()

    # then the first and last chunks are recorded, the second is not (its effects rolled back)
    batch.refresh_from_db()
    assert sorted(Origin.objects.values_list("email", flat=True)) == [
        "m0@example.org",
        "m1@example.org",
    ]
    assert (batch.stored, batch.failed, batch.finished_at) == (2, 1, None)
    job = Job.objects.get()
    assert "worker died" in job.last_error

    # when the worker runs it again, healthy, once it is due
    monkeypatch.setattr(jobs, "origin_ingest", real)
    monkeypatch.setattr(jobs, "origin_ingest_many", real_many)
    Job.objects.update(run_after=job.created_at)
    drain()

    # then every row is accounted for once: four members stored, one error, no duplicates
    batch.refresh_from_db()
    emails = sorted(Origin.objects.values_list("email", flat=True))
    assert emails == [f"m{i}@example.org" for i in range(4)]
    assert row_errors(batch) == [(4, "Email isn't valid")]
    assert (batch.stored, batch.failed) == (4, 1)
    assert batch.finished_at is not None
    assert Job.objects.count() == 0


def test_a_job_run_again_after_its_chunk_was_recorded_changes_nothing(api, api_site):
    # given a processed batch
    batch = the_batch(post_batch(api, MEMBERS_URL, api_site.slug, [{"email": "a@example.org"}]))
    from goodword.origins.jobs import process_batch_chunk
    from goodword.worker.queue import Claimed

    # when its (deleted) chunk's job runs again, as after a lost commit acknowledgement
    process_batch_chunk(
        Claimed(
            id=0,
            site_id=api_site.site.pk,
            kind="origin_batch",
            ref_id=1,
            payload={},
            attempts=1,
            token="x",
        )
    )

    # then nothing is stored twice
    batch.refresh_from_db()
    assert Origin.objects.count() == 1
    assert (batch.stored, batch.failed) == (1, 0)


# ---- one bad row never stalls a batch ----------------------------------------------------------

POISON_IP = "fe80::1%eth0"  # Python's ipaddress takes it, PostgreSQL's inet does not


def poisoned_batch(poison_at: int, rows: int = 500) -> list[dict]:
    return [
        purchase(f"P-{i}", ip_address=POISON_IP if i == poison_at else "198.51.100.7")
        for i in range(rows)
    ]


def assert_one_row_failed(batch, index: int, says: str) -> None:
    batch.refresh_from_db()
    assert (batch.stored, batch.failed) == (499, 1)
    assert batch.finished_at is not None
    assert Origin.objects.count() == 499
    assert not Origin.objects.filter(order_number=f"P-{index}").exists()
    ((row, message),) = row_errors(batch)
    assert row == index
    assert says in message
    assert not Job.objects.exists()  # nothing retrying, nothing parked


def test_a_500_row_batch_with_an_address_inet_refuses_stores_the_other_499(api, api_site):
    # given one 500-row chunk whose row 250 carries an IPv6 zone index
    rows = poisoned_batch(250)

    # when the worker goes through it (on SQLite and on PostgreSQL)
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))

    # then the row is refused by the same validator the single endpoint uses, and the rest kept
    assert_one_row_failed(batch, 250, '`data.ip_address` must be an IP address or "current"')


@postgres_only
def test_a_row_the_database_refuses_through_the_raw_cursor_falls_back_row_by_row(
    api, api_site, monkeypatch
):
    # given validation that lets an address through which PostgreSQL's inet refuses (as it
    # did before the validator knew): the origin's raw psycopg cursor raises the driver's error
    monkeypatch.setattr(
        "goodword.origins.schemas.ip_address_normalise", lambda value: value.strip()
    )
    rows = poisoned_batch(137)

    # when the worker goes through the chunk
    batch = the_batch(post_batch(api, PURCHASES_URL, api_site.slug, rows))

    # then the chunk fell back to one row at a time: 499 stored, that row recorded, no parking
    assert_one_row_failed(batch, 137, "The database refused this row: DataError")


@postgres_only
@pytest.mark.django_db(transaction=True)  # the refused statement aborts its transaction
def test_a_value_the_database_refuses_on_the_single_endpoint_is_400(api_site, monkeypatch):
    # given the same gap in validation
    monkeypatch.setattr(
        "goodword.origins.schemas.ip_address_normalise", lambda value: value.strip()
    )
    api = ApiClient(api_site.key, drain=False)

    # when a single purchase carries that address
    response = api.post(
        PURCHASE_URL, {"site_slug": api_site.slug, "data": purchase("S-1", ip_address=POISON_IP)}
    )

    # then it is a 400 in the envelope, not a 500, and nothing is stored
    assert assert_error(response, 400) == "The request carries a value that cannot be stored"
    assert Origin.objects.count() == 0
    assert Person.objects.count() == 0
