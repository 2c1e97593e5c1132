"""The batch endpoints answer at once, per the contract, whatever `data` holds; they refuse only
a body that is not an object, a `create_offers` that is not a boolean, or too many rows: then
with a clear 400 and nothing stored."""

from __future__ import annotations

import pytest

from goodword.origins.batches import origin_batch_list
from goodword.origins.models import Origin, OriginBatch, OriginBatchChunk
from goodword.worker.models import Job
from tests.batch.support import EVENTS_URL, MEMBERS_URL, PURCHASES_URL, purchase, the_batch
from tests.conftest import ApiClient
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(api_site) -> ApiClient:
    """The API with no worker behind it."""
    return ApiClient(api_site.key, drain=False)


def nothing_stored() -> None:
    assert OriginBatch.objects.count() == 0
    assert OriginBatchChunk.objects.count() == 0
    assert Job.objects.count() == 0
    assert Origin.objects.count() == 0


@pytest.mark.parametrize("url", [PURCHASES_URL, EVENTS_URL, MEMBERS_URL])
def test_a_batch_is_accepted_at_once_with_the_contract_answer(queued, api_site, url):
    # when a batch is posted, with rows the worker would refuse
    response = queued.post(
        url, {"site_slug": api_site.slug, "data": [{"email": "a@b.example"}, {"email": 5}]}
    )

    # then the answer is the contract's `{"ok": true}` with the batch's id as its result (a
    # Talkable client reads `ok` only), nothing is validated or stored yet, and the rows wait
    assert response.status_code == 200
    batch = the_batch(response)
    assert response.json() == {"ok": True, "result": {"batch_id": batch.pk}}
    assert (batch.row_count, batch.stored, batch.failed, batch.finished_at) == (2, 0, 0, None)
    assert [c.rows for c in OriginBatchChunk.objects.filter(batch=batch)] == [
        [{"email": "a@b.example"}, {"email": 5}]
    ]
    assert Job.objects.filter(kind="origin_batch").count() == 1
    assert Origin.objects.count() == 0


def test_rows_are_kept_in_chunks_each_with_its_job(queued, api_site, monkeypatch):
    # given chunks of two rows
    monkeypatch.setattr("goodword.origins.batches.CHUNK_ROWS", 2)

    # when five rows are posted
    response = queued.post(
        PURCHASES_URL,
        {"site_slug": api_site.slug, "data": [purchase(f"C-{i}") for i in range(5)]},
    )

    # then they are kept in three chunks, in order, each with one job about it
    chunks = list(OriginBatchChunk.objects.filter(batch=the_batch(response)).order_by("first_row"))
    assert [(c.first_row, [r["order_number"] for r in c.rows]) for c in chunks] == [
        (0, ["C-0", "C-1"]),
        (2, ["C-2", "C-3"]),
        (4, ["C-4"]),
    ]
    assert sorted(Job.objects.values_list("ref_id", flat=True)) == [c.pk for c in chunks]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "`data` is required"),
        ({"data": None}, "`data` is required"),
        ({"data": {"email": "a@b.example"}}, "`data` must be an array of objects"),
        ({"data": "a@b.example"}, "`data` must be an array of objects"),
        ({"data": 7}, "`data` must be an array of objects"),
    ],
)
def test_a_data_that_is_no_array_is_accepted_and_the_batch_refused(queued, api_site, body, error):
    # when the body's `data` holds no rows that could be read
    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, **body})

    # then the answer is still the contract's `ok` (it validates asynchronously), and the batch
    # is kept, finished, with no rows and the reason, for `goodword batches` to show
    assert response.status_code == 200
    batch = the_batch(response)
    assert response.json() == {"ok": True, "result": {"batch_id": batch.pk}}
    assert (batch.row_count, batch.stored, batch.failed, batch.error) == (0, 0, 0, error)
    assert batch.finished_at is not None
    [report] = origin_batch_list(site=api_site.site)
    assert (report["status"], report["error"], report["pending"]) == ("refused", error, 0)
    assert OriginBatchChunk.objects.count() == 0
    assert Job.objects.count() == 0
    assert Origin.objects.count() == 0


def test_an_empty_batch_is_accepted_and_finished_at_once(queued, api_site):
    # when a batch with no rows is posted
    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, "data": []})

    # then it is accepted and finished with nothing to do: no chunk, no job, no error
    assert response.status_code == 200
    batch = the_batch(response)
    assert (batch.row_count, batch.error) == (0, "")
    [report] = origin_batch_list(site=api_site.site)
    assert (report["status"], report["error"], report["rows"]) == ("finished", None, 0)
    assert report["finished_at"] is not None
    assert Job.objects.count() == 0


def test_rows_that_are_not_objects_are_kept_for_the_worker(queued, api_site):
    # when some rows of a batch are not objects
    rows = [purchase("O-1"), "x", [], None, 5]
    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, "data": rows})

    # then the batch is accepted with every row, for the worker to record each bad one
    assert response.status_code == 200
    batch = the_batch(response)
    assert batch.row_count == 5
    assert [c.rows for c in OriginBatchChunk.objects.filter(batch=batch)] == [rows]


def test_a_create_offers_that_is_not_a_boolean_is_refused(queued, api_site):
    # when `create_offers`, which decides for every row, is not true or false
    response = queued.post(
        PURCHASES_URL, {"site_slug": api_site.slug, "data": [{}], "create_offers": "maybe"}
    )

    # then the batch is refused whole and nothing is kept
    assert_error(response, 400, "`create_offers` must be true or false")
    nothing_stored()


def test_a_body_that_is_not_an_object_is_refused(queued):
    response = queued.post(PURCHASES_URL, [{"email": "a@b.example"}])

    assert_error(response, 400, "The request body must be a JSON object")
    nothing_stored()


def test_a_batch_over_the_limit_is_refused_whole_naming_the_limit(queued, api_site, settings):
    # given a limit of three rows a batch
    settings.BATCH_MAX_ROWS = 3

    # when four rows are posted
    rows = [purchase(f"L-{i}") for i in range(4)]
    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, "data": rows})

    # then the batch is refused with the limit in the message, and nothing is stored
    assert_error(
        response,
        400,
        "`data` has 4 rows: a batch takes at most 3 rows, send the rest in further batches",
    )
    nothing_stored()

    # and a batch at the limit is taken
    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, "data": rows[:3]})
    assert response.status_code == 200
    assert the_batch(response).row_count == 3


def test_the_default_limit_is_ten_thousand_rows(queued, api_site):
    rows = [{"email": "a@b.example"}] * 10_001

    response = queued.post(PURCHASES_URL, {"site_slug": api_site.slug, "data": rows})

    assert_error(response, 400)
    assert "at most 10000 rows" in response.json()["error_message"]
    nothing_stored()


def test_a_batch_needs_a_valid_key_and_the_key_s_site(queued, api_site):
    # given a request without a key, and one naming another site
    anonymous = ApiClient(None, drain=False).post(
        PURCHASES_URL, {"site_slug": api_site.slug, "data": [purchase("A-1")]}
    )
    foreign = queued.post(PURCHASES_URL, {"site_slug": "someone-else", "data": [purchase("A-1")]})

    # then both are refused as every other endpoint refuses them (a slug not the key's own is
    # refused alike whether or not such a site exists), and nothing is kept
    assert_error(anonymous, 401)
    assert_error(foreign, 401, "The API key does not belong to this site.")
    nothing_stored()
