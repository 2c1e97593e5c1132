"""The Metrics API on a site with 1,000,000 purchases: p50 and p99 per request, by metric.

    .venv/bin/python bench/metrics.py [--origins 1000000] [--repeat 30] [--timeout 900] [--keep]

PostgreSQL only. Builds its own database `goodword_bench_metrics` (dropped at the end unless
--keep) and touches no other.

1. `goodword migrate` and `goodword site create`.
2. Bulk SQL: --origins Purchase origins spread over the year before today (buyers drawn from
   one person in ten), one offer per 10 purchases with two shares and one claim each, one
   referral per 20 purchases. The per-day totals' triggers count them as they are inserted
   (ADR 0017); `goodword manage metrics_compact` folds the deltas, as the worker would; then
   VACUUM ANALYZE, as autovacuum would.
3. `goodword serve` (one worker) on 127.0.0.1; each metric over the whole year, and segmented
   by week (and revenue by day), is asked --repeat times after one warm-up request; p50 and p99
   wall time per request are printed as JSON with the target (200 ms), and the query plans of
   a few answers (`goodword manage metrics_explain`), which show what each query reads.

Bounded by --timeout: seeding or measuring past it stops with a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, create_site, goodword, server, var_dir

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench_metrics"
TARGET_MS = 200.0
METRICS = [
    "purchases",
    "revenue",
    "average_order_value",
    "advocates",
    "shares",
    "sharing_rate",
    "friend_claims",
    "referrals",
    "approved_referrals",
    "referred_revenue",
    "referral_rate",
]


def connect(url: str, **kw: Any) -> Any:
    import psycopg

    return psycopg.connect(url, **kw)


def recreate(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, slug: str, origins: int) -> None:
    p = {"slug": slug, "n": origins, "people": max(origins // 10, 1)}
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET statement_timeout = '600s'")
        row = cur.execute("SELECT id FROM sites_site WHERE slug = %(slug)s", p).fetchone()
        assert row is not None
        p["site"] = row[0]
        cur.execute(
            "INSERT INTO campaigns_campaign (site_id, slug, name, tags, status,"
            " joinable_category_names, destination_url, gate_email, advocate_coupon_pattern,"
            " created_at, updated_at)"
            " VALUES (%(site)s, 'invite', 'Invite', '[\"invite\"]', 'Live', '[]',"
            " 'https://shop.example.com/', false, '', now(), now()) RETURNING id",
            p,
        )
        p["campaign"] = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO people_person (site_id, email, first_name, custom_properties,"
            " created_at, updated_at) SELECT %(site)s, 'p' || g || '@example.com', 'Bench', '{}',"
            " now() - interval '1 year', now() - interval '1 year'"
            " FROM generate_series(1, %(people)s) g",
            p,
        )
        cur.execute("SELECT min(id) FROM people_person WHERE site_id = %(site)s", p)
        p["first_person"] = cur.fetchone()[0]
        # Purchase g happens g/n of the way through the year before now.
        cur.execute(
            "INSERT INTO origins_origin (site_id, person_id, type, order_number, email, subtotal,"
            " currency, coupon_codes, items, campaign_tags, traffic_source, occurred_at,"
            " fingerprint, created_at)"
            " SELECT %(site)s, %(first_person)s + g %% %(people)s, 'Purchase', 'order-' || g,"
            " 'p' || (1 + g %% %(people)s) || '@example.com', 20 + g %% 200, 'USD', '[]', '[]',"
            " '[]', CASE WHEN g %% 3 = 0 THEN 'blog' ELSE NULL END,"
            " now() - (interval '365 days') * (1 - g::float8 / %(n)s), md5(g::text),"
            " now() - (interval '365 days') * (1 - g::float8 / %(n)s)"
            " FROM generate_series(1, %(n)s) g",
            p,
        )
        cur.execute(
            "INSERT INTO offers_advocateoffer (site_id, campaign_id, advocate_id, origin_id,"
            " short_url_code, advocate_user_agent, created_at)"
            " SELECT o.site_id, %(campaign)s, o.person_id, o.id, 'm' || o.id, '', o.occurred_at"
            " FROM origins_origin o WHERE o.site_id = %(site)s AND o.id %% 10 = 0"
            " ON CONFLICT DO NOTHING",
            p,
        )
        cur.execute(
            "INSERT INTO offers_share (site_id, offer_id, channel, subject, message, reminder,"
            " created_at) SELECT f.site_id, f.id, c.channel, '', '', false,"
            " f.created_at + interval '1 hour'"
            " FROM offers_advocateoffer f, (VALUES ('facebook'), ('email')) c(channel)"
            " WHERE f.site_id = %(site)s",
            p,
        )
        cur.execute(
            "INSERT INTO offers_claim (site_id, offer_id, visitor_uuid, user_agent, channel,"
            " created_at, clicked_at) SELECT f.site_id, f.id, gen_random_uuid(), '', 'facebook',"
            " f.created_at + interval '2 hours', f.created_at + interval '2 hours'"
            " FROM offers_advocateoffer f WHERE f.site_id = %(site)s",
            p,
        )
        cur.execute(
            "INSERT INTO referrals_referral (site_id, campaign_id, offer_id, advocate_id,"
            " friend_id, origin_id, track_method, status, subtotal, fraud_policies_status,"
            " fraud_evidence, qa_generated, created_at, updated_at)"
            " SELECT f.site_id, f.campaign_id, f.id, f.advocate_id, o.person_id, o.id, 'cookie',"
            " CASE WHEN o.id %% 40 = 1 THEN 'approved' ELSE 'pending' END, o.subtotal, '{}',"
            " '[]', false, o.occurred_at, o.occurred_at"
            " FROM origins_origin o JOIN offers_advocateoffer f ON f.origin_id = o.id - 1"
            " WHERE o.site_id = %(site)s AND o.id %% 20 = 1",
            p,
        )
        conn.commit()


def vacuum(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def plans(env: dict[str, str], slug: str, span: dict[str, str]) -> dict[str, Any]:
    """What the slowest-to-compute answers read: each query's plan, as PostgreSQL ran it."""
    found: dict[str, Any] = {}
    for metric, period in (("revenue", None), ("revenue", "week"), ("referral_rate", "week")):
        args = ["--site", slug, "--metric", metric]
        args += ["--start", span["start_date"], "--end", span["end_date"]]
        if period:
            args += ["--period", period]
        report = json.loads(goodword(env, "manage", "metrics_explain", *args))
        label = f"{metric} by {period}" if period else metric
        found[label] = [query["plan"] for query in report["queries"]]
    return found


