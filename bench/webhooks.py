"""Webhook delivery to a local receiver on PostgreSQL.

    .venv/bin/python bench/webhooks.py [--deliveries 3000] [--paced-rate 20] [--seconds 10]

A receiver (http.server, threads, HTTP/1.1 keep-alive as a web server in front of a receiver
would answer; `--no-keep-alive` for HTTP/1.0, a connection per request) on 127.0.0.1 answers
200 and records when each delivery id arrived. The site allows private targets.
1. Throughput: one `goodword worker` is started and left to settle on an empty queue (its
   start-up, about 0.7 s of CPU for Python and Django, is not in the figures); then
   --deliveries are stored in one transaction, all due at its commit, and timed from the commit
   to the last arrival: deliveries/s. The worker's CPU time over that span (user + system, from
   /proc) per delivery, and the receiver's (this process). The same again with two workers.
   Then the statements per delivery: --deliveries more are sent by a worker loop in this process
   while every statement psycopg sends is counted (transaction control not included).
2. Latency: with one idle worker running (the default 0.2 s poll), one delivery is emitted per
   transaction at --paced-rate for --seconds; latency is from the commit of the causing
   transaction to the receiver reading the request (p50, p99).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, DEFAULT_DB, bench_env, create_site, ensure_database, goodword, var_dir


class Receiver:
    def __init__(self, *, keep_alive: bool = True) -> None:
        self.arrived: dict[str, float] = {}
        self.sent_at: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # the status line and the body go out at once

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                delivery = self.headers.get("X-Goodword-Delivery", "")
                sent = json.loads(body)["payload"].get("t")
                with receiver.lock:
                    receiver.arrived.setdefault(delivery, at)
                    if sent is not None:
                        receiver.sent_at[delivery] = sent
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 1024
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.arrived)


def setup_site(slug: str, url: str) -> int:
    from goodword.core.clock import now
    from goodword.sites.models import Site
    from goodword.webhooks.models import Subscription, WebhookSettings

    site = Site.objects.get(slug=slug)
    WebhookSettings.objects.create(
        site=site,
        security_key="bench-key-0123456789",
        signing_secret="whsec_bench",  # noqa: S106 - a bench fixture
        allow_private_targets=True,
    )
    Subscription.objects.create(site=site, hook_type="event_web_hook", url=url, created_at=now())
    return int(site.pk)


def emit(site_id: int, count: int, *, stamped: bool = False) -> None:
    from django.db import transaction

    from goodword.webhooks.services import webhook_emit

    with transaction.atomic():
        for n in range(count):
            payload: dict[str, Any] = {"n": n}
            if stamped:
                payload["t"] = time.time()
            webhook_emit(site_id=site_id, hook_type="event_web_hook", payload=payload)


def workers(env: dict[str, str], n: int, poll: str) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [str(BIN / "goodword"), "worker", "--poll", poll],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(procs: list[subprocess.Popen[bytes]]) -> float:
    """Stop the workers; the CPU seconds they used (0 where /proc is not there)."""
    cpu = 0.0
    for proc in procs:
        with contextlib.suppress(OSError):
            cpu += cpu_seconds(proc.pid)
        proc.terminate()
    for proc in procs:
        proc.wait(30)
    return cpu


def idle(procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait until the workers have started and poll an empty queue (their CPU time stands
    nearly still for half a second)."""
    deadline = time.perf_counter() + 60
    last = sum(cpu_seconds(proc.pid) for proc in procs)
    while time.perf_counter() < deadline:
        time.sleep(0.5)
        now = sum(cpu_seconds(proc.pid) for proc in procs)
        if now - last < 0.02 * len(procs):
            return
        last = now
    raise RuntimeError("the workers did not settle within a minute")


def throughput(
    env: dict[str, str], site_id: int, receiver: Receiver, n: int, k: int
) -> dict[str, float]:
    """The workers start and settle on an empty queue; then the deliveries commit in one
    transaction, all due at once, and the clock runs from that commit to the last arrival."""
    start_count = receiver.count()
    procs = workers(env, k, "0.05")
    try:
        idle(procs)
        cpu_before = sum(cpu_seconds(proc.pid) for proc in procs)
        emit(site_id, n)
        started = time.perf_counter()
        here_before = time.process_time()
        while receiver.count() - start_count < n:
            if time.perf_counter() - started > 600:
                raise RuntimeError("deliveries did not arrive within 10 minutes")
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        here = time.process_time() - here_before
    finally:
        cpu = stop(procs)
    return {
        "per_second": n / elapsed,
        "cpu_ms_per_delivery": (cpu - cpu_before) * 1000 / n,
        "receiver_cpu_ms_per_delivery": here * 1000 / n,
    }


