"""Batch ingest on PostgreSQL: POST /api/v2/origins/batch/purchases, then a worker through it.

    .venv/bin/python bench/batch.py [--rows 100000] [--per-batch 10000] [--timeout 300]

Starts `goodword serve`, posts the purchases in batches over loopback (timing the requests),
then starts `goodword worker` (one process, or --worker-processes) and times it until every batch
is finished (bounded by --timeout; the time includes the worker's start-up). Prints the
requests' time, the worker's rows/s and the workers' CPU time per row (user + system, read from
/proc between the first rows accounted for and the last, so start-up is left out; unlike rows/s
it does not depend on what else the machine runs) and the CPU time per row of the PostgreSQL
server processes serving the workers (same machine only) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BIN,
    DEFAULT_DB,
    bench_env,
    create_site,
    ensure_database,
    goodword,
    server,
    var_dir,
)


def batch_body(slug: str, start: int, count: int) -> bytes:
    rows = [
        {
            "order_number": f"b{n}",
            "email": f"friend{n % 5000}@example.com",
            "subtotal": 100.44,
            "first_name": "Ann",
            "ip_address": f"192.0.2.{n % 250}",
            "coupon_codes": [f"C{n % 97}"],
        }
        for n in range(start, start + count)
    ]
    return json.dumps({"site_slug": slug, "data": rows}).encode()


def post(port: int, key: str, body: bytes) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2/origins/batch/purchases",
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback http
        assert response.status == 200, response.status


def unfinished(database_url: str, slug: str) -> tuple[int, int]:
    """Batches not finished, and rows accounted for (stored + failed), for the site."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE b.finished_at IS NULL), "
            "coalesce(sum(b.stored + b.failed), 0) FROM origins_originbatch b "
            "JOIN sites_site s ON s.id = b.site_id WHERE s.slug = %s",
            [slug],
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def worker_backends(database_url: str) -> list[int]:
    """The server processes of the database's other client connections (the workers')."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-batch", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server")
    parser.add_argument(
        "--worker-processes", type=int, default=1, help="`goodword worker` processes to time"
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    ensure_database(args.database_url)
    with var_dir() as var:
        env = bench_env(args.database_url, var)
        goodword(env, "migrate", "--verbosity", "0")
        slug, key = create_site(env, "batch")
        bodies = [
            batch_body(slug, start, min(args.per_batch, args.rows - start))
            for start in range(0, args.rows, args.per_batch)
        ]
        with server(env, args.workers) as port:
            started = time.perf_counter()
            for body in bodies:
                post(port, key, body)
            post_seconds = time.perf_counter() - started

        workers = [
            subprocess.Popen(
                [str(BIN / "goodword"), "worker", "--poll", "0.05"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.worker_processes)
        ]
        try:
            started = time.perf_counter()
            deadline = started + args.timeout
            pids = [w.pid for w in workers]
            first: tuple[int, float] | None = None
            backends: list[int] = []
            db_first = 0.0
            while True:
                left, done = unfinished(args.database_url, slug)
                if first is None and done > 0:
                    first = (done, cpu_seconds(pids))
                    backends = worker_backends(args.database_url)
                    db_first = cpu_seconds(backends)
                if left == 0 or time.perf_counter() > deadline:
                    break
                time.sleep(0.1)
            work_seconds = time.perf_counter() - started
            last_cpu = cpu_seconds(pids)
            db_last = cpu_seconds(backends)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(10)

    report = {
        "rows": args.rows,
        "rows_per_batch": args.per_batch,
        "worker_processes": args.worker_processes,
        "post_seconds": round(post_seconds, 2),
        "posted_rows_per_second": round(args.rows / post_seconds),
        "worker_seconds": round(work_seconds, 2),
        "rows_accounted_for": done,
        "timed_out": left != 0,
        "worker_rows_per_second": round(done / work_seconds),
    }
    if first is not None and done > first[0]:
        rows_timed = done - first[0]
        report["worker_cpu_ms_per_row"] = round(1000 * (last_cpu - first[1]) / rows_timed, 4)
        report["postgres_cpu_ms_per_row"] = round(1000 * (db_last - db_first) / rows_timed, 4)
    print(json.dumps(report, indent=2))
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
