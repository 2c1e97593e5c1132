"""SIGKILL under load: purchases and events posted by several clients to two `goodword serve`
servers while a server is killed with SIGKILL (and started again) and the worker is killed
twice. Every request a server acknowledged (2xx) is stored exactly once; requests that got no
answer are retried by the client, and their retry finds the origin already stored or stores it
once; the workers (the survivors and their replacements) attribute every purchase exactly once
and deliver every event webhook."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from goodword.origins.models import Origin
from goodword.referrals.models import Referral, ReferralEvent
from goodword.rewards.models import Reward
from goodword.webhooks.models import Delivery
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.faults.conftest import figures
from tests.ops.support import GOODWORD, Process, clean_env, free_port
from tests.referrals.program import PURCHASE_URL
from tests.webhooks.support import Receiver, subscribe
from tests.worker.support import attribute_jobs, database_url, friend_program, worker_starter

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]

PURCHASES = 400
EVENTS = 100
EVENT_URL = "/api/v2/origins/event"
CLIENTS = 6
WORKER_BATCH = 100  # jobs a `goodword worker` claims at once (its --batch default)
SETTLE_SECONDS = 180  # bound on the wait for the workers: a killed worker's lease is 60 s


class Server:
    """One `goodword serve` (two processes) on a port of its own; killed with SIGKILL."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        var = tmp_path / name
        var.mkdir(exist_ok=True)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        argv = [GOODWORD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        self.process = Process(
            argv,
            env=clean_env(DATABASE_URL=database_url(), GOODWORD_VAR_DIR=str(var)),
            cwd=var,
            log=tmp_path / f"{name}.log",
        )
        self.process.wait_http(f"{self.base}/readyz")

    def kill(self) -> None:
        os.killpg(self.process.proc.pid, signal.SIGKILL)
        self.process.proc.wait(timeout=10)


@pytest.fixture
def shop() -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def servers(tmp_path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.process.stop()


@pytest.fixture
def start_worker(tmp_path) -> Iterator:
    yield from worker_starter(tmp_path)


def test_sigkill_of_a_server_and_the_worker_loses_and_doubles_nothing(
    shop, receiver, servers, start_worker, tmp_path
):
    # given a friend who clicked an advocate's link, event webhooks subscribed, two servers
    # and a worker
    uuid = friend_program(ApiClient(shop.key, drain=False), shop.site)
    subscribe(shop.site, receiver.url, "event_web_hook")
    servers.extend([Server(tmp_path, "server-a"), Server(tmp_path, "server-b")])
    bases = [s.base for s in servers]
    workers = [start_worker("worker-1", "--poll", "0.05").started()]

    requests_list = [("purchase", f"K-{i}") for i in range(PURCHASES)] + [
        ("event", f"EV-{i}") for i in range(EVENTS)
    ]
    requests_list.sort(key=lambda r: int(r[1].split("-")[1]))  # interleave the two kinds
    answered = Counter[str]()
    lock = threading.Lock()
    kills = {"server": 0, "worker": 0}

    def body(kind: str, ident: str) -> tuple[str, dict]:
        if kind == "purchase":
            data = {
                "email": f"{ident.lower()}@friends.example.org",
                "order_number": ident,
                "subtotal": 80,
                "uuid": uuid,
            }
            return PURCHASE_URL, {"site_slug": shop.slug, "data": data}
        data = {
            "email": "e@friends.example.org",
            "event_number": ident,
            "event_category": "x",
            "subtotal": 5,
        }
        return EVENT_URL, {"site_slug": shop.slug, "data": data}

    def send(index: int, kind: str, ident: str) -> tuple[str, str, int | None]:
        path, payload = body(kind, ident)
        base = bases[index % len(bases)]
        try:
            response = requests.post(
                f"{base}{path}",
                json=payload,
                headers={"Authorization": f"Bearer {shop.key}"},
                timeout=30,
            )
            status: int | None = response.status_code
        except requests.RequestException:
            status = None
        with lock:
            answered["total"] += 1
            done = answered["total"]
        chaos(done)
        return kind, ident, status

    def chaos(done: int) -> None:
        # a quarter in: SIGKILL server A (both its processes) and start a replacement; the
        # worker is killed at 40% and at 70% and started again each time
        if done == len(requests_list) // 4 and not kills["server"]:
            kills["server"] += 1
            servers[0].kill()
            replacement = Server(tmp_path, "server-a2")
            servers.append(replacement)
            bases[0] = replacement.base
        for share in (0.4, 0.7):
            if done == int(len(requests_list) * share):
                kills["worker"] += 1
                workers[-1].kill()
                workers.append(
                    start_worker(f"worker-{len(workers) + 1}", "--poll", "0.05").started()
                )

    # when the clients send everything, half to each server, while the processes are killed
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda a: send(a[0], *a[1]), enumerate(requests_list)))

    acknowledged = {(k, i) for k, i, s in results if s is not None and 200 <= s < 300}
    unanswered = [(k, i) for k, i, s in results if s is None or s >= 500]
    refused = [(k, i, s) for k, i, s in results if s is not None and 400 <= s < 500]
    assert refused == []

    # and a client retries what got no answer, on the live servers
    retried = Counter[int]()
    for n, (kind, ident) in enumerate(unanswered):
        _, _, status = send(n, kind, ident)
        assert status in (200, 201), (kind, ident, status)
        retried[status] += 1

    # then every purchase and event is stored exactly once, acknowledged ones included
    purchases = Counter(
        Origin.objects.filter(site=shop.site, type="Purchase").values_list(
            "order_number", flat=True
        )
    )
    events = Counter(
        Origin.objects.filter(site=shop.site, type="Event").values_list("event_number", flat=True)
    )
    assert purchases == Counter(f"K-{i}" for i in range(PURCHASES))
    assert events == Counter(f"EV-{i}" for i in range(EVENTS))
    assert {i for k, i in acknowledged if k == "purchase"} <= set(purchases)
    assert {i for k, i in acknowledged if k == "event"} <= set(events)

    # and the workers attribute each purchase once and deliver each event webhook
    def settled() -> bool:
        return (
            Referral.objects.count() >= PURCHASES
            and not attribute_jobs().exists()
            and not Delivery.objects.exclude(status="delivered").exists()
            and Delivery.objects.count() >= EVENTS
        )

    workers[-1].wait_for("every job done", settled, timeout=SETTLE_SECONDS)
    for worker in workers[-1:]:
        assert worker.terminate() == 0
    referrals = Counter(Referral.objects.values_list("origin_id", flat=True))
    assert len(referrals) == PURCHASES and set(referrals.values()) == {1}
    assert ReferralEvent.objects.count() == PURCHASES  # a job applied twice would add one
    doubled_rewards = Counter(Reward.objects.values_list("referral_id", "reason"))
    assert all(n == 1 for n in doubled_rewards.values())
    assert Delivery.objects.count() == EVENTS
    arrivals = Counter(r.delivery_id for r in receiver.received)
    assert set(arrivals) == {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    # a worker killed between sending and recording sends those deliveries again (same id:
    # the receiver de-duplicates); at most one batch (the worker's claim) per kill
    resent = sum(n - 1 for n in arrivals.values())
    assert resent <= kills["worker"] * WORKER_BATCH

    figures(
        "SIGKILL server x1, worker x2",
        sent=len(results),
        acknowledged=len(acknowledged),
        unanswered=len(unanswered),
        retried_found_stored=retried[200],
        retried_created=retried[201],
        stored_purchases=sum(purchases.values()),
        stored_events=sum(events.values()),
        referrals=len(referrals),
        rewards=len(doubled_rewards),
        deliveries=Delivery.objects.count(),
        webhook_resends_same_id=resent,
        server_kills=kills["server"],
        worker_kills=kills["worker"],
    )
