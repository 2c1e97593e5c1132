"""The attribution worker through a backlog of friend purchases, on PostgreSQL.

    .venv/bin/python bench/attribution.py [--backlog 100000] [--workers 1] [--no-analyze]

Creates a fresh database (dropped first), seeds it like bench/referrals.py (100,000 origins,
10,000 advocate offers with a claim each), then stores the backlog in bulk with SQL exactly as
intake leaves it: a friend person, a Purchase origin carrying an advocate claim's `uuid` (half
of them with an `ip_address` too) and its `attribute` job. Then it starts `goodword worker`
processes and times them through the backlog: referrals/s overall and for each tenth of it, and
the worker processes' CPU time per job (user + system, which does not depend on the machine's
load). `--explain` prints EXPLAIN ANALYZE of the attribution queries for one origin.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, bench_env, create_site, goodword, var_dir

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench_attribution"


def fresh_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def backlog_store(url: str, slug: str, count: int, prefix: str = "q") -> None:
    """`count` friend purchases and their attribute jobs, in a few statements."""
    import psycopg

    with psycopg.connect(url) as conn:
        site_id = conn.execute("SELECT id FROM sites_site WHERE slug = %s", [slug]).fetchone()
        assert site_id is not None
        conn.execute(
            "INSERT INTO people_person (site_id, email, custom_properties, created_at, updated_at)"
            " SELECT %s, %s || g || '@example.org', '{}', now(), now()"
            " FROM generate_series(1, %s) g",
            [site_id[0], prefix, count],
        )
        conn.execute(
            "WITH claims AS (SELECT visitor_uuid, row_number() OVER (ORDER BY id) - 1 AS n"
            " FROM offers_claim WHERE site_id = %s), total AS (SELECT count(*) AS c FROM claims),"
            " friends AS (SELECT id, email, row_number() OVER (ORDER BY id) AS n"
            " FROM people_person WHERE site_id = %s AND email LIKE %s),"
            " made AS (INSERT INTO origins_origin (site_id, person_id, type, order_number, email,"
            " subtotal, currency, coupon_codes, items, campaign_tags, ip_address, uuid,"
            " occurred_at, fingerprint, created_at)"
            " SELECT %s, f.id, 'Purchase', %s || f.n, f.email, 80, 'USD', '[]', '[]', '[]',"
            " CASE WHEN f.n %% 2 = 0 THEN ('203.0.113.' || (f.n %% 250))::inet END,"
            " c.visitor_uuid, now(), 'bench', now()"
            " FROM friends f JOIN claims c ON c.n = f.n %% (SELECT c FROM total)"
            " RETURNING id)"
            " INSERT INTO worker_job (site_id, kind, ref_id, payload, run_after, attempts,"
            " last_error, created_at)"
            " SELECT %s, 'attribute', id, '{\"phone\": null}', now(), 0, '', now() FROM made",
            [site_id[0], site_id[0], prefix + "%", site_id[0], prefix + "-", site_id[0]],
        )


def pending(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM worker_job WHERE kind = 'attribute' AND failed_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def explain(env: dict[str, str]) -> str:
    """EXPLAIN ANALYZE of the candidates and fraud-facts queries for a queued origin, as the
    worker sends them (the statements captured from one attribution)."""
    code = (
        "import django, json; django.setup()\n"
        "from django.db import connection\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "import goodword.core.db as db\n"
        "captured = []\n"
        "real = db.fetch\n"
        "def fetch(sql, params):\n"
        "    captured.append((sql, params)); return real(sql, params)\n"
        "db.fetch = fetch\n"
        "import goodword.referrals.selectors as s; s.fetch = fetch\n"
        "from goodword.worker.models import Job\n"
        "from goodword.origins.selectors import origin_for_attribution\n"
        "from goodword.referrals.services import referral_for_origin\n"
        "from goodword.sites.auth import site_ref\n"
        "from django.db import transaction\n"
        "job = Job.objects.filter(kind='attribute').order_by('-id').first()\n"
        "o = origin_for_attribution(origin_id=job.ref_id, site_id=job.site_id)\n"
        "with transaction.atomic():\n"
        "    referral_for_origin(site=site_ref(job.site_id), origin=o, fresh=True)\n"
        "    transaction.set_rollback(True)\n"
        "out = []\n"
        "with connection.cursor() as cur:\n"
        "    for sql, params in captured:\n"
        "        if 'UNION ALL' not in sql: continue\n"
        "        cur.execute('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ' + sql,"
        " [db.adapt(p) for p in params])\n"
        "        out.append('\\n'.join(r[0] for r in cur.fetchall()))\n"
        "print('\\n\\n'.join(out))\n"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "goodword.settings"},
        capture_output=True,
        text=True,
    )
    return result.stdout if result.returncode == 0 else result.stderr


def drain(env: dict[str, str], url: str, workers: int, total: int, timeout: float) -> dict:
    """Worker processes through the backlog; the rate per tenth and the CPU time per job."""
    procs = [
        subprocess.Popen(
            [str(BIN / "goodword"), "worker", "--poll", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    started = time.perf_counter()
    marks: list[float] = []
    left = total
    deadline = started + timeout
    try:
        while left and time.perf_counter() < deadline:
            # Not faster: each look counts the job table, and at 20 a second that cost PostgreSQL
            # more than the worker's own claims (3,744 scans, 190 M rows in a 100,000 run).
            time.sleep(0.5)
            left = pending(url)
            while len(marks) < 10 and total - left >= (len(marks) + 1) * total / 10:
                marks.append(time.perf_counter())
    finally:
        cpu = 0.0
        for proc in procs:
            proc.terminate()
            _, _, usage = os.wait4(proc.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
    elapsed = time.perf_counter() - started
    tenths: list[float] = []
    previous = started
    for mark in marks:
        tenths.append(round(total / 10 / (mark - previous), 1))
        previous = mark
    done = total - left
    return {
        "workers": workers,
        "backlog": total,
        "done": done,
        "seconds": round(elapsed, 2),
        "referrals_per_second": round(done / elapsed, 1) if elapsed else None,
        "per_tenth": tenths,
        "steadiness_last_to_first": round(tenths[-1] / tenths[0], 2) if len(tenths) == 10 else None,
        "worker_cpu_ms_per_job": round(cpu * 1000 / done, 3) if done else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after the load")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_ATTRIBUTION_DATABASE_URL", DEFAULT_DB)
    )
    args = parser.parse_args()

    import referrals as seeding

    fresh_database(args.database_url)
    with var_dir() as var:
        env = bench_env(args.database_url, var)
        goodword(env, "migrate", "--verbosity", "0")
        slug, _ = create_site(env, "attrbench")
        seeding.seed(args.database_url, var, slug, analyze=not args.no_analyze)
        started = time.perf_counter()
        backlog_store(args.database_url, slug, args.backlog)
        if not args.no_analyze:
            import psycopg

            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute("ANALYZE")
        print(f"backlog stored in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        plans = explain(env) if args.explain else None
        report = {
            "analyze_after_load": not args.no_analyze,
            **drain(env, args.database_url, args.workers, args.backlog, args.timeout),
        }
    if plans:
        print(plans, file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
