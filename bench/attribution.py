"""The attribution worker through a backlog of friend purchases, on PostgreSQL.

    .venv/bin/python bench/attribution.py [--backlog 100000] [--workers 1] [--no-analyze]

Creates a fresh database (dropped first), seeds it like bench/referrals.py (100,000 origins,
10,000 advocate offers with a claim each), then stores the backlog in bulk with SQL exactly as
intake leaves it: a friend person, a Purchase origin carrying an advocate claim's `uuid` (half
of them with an `ip_address` too) and its `attribute` job. Then it starts `goodword worker`
processes and times them through the backlog: referrals/s overall and for each tenth of it, and
the worker processes' CPU time per job (user + system, which does not depend on the machine's
load). `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the statements of one batch of 100.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, Progress, bench_env, create_site, goodword, var_dir

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench_attribution"


def fresh_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def auto_explain(url: str, ms: int) -> None:
    """Sessions of this database log the plans (with actual rows and buffers) of statements
    slower than `ms` to the server's log: which statement reads what, while the worker runs."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        for setting, value in (
            ("session_preload_libraries", "auto_explain"),
            ("auto_explain.log_min_duration", str(ms)),
            ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_buffers", "on"),
        ):
            conn.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")


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


_TABLE_STATS = (
    "SELECT coalesce(sum(seq_scan), 0), coalesce(sum(seq_tup_read), 0), "
    "coalesce(sum(idx_scan), 0), coalesce(sum(idx_tup_fetch), 0) FROM pg_stat_user_tables"
)


