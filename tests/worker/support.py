"""A referral program whose friend purchases make real `attribute` jobs, and `goodword worker`
processes run on the test database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from goodword.core.clock import now
from goodword.origins.models import Origin
from goodword.referrals.models import Referral, ReferralEvent
from goodword.worker.models import Job
from tests.conftest import ApiClient
from tests.referrals.program import PURCHASE_URL, build_program, friend_clicks, join

GOODWORD = str(Path(sys.executable).with_name("goodword"))


# ---- a program with a friend whose purchases attribute by cookie ---------------------------


def friend_program(api: ApiClient, site: Any) -> str:
    """A live campaign, an advocate who joined and a friend who clicked the claim link: the
    friend's visitor uuid, which attributes any purchase that carries it (cookie method)."""
    build_program(site)
    joined = join(api, site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    return uuid


def purchase_body(slug: str, order: str, uuid: str | None, **data: Any) -> dict[str, Any]:
    body = {"email": f"{order.lower()}@friends.example.org", "order_number": order, "subtotal": 80}
    if uuid is not None:
        body["uuid"] = uuid
    return {"site_slug": slug, "data": {**body, **data}}


def friend_buys(api: ApiClient, slug: str, order: str, uuid: str | None, **data: Any) -> Any:
    response = api.post(PURCHASE_URL, purchase_body(slug, order, uuid, **data))
    assert response.status_code == 201, response.content
    return response


def friends_buy(api: ApiClient, slug: str, uuid: str, count: int, prefix: str = "W") -> None:
    for i in range(count):
        friend_buys(api, slug, f"{prefix}-{i}", uuid)


def attribute_jobs() -> Any:
    return Job.objects.filter(kind="attribute")


def due_jobs() -> int:
    """Jobs a worker would run now (a referral's `resolve` job waits for the approval delay)."""
    return Job.objects.filter(run_after__lte=now(), failed_at__isnull=True).count()


def assert_each_origin_referred_once(orders: int) -> None:
    """Every friend purchase has exactly one referral with exactly one event, no job left."""
    purchases = Origin.objects.filter(type="Purchase")
    assert purchases.count() == orders
    assert Referral.objects.count() == orders
    assert set(Referral.objects.values_list("origin_id", flat=True)) == set(
        purchases.values_list("id", flat=True)
    )
    # The first event of a referral is written with it: a job applied twice would add one.
    assert ReferralEvent.objects.count() == orders
    assert set(ReferralEvent.objects.values_list("referral_id", flat=True)) == set(
        Referral.objects.values_list("id", flat=True)
    )
    assert attribute_jobs().count() == 0
    assert due_jobs() == 0


# ---- worker processes --------------------------------------------------------------------


def database_url() -> str:
    """DATABASE_URL of the test database, for processes outside this one."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    user = quote(conf.get("USER") or "")
    password = conf.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = conf.get("HOST") or "localhost"
    port = conf.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(conf['NAME'])}"


def worker_env(var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "GOODWORD_VAR_DIR": str(var_dir),
        "GOODWORD_LOG_LEVEL": "INFO",
    }
    env.pop("GOODWORD_TEST_DB_NAME", None)
    return env


def log_events(text: str) -> list[dict[str, Any]]:
    """The worker's JSON log lines (after the logging prefix), in order."""
    events = []
    for line in text.splitlines():
        start = line.find('{"event"')
        if start >= 0:
            events.append(json.loads(line[start:]))
    return events


class WorkerProcess:
    """`goodword worker` in a subprocess, its stdout and stderr in one log file."""

    def __init__(self, var_dir: Path, name: str, *args: str) -> None:
        self.log = var_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [GOODWORD, "worker", *args],
                env=worker_env(var_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return [e for e in log_events(self.text()) if name is None or e["event"] == name]

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll until `ready()`; fail with the log if the deadline passes or the worker dies."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None and not ready():
                raise AssertionError(
                    f"worker exited {self.proc.returncode} before {what}:\n{self.text()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout} s:\n{self.text()}")
            time.sleep(0.01)

    def started(self, timeout: float = 15.0) -> WorkerProcess:
        self.wait_for("worker_started", lambda: bool(self.events("worker_started")), timeout)
        return self

    def terminate(self, timeout: float = 10.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Teardown: whatever state the test left it in."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def run_once(var_dir: Path, name: str, *args: str, timeout: float = 60) -> tuple[int, str]:
    """`goodword worker --once`: its exit code and log."""
    log = var_dir / f"{name}.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [GOODWORD, "worker", "--once", *args],
            env=worker_env(var_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    return done.returncode, log.read_text()


def worker_starter(directory: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """For a fixture: start `goodword worker` processes; any still running at the end are killed
    (before the transactional test empties the tables under them)."""
    started: list[WorkerProcess] = []

    def start(name: str, *args: str) -> WorkerProcess:
        worker = WorkerProcess(directory, name, *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
