"""`goodword batches SLUG`: a site's recent batches with counts, status and row errors."""

from __future__ import annotations

import json

import pytest

from goodword.cli import main
from goodword.worker.models import Job
from tests.batch.support import MEMBERS_URL, PURCHASES_URL, post_batch, purchase
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def batches(capsys, slug: str) -> dict:
    code = main(["batches", slug])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return json.loads(out)


def test_batches_shows_counts_status_and_row_errors_newest_first(api, api_site, capsys):
    # given a finished batch with one bad row, and a second one not yet processed
    post_batch(
        api,
        PURCHASES_URL,
        api_site.slug,
        [purchase("P-1"), {"email": "x@y.example", "subtotal": 1}],
    )
    queued = ApiClient(api_site.key, drain=False)
    post_batch(queued, MEMBERS_URL, api_site.slug, [{"email": "m@example.org"}])

    # when an operator asks for the site's batches
    result = batches(capsys, api_site.slug)

    # then both are listed, newest first, with their counts, status and each row's error
    assert result["site_slug"] == api_site.slug
    pending, done = result["batches"]
    assert {k: done[k] for k in ("type", "status", "rows", "stored", "failed", "pending")} == {
        "type": "Purchase",
        "status": "finished",
        "rows": 2,
        "stored": 1,
        "failed": 1,
        "pending": 0,
    }
    assert done["errors"] == [{"index": 1, "message": "`data.order_number` is required"}]
    assert done["finished_at"] is not None
    assert (pending["type"], pending["status"], pending["pending"]) == (
        "AffiliateMember",
        "processing",
        1,
    )
    assert pending["errors"] == []


def test_a_batch_whose_job_is_parked_shows_as_stalled_with_the_job_error(api_site, capsys):
    # given a batch whose chunk job failed for good
    queued = ApiClient(api_site.key, drain=False)
    post_batch(queued, MEMBERS_URL, api_site.slug, [{"email": "m@example.org"}])
    Job.objects.update(last_error="RuntimeError: boom", failed_at="2026-07-07T18:00:00Z")

    # when the operator looks
    (batch,) = batches(capsys, api_site.slug)["batches"]

    # then the batch is not reported as in progress, and the reason is there
    assert batch["status"] == "stalled"
    assert batch["job_errors"] == ["parked: RuntimeError: boom"]


def test_batches_of_an_unknown_site_is_an_error(db, capsys):
    code = main(["batches", "nope"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("goodword: ")