def table_stats(url: str) -> dict[str, dict[str, int]]:
    """The server's cumulative read counters (pg_stat_user_tables), per table and in total:
    sequential scans and the rows they read, index scans and the rows they fetched."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # Counters reach the shared statistics when a backend is idle for a moment (at most a
        # second later); ask for a fresh snapshot.
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(
            "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0),"
            " coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables"
        ).fetchall()
    return {
        str(name): {"seq_scan": a, "seq_rows": b, "idx_scan": c, "idx_rows": d}
        for name, a, b, c, d in rows
    }


def stats_per_job(before: dict, after: dict, done: int) -> dict:
    """Reads per job during the drain, in total and for the tables that account for them."""
    if not done:
        return {}
    delta: dict[str, dict[str, float]] = {}
    for name, counts in after.items():
        old = before.get(name, {})
        moved = {k: (v - old.get(k, 0)) / done for k, v in counts.items()}
        if any(moved.values()):
            delta[name] = {k: round(v, 2) for k, v in moved.items()}
    total = {k: round(sum(t[k] for t in delta.values()), 2) for k in next(iter(after.values()))}
    top = sorted(delta.items(), key=lambda kv: -(kv[1]["seq_rows"] + kv[1]["idx_rows"]))[:6]
    return {"total": total, "tables": dict(top)}


def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds (user + system) so far of each server process serving this database's
    other clients (the workers), read from /proc: the database's own cost, which does not
    depend on what else the machine runs. Empty where /proc is not the server's."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'",
                [name],
            ).fetchall()
        ]
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def explain(env: dict[str, str]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements one batch of 100 queued attributions
    sends (captured from a batch that is run and rolled back): the claim, the origins, the
    candidates, the fraud facts, the referrals' insert and the completions."""
    code = """
import django; django.setup()
from django.db import connection, transaction
from psycopg import Cursor
import goodword.core.db as db
captured = []
real_fetch, real_many = db.fetch, db.fetch_many
def fetch(sql, params):
    captured.append((sql, params)); return real_fetch(sql, params)
def fetch_many(statements, prepare=True):
    captured.extend(statements); return real_many(statements, prepare=prepare)
import goodword.referrals.selectors as s, goodword.referrals.services as v
import goodword.worker.queue as q, goodword.origins.selectors as o
for m in (s, v, q, o):
    m.fetch = fetch
    if hasattr(m, "fetch_many"): m.fetch_many = fetch_many
from goodword.worker.loop import load_handlers
load_handlers()
with transaction.atomic():
    q.run_many(q.claim(limit=100, kind="attribute"))
    transaction.set_rollback(True)
out = []
plan = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
with transaction.atomic():
    for sql, params in captured:
        with Cursor(connection.connection) as cur:
            cur.execute(plan + sql, [db.adapt(p) for p in params])
            out.append(sql[:100] + "\\n" + "\\n".join(r[0] for r in cur.fetchall()))
    transaction.set_rollback(True)
print("\\n\\n".join(out))
"""
    result = subprocess.run(
        [str(BIN / "python"), "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "goodword.settings"},
        capture_output=True,
        text=True,
    )
    return result.stdout if result.returncode == 0 else result.stderr


def drain(env: dict[str, str], url: str, workers: int, total: int, timeout: float) -> dict:
    """Worker processes through the backlog; the rate per tenth (timed from when the workers
    report they started, so their import time is not counted), the CPU time per job of the
    workers and of their database server processes, and the database's reads per job."""
    time.sleep(1.1)  # what ran before (seeding, a server) reaches the shared statistics
    before = table_stats(url)
    progress = Progress()
    procs = [
        subprocess.Popen(
            [str(BIN / "goodword"), "worker", "--poll", "0.05"],
            env={**env, "GOODWORD_LOG_LEVEL": "INFO", "GOODWORD_LOG_FORMAT": "plain"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    readers = [
        threading.Thread(target=progress.follow, args=(proc.stderr,), daemon=True) for proc in procs
    ]
    for reader in readers:
        reader.start()
    deadline = time.perf_counter() + timeout
    while len(progress.started) < workers and time.perf_counter() < deadline:
        time.sleep(0.01)
    started = min(progress.started, default=time.perf_counter())
    marks: list[float] = []
    done = 0
    db_cpu: dict[int, float] = {}
    try:
        while done < total and time.perf_counter() < deadline:
            time.sleep(0.02)
            with progress.lock:
                done = progress.done
            while len(marks) < 10 and done >= (len(marks) + 1) * total / 10:
                marks.append(time.perf_counter())
            if not db_cpu and done:
                db_cpu = backend_cpu(url)
        # What each server process used since (an idle connection of this process, the
        # seeding's, adds nothing).
        db_cpu = {pid: cpu - db_cpu[pid] for pid, cpu in backend_cpu(url).items() if pid in db_cpu}
    finally:
        cpu = 0.0
        for proc in procs:
            proc.terminate()
            _, _, usage = os.wait4(proc.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
        for reader in readers:
            reader.join(5)
    elapsed = (marks[-1] if len(marks) == 10 else time.perf_counter()) - started
    tenths: list[float] = []
    previous = started
    for mark in marks:
        tenths.append(round(total / 10 / (mark - previous), 1))
        previous = mark
    time.sleep(1.1)  # the workers' last counters reach the shared statistics
    reads = stats_per_job(before, table_stats(url), done)
    return {
        "workers": workers,
        "backlog": total,
        "done": done,
        "seconds": round(elapsed, 2),
        "referrals_per_second": round(done / elapsed, 1) if elapsed else None,
        "per_tenth": tenths,
        "steadiness_last_to_first": round(tenths[-1] / tenths[0], 2) if len(tenths) == 10 else None,
        "worker_cpu_ms_per_job": round(cpu * 1000 / done, 3) if done else None,
        # The server processes of the workers' connections, from their first batch on.
        "database_cpu_ms_per_job": round(sum(db_cpu.values()) * 1000 / done, 3)
        if done and db_cpu
        else None,
        "reads_per_job": reads,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after the load")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--auto-explain-ms",
        type=int,
        default=None,
        help="log the plan of every statement slower than this to the server's log",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_ATTRIBUTION_DATABASE_URL", DEFAULT_DB)
    )
    args = parser.parse_args()

    import referrals as seeding

    fresh_database(args.database_url)
    if args.auto_explain_ms is not None:
        auto_explain(args.database_url, args.auto_explain_ms)
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
