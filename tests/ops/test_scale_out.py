"""Scaling out (docs/deployment.md): two `goodword serve` processes on different ports and two
`goodword worker` processes, all on one PostgreSQL database. Every friend purchase is sent to
both servers at once; each becomes one origin with exactly one referral, and each server's
/metrics counts exactly the requests it answered, summed over its own processes."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from goodword.referrals.models import Referral
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.ops.support import GOODWORD, Process, clean_env, free_port
from tests.referrals.program import PURCHASE_URL
from tests.worker.support import (
    assert_each_origin_referred_once,
    attribute_jobs,
    database_url,
    friend_program,
    purchase_body,
    worker_starter,
)

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]

ORDERS = 40


@pytest.fixture
def shop(transactional_db) -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


@pytest.fixture
def servers(shop, tmp_path) -> Iterator[list[str]]:
    """Two servers on the test database, one with two processes; each with its own var
    directory, as on two machines. Yields their base URLs."""
    started: list[Process] = []
    bases = []
    try:
        for name, processes in (("a", "2"), ("b", "1")):
            var = tmp_path / f"server-{name}"
            var.mkdir()
            port = free_port()
            argv = [GOODWORD, "serve", "--host", "127.0.0.1", "--port", str(port)]
            server = Process(
                [*argv, "--workers", processes, "--threads", "4"],
                env=clean_env(
                    DATABASE_URL=database_url(), GOODWORD_VAR_DIR=str(var), GOODWORD_METRICS="1"
                ),
                cwd=var,
                log=tmp_path / f"server-{name}.log",
            )
            started.append(server)
            base = f"http://127.0.0.1:{port}"
            server.wait_http(f"{base}/readyz")
            bases.append(base)
        yield bases
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def start_worker(tmp_path) -> Iterator:
    yield from worker_starter(tmp_path)


def requests_answered(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "goodword_http_requests":
            return sum(
                s.value
                for s in family.samples
                if s.name.endswith("_total")
                and s.labels["route"] == PURCHASE_URL
                and s.labels["method"] == "POST"
            )
    return 0.0


def test_two_servers_and_two_workers_attribute_every_origin_once(
    shop, servers, start_worker, tmp_path
):
    # given a friend who clicked an advocate's link, two servers and two workers
    uuid = friend_program(ApiClient(shop.key, drain=False), shop.site)
    workers = [start_worker(f"worker-{i}", "--poll", "0.05").started() for i in (1, 2)]

    # when every purchase is sent to both servers at the same time (a client retrying
    # through a load balancer)
    def post(base: str, order: str) -> int:
        response = requests.post(
            f"{base}{PURCHASE_URL}",
            json=purchase_body(shop.slug, order, uuid),
            headers={"Authorization": f"Bearer {shop.key}"},
            timeout=30,
        )
        return response.status_code

    orders = [f"S-{i}" for i in range(ORDERS)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda args: post(*args), [(base, o) for o in orders for base in servers])
        )

    # then every request was answered well (created, or the same origin found again)
    assert set(codes) <= {200, 201}, codes
    # and the workers, between them, attribute each origin exactly once
    workers[0].wait_for(
        f"{ORDERS} referrals",
        lambda: Referral.objects.count() >= ORDERS and not attribute_jobs().exists(),
        timeout=60,
    )
    for worker in workers:
        assert worker.terminate() == 0
    assert_each_origin_referred_once(ORDERS)

    # and each server's metrics count the purchases it answered, over all its processes
    assert [requests_answered(base) for base in servers] == [ORDERS, ORDERS]
