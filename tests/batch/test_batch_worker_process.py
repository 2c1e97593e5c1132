"""A real `goodword worker` process drains a batch on PostgreSQL, and one killed mid-chunk
leaves nothing behind and nothing doubled."""

from __future__ import annotations

import psycopg
import pytest

from goodword.origins.models import Origin, OriginBatch
from goodword.people.models import Person
from goodword.worker.models import Job
from tests.batch.support import MEMBERS_URL, PURCHASES_URL, post_batch, purchase, the_batch
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.worker.support import WorkerProcess, database_url, run_once

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db) -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


def test_a_worker_process_drains_a_batch(shop, tmp_path, settings):
    # given a batch of 1,200 purchases (three chunks), one of them invalid, and no worker yet
    queued = ApiClient(shop.key, drain=False)
    rows = [purchase(f"W-{i}") for i in range(1200)]
    rows[700] = {"email": "x@y.example", "subtotal": 1}
    batch = the_batch(post_batch(queued, PURCHASES_URL, shop.slug, rows))
    assert Origin.objects.count() == 0

    # when `goodword worker --once` runs
    code, log = run_once(tmp_path, "batch")

    # then every row is stored or recorded, and the batch is finished with no job left
    assert code == 0, log
    batch = OriginBatch.objects.get(pk=batch.pk)
    assert (batch.stored, batch.failed) == (1199, 1)
    assert batch.finished_at is not None
    assert Origin.objects.count() == 1199
    assert batch.errors.get().row_index == 700
    assert Job.objects.count() == 0


def test_a_worker_killed_mid_chunk_on_the_set_path_leaves_nothing_and_nothing_doubled(
    shop, tmp_path
):
    # given a 300-row batch of affiliate members (no identity that would hide a double) and a
    # second connection holding the batch's row, so a worker that has stored the chunk's people
    # and origins waits there, before its commit
    queued = ApiClient(shop.key, drain=False)
    rows = [{"email": f"m{i}@example.org", "first_name": "M"} for i in range(300)]
    batch = the_batch(post_batch(queued, MEMBERS_URL, shop.slug, rows))
    holder = psycopg.connect(database_url())
    holder.execute("SELECT 1 FROM origins_originbatch WHERE id = %s FOR NO KEY UPDATE", [batch.pk])

    # when a worker takes the chunk and is killed with SIGKILL while it waits, mid-chunk
    worker = WorkerProcess(tmp_path, "killed", "--poll", "0.05")
    watcher = psycopg.connect(database_url(), autocommit=True)
    try:
        worker.wait_for("a worker waiting mid-chunk", lambda: waiting_writer(watcher), timeout=30)
        worker.kill()
    finally:
        worker.stop()
        watcher.close()
        holder.rollback()
        holder.close()

    # then nothing of the chunk is stored and it is still to do
    assert (Origin.objects.count(), Person.objects.count()) == (0, 0)
    batch = OriginBatch.objects.get(pk=batch.pk)
    assert (batch.stored, batch.failed, batch.finished_at) == (0, 0, None)
    assert Job.objects.filter(kind="origin_batch").count() == 1

    # when its lease has run out and a worker runs again
    Job.objects.update(claimed_until=None, claim_token=None)
    code, log = run_once(tmp_path, "again")

    # then every member is stored exactly once
    assert code == 0, log
    batch = OriginBatch.objects.get(pk=batch.pk)
    assert (batch.stored, batch.failed, batch.finished_at is not None) == (300, 0, True)
    emails = list(Origin.objects.values_list("email", flat=True))
    assert sorted(emails) == sorted(r["email"] for r in rows)
    assert Person.objects.count() == 300
    assert Job.objects.count() == 0


def waiting_writer(watcher: psycopg.Connection) -> bool:
    """A backend waits for a lock with a transaction that has written (holds an xid)."""
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])
