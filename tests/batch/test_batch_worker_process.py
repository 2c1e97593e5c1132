"""A real `goodword worker` process drains a batch on PostgreSQL."""

from __future__ import annotations

import pytest

from goodword.origins.models import Origin, OriginBatch
from goodword.worker.models import Job
from tests.batch.support import PURCHASES_URL, post_batch, purchase, the_batch
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.worker.support import run_once

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
