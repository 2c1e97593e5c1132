"""Friend purchases against the one-insert floor, with 100,000 stored origins and 10,000
advocate offers, on PostgreSQL; then the worker that attributes and screens them.

    .venv/bin/python bench/referrals.py [--seconds 10] [--connections 32]

Seeds the tables in bulk with SQL and starts `goodword serve` with the floor endpoint on.
1. Posts friend purchases that carry the `uuid` of an advocate's claim (cookie attribution,
   then all six fraud policies) with unique order numbers and emails, with no worker running:
   requests/s, p50 and p99 against the floor, and the SQL statements one request costs.
2. Starts one `goodword worker` and times it through the backlog: referrals/s.
3. With the worker running, posts at a steady rate (--paced-share of the intake measured in 1,
   0.6 by default, or --paced-rate) for --paced-seconds (60): the latency from an origin being
   stored to its referral being stored (p50, p99), from the rows' own timestamps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BIN,
    DEFAULT_DB,
    Progress,
    bench_env,
    create_site,
    ensure_database,
    goodword,
    server,
    var_dir,
)
from loadgen import build_post, run

ORIGINS = 100_000
OFFERS = 10_000


def seed(database_url: str, var: str, slug: str, *, analyze: bool = True) -> list[str]:
    """Bulk-load people, origins, a campaign, offers, claim links and claims. Returns the
    claim visitor uuids the load will buy with. `analyze=False` leaves the planner's
    statistics as the bulk load left them (bench/attribution.py --no-analyze)."""
    os.environ.update(DATABASE_URL=database_url, GOODWORD_VAR_DIR=var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodword.settings")
    import django

    django.setup()
    from django.db import connection

    from goodword.campaigns.models import Campaign
    from goodword.core.clock import now
    from goodword.sites.models import FraudSettings, Site, SiteSettings

    site = Site.objects.get(slug=slug)
    stamp = now()
    SiteSettings.objects.create(site=site, base_url="https://refer.example.com")
    FraudSettings.objects.create(site=site)
    campaign = Campaign.objects.create(
        site=site,
        slug="invite",
        name="Invite",
        tags=["invite"],
        joinable_category_names=["affiliate_member"],
        destination_url="https://shop.example.com/",
        created_at=stamp,
        updated_at=stamp,
    )
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO people_person (site_id, email, custom_properties, created_at, updated_at)"
            " SELECT %s, 'seed' || g || '@example.com', '{}', now(), now()"
            " FROM generate_series(1, %s) g",
            [site.id, ORIGINS],
        )
        cur.execute(
            "INSERT INTO origins_origin (site_id, person_id, type, order_number, email, subtotal,"
            " currency, coupon_codes, items, campaign_tags, ip_address, occurred_at, fingerprint,"
            " created_at) SELECT p.site_id, p.id,"
            " CASE WHEN row_number() OVER (ORDER BY p.id) <= %s THEN 'AffiliateMember'"
            " ELSE 'Purchase' END,"
            " CASE WHEN row_number() OVER (ORDER BY p.id) <= %s THEN NULL"
            " ELSE 'seed-' || p.id END, p.email, 50, 'USD', '[]', '[]', '[]',"
            " ('10.' || (p.id / 65536 %% 256) || '.' || (p.id / 256 %% 256) || '.'"
            " || (p.id %% 256))::inet, now() - interval '1 day', 'seed', now()"
            " FROM people_person p WHERE p.site_id = %s",
            [OFFERS, OFFERS, site.id],
        )
        cur.execute(
            "INSERT INTO offers_advocateoffer (site_id, campaign_id, advocate_id, origin_id,"
            " short_url_code, advocate_user_agent, created_at)"
            " SELECT o.site_id, %s, o.person_id, o.id, 's' || o.id, '', now()"
            " FROM origins_origin o WHERE o.site_id = %s AND o.type = 'AffiliateMember'",
            [campaign.id, site.id],
        )
        cur.execute(
            "INSERT INTO offers_shortlink (code, site_id, offer_id, kind, created_at)"
            " SELECT 'c' || f.id, f.site_id, f.id, 'claim', now()"
            " FROM offers_advocateoffer f WHERE f.site_id = %s",
            [site.id],
        )
        cur.execute(
            "INSERT INTO offers_claim (site_id, offer_id, link_id, visitor_uuid, ip_address,"
            " user_agent, created_at, clicked_at) SELECT l.site_id, l.offer_id, l.id,"
            " gen_random_uuid(), '192.0.2.1', 'Bench/1.0', now() - interval '1 hour',"
            " now() - interval '1 hour'"
            " FROM offers_shortlink l WHERE l.site_id = %s",
            [site.id],
        )
        if analyze:
            cur.execute("ANALYZE")
        cur.execute(
            "SELECT visitor_uuid FROM offers_claim WHERE site_id = %s ORDER BY id", [site.id]
        )
        uuids = [str(row[0]) for row in cur.fetchall()]
    print(f"seeded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return uuids


def backlog(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM worker_job WHERE failed_at IS NULL AND kind = 'attribute'"
        ).fetchone()
    return int(row[0]) if row else 0


def latencies(database_url: str, slug: str, prefix: str) -> dict[str, float]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT EXTRACT(EPOCH FROM r.created_at - o.created_at) FROM referrals_referral r"
            " JOIN origins_origin o ON o.id = r.origin_id JOIN sites_site s ON s.id = o.site_id"
            " WHERE s.slug = %s AND o.order_number LIKE %s ORDER BY 1",
            [slug, prefix + "%"],
        ).fetchall()
    values = [float(r[0]) * 1000 for r in rows]
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": round(values[len(values) // 2], 1),
        "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 1),
        "max_ms": round(values[-1], 1),
    }


def count_statements(slug: str, key: str, uuid: str) -> tuple[list[str], list[str]]:
    """The statements of one friend purchase request, and of the worker's job for it."""
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"Authorization": f"Bearer {key}"}

    def post(n: int) -> int:
        body = {
            "site_slug": slug,
            "data": {
                "email": f"count{n}@example.org",
                "order_number": f"count-{n}",
                "subtotal": 80,
                "uuid": uuid,
            },
        }
        response = client.post(
            "/api/v2/origins/purchase", body, "application/json", headers=headers
        )
        return int(response.status_code)

    from goodword.worker.loop import drain

    post(0)
    drain()
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
            status = post(1)
        request = [q["sql"][:60] for q in ctx.captured_queries] + raw
        raw.clear()
        with CaptureQueriesContext(connection) as ctx:
            drain()
        job = [q["sql"][:60] for q in ctx.captured_queries] + raw
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
    assert status == 201, status
    return request, job


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=None,
        help="requests/s of the paced phase (default: --paced-share of the measured intake)",
    )
    parser.add_argument("--paced-share", type=float, default=0.6)
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    ensure_database(args.database_url)
    with var_dir() as var:
        env = bench_env(args.database_url, var, GOODWORD_BENCH_FLOOR="1")
        goodword(env, "migrate", "--verbosity", "0")
        slug, key = create_site(env, "refbench")
        uuids = seed(args.database_url, var, slug)
        auth = {"Authorization": f"Bearer {key}"}
        with server(env, args.workers) as port:
            host = f"127.0.0.1:{port}"

            def floor(n: int) -> bytes:
                body = f'{{"order_number":"f{n}","email":"f{n}@example.com","subtotal":10.5}}'
                return build_post(host, "/api/v2/bench/floor", body.encode(), {})

            def purchase_of(prefix: str) -> Callable[[int], bytes]:
                def purchase(n: int) -> bytes:
                    body = (
                        f'{{"site_slug":"{slug}","data":{{"order_number":"{prefix}{n}",'
                        f'"email":"{prefix}{n}@example.org","subtotal":80,'
                        f'"ip_address":"203.0.113.{n % 250}","uuid":"{uuids[n % len(uuids)]}"}}}}'
                    )
                    return build_post(host, "/api/v2/origins/purchase", body.encode(), auth)

                return purchase

            opts = {"connections": args.connections, "seconds": args.seconds, "warmup": args.warmup}
            floor_res = run("floor (parse + one INSERT)", "127.0.0.1", port, floor, **opts)
            friend_res = run("friend purchase", "127.0.0.1", port, purchase_of("a"), **opts)

            # 2. One worker through the backlog the first phase left. Its progress comes from
            # its own log lines (common.Progress): watching it costs the database nothing.
            queued = backlog(args.database_url)
            progress = Progress()
            worker = subprocess.Popen(
                [str(BIN / "goodword"), "worker", "--poll", "0.05"],
                env={**env, "GOODWORD_LOG_LEVEL": "INFO", "GOODWORD_LOG_FORMAT": "plain"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            reader = threading.Thread(target=progress.follow, args=(worker.stderr,), daemon=True)
            reader.start()

            def done() -> int:
                with progress.lock:
                    return progress.done

            paced_rate = args.paced_rate or round(args.paced_share * friend_res.rps, 1)
            try:
                started = time.perf_counter()
                deadline = started + 300
                while done() < queued and time.perf_counter() < deadline:
                    time.sleep(0.02)
                # Other kinds of jobs count as done too: make sure with one count, rarely.
                while backlog(args.database_url) and time.perf_counter() < deadline:
                    time.sleep(0.5)
                drained = time.perf_counter() - started
                left = backlog(args.database_url)
                # 3. Steady ingest with the worker running beside the server.
                live_res = run(
                    "friend purchase, paced, worker running",
                    "127.0.0.1",
                    port,
                    purchase_of("b"),
                    connections=32,
                    seconds=args.paced_seconds,
                    warmup=0,
                    rate=paced_rate,
                )
                stored = queued + live_res.statuses.get(201, 0)
                deadline = time.perf_counter() + 120
                while done() < stored and time.perf_counter() < deadline:
                    time.sleep(0.02)
                while backlog(args.database_url) and time.perf_counter() < deadline:
                    time.sleep(0.5)
            finally:
                worker.terminate()
                worker.wait(30)
        from goodword.referrals.models import Referral

        referrals = Referral.objects.filter(site__slug=slug).count()
        statements = count_statements(slug, key, uuids[0])
        lat = latencies(args.database_url, slug, "b")

    report = {
        "origins_seeded": ORIGINS,
        "offers_seeded": OFFERS,
        "connections": args.connections,
        "floor": floor_res.summary(),
        "friend_purchases": friend_res.summary(),
        "ratio_to_floor": round(friend_res.rps / floor_res.rps, 3),
        "worker_backlog": queued,
        "worker_drain_seconds": round(drained, 2),
        "worker_referrals_per_second": round((queued - left) / drained, 1) if drained else None,
        "paced_rate": paced_rate,
        "paced_share_of_intake": round(paced_rate / friend_res.rps, 2) if friend_res.rps else None,
        "paced_seconds": args.paced_seconds,
        "friend_purchases_worker_running": live_res.summary(),
        "origin_to_referral_latency": lat,
        "referrals_created": referrals,
        "sql_statements_per_purchase_request": len(statements[0]),
        "request_statements": statements[0],
        "sql_statements_per_attribution_job": len(statements[1]),
        "job_statements": statements[1],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
