"""Cost per origin as the origin table grows: 10,000 stored origins against 1,000,000.

    .venv/bin/python bench/scale.py [--small 10000] [--large 1000000] [--seconds 8]

For each size, on a fresh PostgreSQL database: seeds that many origins (and their people) with
set-based SQL (`generate_series`, one statement per table, like bench/referrals.py: 10,000 of
them advocates with an offer and a claim each), `ANALYZE`s, then
1. posts friend purchases (`POST /api/v2/origins`, unique order numbers, half with an
   `ip_address`) with no worker running: requests/s, p50 and p99;
2. drops the jobs those left, stores a backlog of friend purchases carrying a claim's `uuid`
   (bench/attribution.py's) and times one `goodword worker` through it: referrals/s.
Prints both sizes and the ratios large / small (the target: within 1.2x). The seeding's time
is reported; `--seed-timeout` bounds it (the run stops with an error past it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, create_site, goodword, server, var_dir
from loadgen import build_post, run

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench_scale"


def seed(url: str, var: str, slug: str, origins: int, timeout: float) -> float:
    """`origins` stored origins (at least the 10,000 advocates' own), bounded in time."""
    import referrals as seeding

    seeding.ORIGINS = max(origins, seeding.OFFERS)
    os.environ["PGOPTIONS"] = f"-c statement_timeout={int(timeout * 1000)}"
    started = time.perf_counter()
    try:
        seeding.seed(url, var, slug)
    finally:
        os.environ.pop("PGOPTIONS", None)
    return round(time.perf_counter() - started, 1)


def one_size(url: str, origins: int, args: argparse.Namespace) -> dict[str, Any]:
    import attribution

    if "django" in sys.modules:  # the previous size's seeding left a connection open
        from django.db import connections

        connections.close_all()
    attribution.fresh_database(url)
    with var_dir() as var:
        env = bench_env(url, var)
        goodword(env, "migrate", "--verbosity", "0")
        slug, key = create_site(env, "scale")
        seeded = seed(url, var, slug, origins, args.seed_timeout)
        auth = {"Authorization": f"Bearer {key}"}
        with server(env, args.server_workers) as port:
            host = f"127.0.0.1:{port}"

            def purchase(n: int) -> bytes:
                ip = f',"ip_address":"198.51.100.{n % 250}"' if n % 2 else ""
                body = (
                    f'{{"site_slug":"{slug}","type":"Purchase","data":{{"order_number":"s{n}",'
                    f'"email":"scale{n}@example.com","subtotal":100.44{ip}}}}}'
                )
                return build_post(host, "/api/v2/origins", body.encode(), auth)

            posted = run(
                "POST /api/v2/origins Purchase",
                "127.0.0.1",
                port,
                purchase,
                connections=args.connections,
                seconds=args.seconds,
                warmup=args.warmup,
            )
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM worker_job")
        attribution.backlog_store(url, slug, args.backlog)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            row = conn.execute("SELECT count(*) FROM origins_origin").fetchone()
        drained = attribution.drain(env, url, 1, args.backlog, args.timeout)
    return {
        "stored_origins_before": origins,
        "stored_origins_at_drain": int(row[0]) if row else None,
        "seed_seconds": seeded,
        "origins": posted.summary(),
        "attribution": drained,
    }


def _ratio(a: Any, b: Any) -> float | None:
    try:
        return round(float(a) / float(b), 2)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--seed-timeout", type=float, default=600)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_SCALE_DATABASE_URL", DEFAULT_DB)
    )
    args = parser.parse_args()

    small = one_size(args.database_url, args.small, args)
    print(json.dumps({"small": small}), file=sys.stderr)
    large = one_size(args.database_url, args.large, args)
    report = {
        "small": small,
        "large": large,
        "origins_p99_large_to_small": _ratio(
            large["origins"]["p99_ms"], small["origins"]["p99_ms"]
        ),
        "origins_rps_small_to_large": _ratio(small["origins"]["rps"], large["origins"]["rps"]),
        "attribution_small_to_large": _ratio(
            small["attribution"]["referrals_per_second"],
            large["attribution"]["referrals_per_second"],
        ),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