def timed_get(url: str, key: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback http
        body = json.loads(response.read())
    elapsed = (time.perf_counter() - started) * 1000
    if not body.get("ok"):
        raise RuntimeError(f"{url}: {body}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--origins", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    recreate(args.database_url)
    try:
        with var_dir() as var:
            env = bench_env(args.database_url, var)
            goodword(env, "migrate")
            slug, key = create_site(env, "metrics")
            started = time.perf_counter()
            seed(args.database_url, slug, args.origins)
            seeded_s = time.perf_counter() - started
            started = time.perf_counter()
            goodword(env, "manage", "metrics_compact")
            compact_s = time.perf_counter() - started
            vacuum(args.database_url)
            today = datetime.now(UTC).date()
            span = {
                "site_slug": slug,
                "start_date": (today - timedelta(days=365)).isoformat(),
                "end_date": today.isoformat(),
            }
            asks = [(name, f"/api/v2/metrics/{name}", span) for name in METRICS]
            weekly = {**span, "segment_by[period]": "week"}
            asks += [
                (f"{name} by week", f"/api/v2/metrics/{name}/segmentize", weekly)
                for name in METRICS
            ]
            daily = {**span, "segment_by[period]": "day"}
            asks.append(("revenue by day", "/api/v2/metrics/revenue/segmentize", daily))
            results = {}
            with server(env, workers=1) as port:
                for label, path, params in asks:
                    url = f"http://127.0.0.1:{port}{path}?{urllib.parse.urlencode(params)}"
                    for _ in range(3):  # warm-up: connection, caches, the first-call costs
                        timed_get(url, key)
                    times = []
                    for _ in range(args.repeat):
                        if time.monotonic() > deadline:
                            raise TimeoutError("--timeout reached while measuring")
                        times.append(timed_get(url, key))
                    results[label] = {
                        "p50_ms": round(statistics.median(times), 1),
                        "p99_ms": round(percentile(times, 0.99), 1),
                        "requests": len(times),
                    }
            worst_p50 = max(r["p50_ms"] for r in results.values())
            worst_p99 = max(r["p99_ms"] for r in results.values())
            print(
                json.dumps(
                    {
                        "origins": args.origins,
                        "seed_s": round(seeded_s, 1),
                        "compact_s": round(compact_s, 1),
                        "target_ms": TARGET_MS,
                        "worst_p50_ms": worst_p50,
                        "worst_p99_ms": worst_p99,
                        "within_target": worst_p99 < TARGET_MS,
                        "requests": results,
                        "plans": plans(env, slug, span),
                    },
                    indent=2,
                )
            )
            return 0 if worst_p99 < TARGET_MS else 1
    finally:
        if not args.keep:
            drop(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