def statements(site_id: int, receiver: Receiver, n: int) -> dict[str, float]:
    """Statements psycopg sends per delivery while a worker loop in this process sends `n`."""
    import psycopg

    from goodword.worker.loop import Worker

    for _ in range(max(n // 100, 1)):
        emit(site_id, 100)
    n = max(n // 100, 1) * 100
    start_count = receiver.count()
    sent: list[str] = []
    original = psycopg.Cursor.execute

    def counting(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query))
        return original(self, query, params, **kwargs)

    worker = Worker(batch=100)
    batches = 0
    psycopg.Cursor.execute = counting  # type: ignore[method-assign]
    try:
        while receiver.count() - start_count < n:
            claimed, _ = worker.run_batch()
            batches += 1 if claimed else 0
            if not claimed:
                time.sleep(0.01)
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
    return {
        "statements_per_delivery": round(len(sent) / n, 3),
        "statements_per_batch": round(len(sent) / max(batches, 1), 1),
        "batches": batches,
    }


def latency(
    env: dict[str, str], site_id: int, receiver: Receiver, rate: float, seconds: float
) -> dict[str, float]:
    procs = workers(env, 1, "0.2")
    try:
        time.sleep(2)  # the worker is up and idle
        before = set(receiver.arrived)
        total = int(rate * seconds)
        for _ in range(total):
            emit(site_id, 1, stamped=True)
            time.sleep(1 / rate)
        deadline = time.time() + 30
        while time.time() < deadline:
            with receiver.lock:
                got = [d for d in receiver.arrived if d not in before and d in receiver.sent_at]
            if len(got) >= total:
                break
            time.sleep(0.05)
    finally:
        stop(procs)
    with receiver.lock:
        lat = sorted(
            (receiver.arrived[d] - receiver.sent_at[d]) * 1000
            for d in receiver.arrived
            if d not in before and d in receiver.sent_at
        )
    return {
        "count": len(lat),
        "p50_ms": round(statistics.median(lat), 1),
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
        "max_ms": round(lat[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--paced-rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--no-keep-alive", action="store_true", help="an HTTP/1.0 receiver")
    args = parser.parse_args()
    ensure_database(args.database_url)
    with var_dir() as var:
        env = bench_env(args.database_url, var)
        goodword(env, "migrate", "--verbosity", "0")
        slug, _ = create_site(env, "hooks")
        os.environ.update(DATABASE_URL=args.database_url, GOODWORD_VAR_DIR=var)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodword.settings")
        import django

        django.setup()
        receiver = Receiver(keep_alive=not args.no_keep_alive)
        site_id = setup_site(slug, f"http://127.0.0.1:{receiver.port}/hooks")
        one = throughput(env, site_id, receiver, args.deliveries, 1)
        two = throughput(env, site_id, receiver, args.deliveries, 2)
        paced = latency(env, site_id, receiver, args.paced_rate, args.seconds)
        counted = statements(site_id, receiver, args.deliveries)
    print(
        json.dumps(
            {
                "deliveries": args.deliveries,
                "receiver_keep_alive": not args.no_keep_alive,
                "deliveries_per_second_one_worker": round(one["per_second"], 1),
                "deliveries_per_second_two_workers": round(two["per_second"], 1),
                "ratio_two_to_one": round(two["per_second"] / one["per_second"], 2),
                "worker_cpu_ms_per_delivery_one_worker": round(one["cpu_ms_per_delivery"], 3),
                "worker_cpu_ms_per_delivery_two_workers": round(two["cpu_ms_per_delivery"], 3),
                "receiver_cpu_ms_per_delivery": round(one["receiver_cpu_ms_per_delivery"], 3),
                **counted,
                "latency_commit_to_receipt_idle_worker": {
                    "rate_per_second": args.paced_rate,
                    **paced,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
