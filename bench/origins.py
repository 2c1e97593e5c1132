"""POST /api/v2/origins (Purchase) against the one-insert floor endpoint, on PostgreSQL.

    .venv/bin/python bench/origins.py [--seconds 10] [--connections 32]
    .venv/bin/python bench/origins.py --database-url sqlite:////tmp/bench.sqlite3   # make run's

Starts `goodword serve` (workers = cores) with the floor endpoint switched on, then drives both
endpoints from this process over loopback with unique order numbers. Prints requests/s, p50
and p99 for each, the ratio, and the SQL statements one origin costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_DB, bench_env, create_site, ensure_database, goodword, server, var_dir
from loadgen import build_post, run


def count_statements(database_url: str, var: str, slug: str, key: str) -> list[str]:
    """The SQL statements (each one round trip) one purchase costs, counted in-process: those
    Django's cursors run plus those the hot path sends on its own psycopg cursor."""
    os.environ.update(DATABASE_URL=database_url, GOODWORD_VAR_DIR=var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodword.settings")
    import django

    django.setup()
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"Authorization": f"Bearer {key}"}

    def post(number: str) -> int:
        body = {
            "site_slug": slug,
            "type": "Purchase",
            "data": {"email": "w@example.com", "order_number": number, "subtotal": 1},
        }
        response = client.post("/api/v2/origins", body, "application/json", headers=headers)
        return int(response.status_code)

    post("w-0")  # warm: key cache, connection, prepared statement
    raw: list[str] = []
    original = psycopg.Cursor.execute

    def counting(self, query, params=None, **kw):  # type: ignore[no-untyped-def]
        # Django's own cursor class derives from this one; those are captured above.
        if type(self) is psycopg.Cursor:
            raw.append(" ".join(str(query).split())[:60])
        return original(self, query, params, **kw)

    psycopg.Cursor.execute = counting  # type: ignore[method-assign]
    try:
        with CaptureQueriesContext(connection) as ctx:
            status = post("w-1")
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
    assert status == 201, status
    return [q["sql"][:60] for q in ctx.captured_queries] + raw


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    if not args.database_url.startswith("sqlite"):  # SQLite: the file is made by migrate
        ensure_database(args.database_url)
    with var_dir() as var:
        env = bench_env(args.database_url, var, GOODWORD_BENCH_FLOOR="1")
        goodword(env, "migrate", "--verbosity", "0")
        slug, key = create_site(env)
        auth = {"Authorization": f"Bearer {key}"}
        with server(env, args.workers, args.server) as port:
            host = f"127.0.0.1:{port}"

            def floor(n: int) -> bytes:
                body = f'{{"order_number":"f{n}","email":"f{n}@example.com","subtotal":10.5}}'
                return build_post(host, "/api/v2/bench/floor", body.encode(), {})

            def purchase(n: int) -> bytes:
                body = (
                    f'{{"site_slug":"{slug}","type":"Purchase","data":{{"order_number":"o{n}",'
                    f'"email":"friend{n % 5000}@example.com","subtotal":100.44,'
                    f'"first_name":"Ann","ip_address":"192.0.2.{n % 250}",'
                    f'"coupon_codes":["C{n % 97}"]}}}}'
                )
                return build_post(host, "/api/v2/origins", body.encode(), auth)

            opts = {"connections": args.connections, "seconds": args.seconds, "warmup": args.warmup}
            floor_res = run("floor (parse + one INSERT)", "127.0.0.1", port, floor, **opts)
            origin_res = run("POST /api/v2/origins Purchase", "127.0.0.1", port, purchase, **opts)
        statements = count_statements(args.database_url, var, slug, key)

    report = {
        "connections": args.connections,
        "server": args.server,
        "server_workers": args.workers,
        "floor": floor_res.summary(),
        "origins": origin_res.summary(),
        "ratio_origins_to_floor": round(origin_res.rps / floor_res.rps, 3),
        "sql_statements_per_origin": len(statements),
        "statements": statements,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
