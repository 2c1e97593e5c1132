"""Approving and rewarding 50,000 due referrals: referrals/s with one worker and with two, and
peak worker memory (must stay flat, not grow with the backlog).

    .venv/bin/python bench/approvals.py [--count 50000] [--workers 1,2] [--batch 500]
                                        [--timeout 600] [--no-pending-rewards] [--keep]

PostgreSQL only. Builds its own databases, `goodword_bench_approvals_seed` (the seeded state,
used as a template) and `goodword_bench_approvals` (a fresh copy of it for each run), and
drops both at the end (unless --keep). It touches no other database.

1. `goodword migrate`, then `goodword config apply` of a site file: approval `automatic` with
   delay 0, a campaign whose incentives are a `referrer` rebate ($10) and a `referred`
   discount coupon from a pool list.
2. Bulk SQL: --coupons pool codes (default --count), --count advocates and friends, the
   advocates' AffiliateMember origins and offers, the friends' Purchase origins, --count
   referrals in status `pending` with their Pending `referrer`/`referred` rewards (as referral
   creation leaves them; --no-pending-rewards leaves them out) and one due `resolve` job each.
3. For each --workers count: the run database is re-created from the seeded template, that many
   `goodword worker --batch B` processes start, and the time until every referral is approved is
   measured (polled every 0.5 s; the time includes the workers' start-up), bounded by
   --timeout. Each worker's VmRSS is sampled every 0.5 s from /proc: the peak, and the RSS when
   10%, 50% and 90% of the referrals were approved (flat = no growth with the backlog).
4. Checks, on the run's database: every referral approved, N referrer rewards Paid, N referred
   rewards Paid (those beyond the coupon pool "Waiting for coupon"), no coupon handed out
   twice, no `resolve` job left, no failed job. Exits non-zero if any check fails.

Only the tables and the CLI are used, not Goodword's Python internals. To measure a commit
while the working tree is being edited, export it and put it first on the path:

    git archive HEAD src | tar -x -C /tmp/gw-head
    PYTHONPATH=/tmp/gw-head/src .venv/bin/python bench/approvals.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, bench_env, var_dir

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench_approvals"
SLUG = "approvals"
SITE_FILE = """\
version: 1
site:
  slug: approvals
  name: Approvals bench
  currency: USD
  base_url: https://refer.example.com
fraud:
  approval:
    mode: automatic
    delay: 0
coupon_lists:
  - identifier: friend-10
    name: Friend 10% off
campaigns:
  - slug: invite
    name: Invite
    tags: [invite]
    joinable: [affiliate_member]
    destination_url: https://shop.example.com/
    incentives:
      - identifier: advocate-10
        reason: referrer
        type: rebate
        amount: 10
        description: $10 back for each friend
      - identifier: friend-10
        reason: referred
        type: discount_coupon
        coupon_list: friend-10
        amount: 10
        amount_type: percentage
        description: 10% off your next order
"""


def goodword(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "goodword"), *args], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"goodword {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def code_under_test(env: dict[str, str]) -> str:
    """Where the `goodword` package comes from, and the repository's commit."""
    where = subprocess.run(
        [sys.executable, "-c", "import goodword; print(goodword.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    repo = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(repo)]
    commit = subprocess.run([*git, "log", "-1", "--format=%h"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True, text=True)
    modified = ", src/ modified" if dirty.stdout.strip() else ""
    package = Path(where).parent
    if package.is_relative_to(repo):
        return f"goodword from this repository at {commit.stdout.strip()}{modified}"
    return f"goodword from {package} (the repository is at {commit.stdout.strip()})"


def connect(url: str, **kw: Any) -> Any:
    import psycopg

    return psycopg.connect(url, **kw)


def admin_url(url: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return f"{base}/postgres", name


def drop_database(url: str) -> None:
    admin, name = admin_url(url)
    with connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(url: str, template: str | None = None) -> None:
    admin, name = admin_url(url)
    with connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{admin_url(template)[1]}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')


def seed(url: str, count: int, coupons: int, pending_rewards: bool) -> None:
    """Everything after the site file, in bulk SQL."""
    started = time.perf_counter()
    with connect(url) as conn, conn.cursor() as cur:
        row = cur.execute(
            "SELECT s.id, c.id FROM sites_site s JOIN campaigns_campaign c ON c.site_id = s.id"
            " WHERE s.slug = %s AND c.slug = 'invite'",
            [SLUG],
        ).fetchone()
        assert row is not None, "site file not applied"
        site, campaign = row
        row = cur.execute(
            "SELECT id FROM campaigns_couponlist WHERE site_id = %s AND identifier = 'friend-10'",
            [site],
        ).fetchone()
        assert row is not None
        pool = row[0]
        p = {"site": site, "campaign": campaign, "pool": pool, "n": count, "coupons": coupons}
        cur.execute(
            "INSERT INTO campaigns_coupon (site_id, coupon_list_id, code, claimed_at, usages,"
            " used_at, created_at) SELECT %(site)s, %(pool)s, 'F10-' || lpad(g::text, 8, '0'),"
            " NULL, 0, NULL, now() - interval '3 days' FROM generate_series(1, %(coupons)s) g",
            p,
        )
        cur.execute(
            "INSERT INTO people_person (site_id, email, first_name, custom_properties,"
            " created_at, updated_at) SELECT %(site)s, kind || g || '@example.com', 'Bench', '{}',"
            " now() - interval '3 days', now() - interval '3 days'"
            " FROM generate_series(1, %(n)s) g, (VALUES ('adv'), ('friend')) k(kind)",
            p,
        )
        # Advocates join (AffiliateMember), friends buy (Purchase); both two days ago.
        cur.execute(
            "INSERT INTO origins_origin (site_id, person_id, type, order_number, email, subtotal,"
            " currency, coupon_codes, items, campaign_tags, ip_address, uuid, occurred_at,"
            " fingerprint, created_at) SELECT p.site_id, p.id,"
            " CASE WHEN p.email LIKE 'adv%%' THEN 'AffiliateMember' ELSE 'Purchase' END,"
            " CASE WHEN p.email LIKE 'adv%%' THEN NULL"
            " ELSE 'order-' || split_part(substr(p.email, 7), '@', 1) END,"
            " p.email, CASE WHEN p.email LIKE 'adv%%' THEN NULL ELSE 80 END, 'USD', '[]', '[]',"
            " '[\"invite\"]', ('10.' || (p.id / 65536 %% 256) || '.' || (p.id / 256 %% 256)"
            " || '.' || (p.id %% 256))::inet, gen_random_uuid(), now() - interval '2 days',"
            " md5(p.email), now() - interval '2 days'"
            " FROM people_person p WHERE p.site_id = %(site)s",
            p,
        )
        cur.execute(
            "INSERT INTO offers_advocateoffer (site_id, campaign_id, advocate_id, origin_id,"
            " short_url_code, advocate_ip, advocate_user_agent, advocate_visitor_uuid,"
            " created_at) SELECT o.site_id, %(campaign)s, o.person_id, o.id,"
            " 'a' || split_part(substr(o.email, 4), '@', 1), o.ip_address, 'Bench/1.0', o.uuid,"
            " o.created_at FROM origins_origin o"
            " WHERE o.site_id = %(site)s AND o.type = 'AffiliateMember'",
            p,
        )
        # Referral g: friend g's purchase through advocate g's offer.
        cur.execute(
            "INSERT INTO referrals_referral (site_id, campaign_id, offer_id, claim_id,"
            " advocate_id, friend_id, origin_id, track_method, status, subtotal,"
            " fraud_policies_status, fraud_details, fraud_evidence, qa_generated, created_at,"
            " updated_at) SELECT %(site)s, f.campaign_id, f.id, NULL, f.advocate_id,"
            " o.person_id, o.id, 'cookie', 'pending', o.subtotal, '{}', NULL, '[]', false,"
            " o.created_at, o.created_at FROM generate_series(1, %(n)s) g"
            " JOIN offers_advocateoffer f ON f.short_url_code = 'a' || g"
            " JOIN origins_origin o ON o.site_id = %(site)s AND o.type = 'Purchase'"
            " AND o.order_number = 'order-' || g ORDER BY g",
            p,
        )
        if pending_rewards:
            # What referral creation leaves: a Pending reward per incentive, terms copied in.
            cur.execute(
                "INSERT INTO rewards_reward (site_id, person_id, visitor_uuid, advocate_id,"
                " friend_id, reason, status, status_reason, campaign_id, incentive_id,"
                " incentive_identifier, incentive_type, amount, amount_type, currency,"
                " description, coupon_list_id, coupon_id, coupon_code, offer_id, referral_id,"
                " claim_id, share_id, created_at, updated_at, given_at, paid_at)"
                " SELECT r.site_id,"
                " CASE WHEN i.reason = 'referrer' THEN r.advocate_id ELSE r.friend_id END,"
                " CASE WHEN i.reason = 'referred' THEN o.uuid END, r.advocate_id, r.friend_id,"
                " i.reason, 'Pending', '', r.campaign_id, i.id, i.identifier,"
                " i.incentive_type, i.amount, i.amount_type, coalesce(i.currency, 'USD'),"
                " i.description, CASE WHEN i.incentive_type = 'discount_coupon'"
                " THEN i.coupon_list_id END, NULL, NULL, r.offer_id, r.id, NULL, NULL,"
                " r.created_at, r.created_at, NULL, NULL"
                " FROM referrals_referral r JOIN origins_origin o ON o.id = r.origin_id"
                " JOIN campaigns_incentive i ON i.campaign_id = r.campaign_id"
                " AND i.reason IN ('referrer', 'referred')"
                " WHERE r.site_id = %(site)s ORDER BY r.id, i.reason DESC",
                p,
            )
        cur.execute(
            "INSERT INTO worker_job (site_id, kind, ref_id, payload, run_after, claimed_until,"
            " claim_token, attempts, last_error, failed_at, created_at)"
            " SELECT r.site_id, 'resolve', r.id, '{}', r.created_at, NULL, NULL, 0, '', NULL,"
            " r.created_at FROM referrals_referral r WHERE r.site_id = %(site)s ORDER BY r.id",
            p,
        )
        made = cur.execute(
            "SELECT (SELECT count(*) FROM referrals_referral WHERE status = 'pending'),"
            " (SELECT count(*) FROM worker_job WHERE kind = 'resolve'),"
            " (SELECT count(*) FROM campaigns_coupon WHERE claimed_at IS NULL),"
            " (SELECT count(*) FROM rewards_reward)"
        ).fetchone()
        conn.commit()
    with connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    assert made is not None and made[0] == count and made[1] == count, made
    print(
        f"seeded {made[0]} pending referrals, {made[1]} resolve jobs, {made[2]} coupons,"
        f" {made[3]} rewards in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def run_workers(
    url: str, env: dict[str, str], count: int, workers: int, batch: int, timeout: float
) -> dict[str, Any]:
    """Start the workers, wait until every referral is approved (or the timeout), stop them."""
    procs = [
        subprocess.Popen(
            [str(BIN / "goodword"), "worker", "--batch", str(batch), "--poll", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    started = time.perf_counter()
    peaks = [0] * workers
    # (fraction approved, [rss kib per worker]) per sample
    samples: list[tuple[float, list[int | None]]] = []
    approved = 0
    first_at: float | None = None
    died = False
    try:
        with connect(url, autocommit=True) as conn:
            while True:
                row = conn.execute(
                    "SELECT count(*) FROM referrals_referral WHERE status = 'approved'"
                ).fetchone()
                approved = int(row[0]) if row else 0
                elapsed = time.perf_counter() - started
                if approved and first_at is None:
                    first_at = elapsed
                rss = [rss_kib(p.pid) for p in procs]
                for i, value in enumerate(rss):
                    if value is not None:
                        peaks[i] = max(peaks[i], value)
                samples.append((approved / count, rss))
                if approved >= count or elapsed > timeout:
                    break
                if any(p.poll() is not None for p in procs):
                    died = True
                    break
                time.sleep(0.5)
            seconds = time.perf_counter() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        errors = []
        for p in procs:
            try:
                _, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            if p.returncode not in (0, -15):
                errors.append(f"worker exited {p.returncode}: {err.strip()[-2000:]}")
    at: dict[str, list[float | None]] = {}
    for mark in (0.1, 0.5, 0.9):
        hit = next((rss for frac, rss in samples if frac >= mark), None)
        at[f"{int(mark * 100)}%"] = [mib(v) for v in hit] if hit else [None] * workers
    return {
        "workers": workers,
        "approved": approved,
        "seconds": round(seconds, 2),
        "first_approval_after_s": round(first_at, 2) if first_at is not None else None,
        "referrals_per_second": round(approved / seconds, 1) if seconds else None,
        "timed_out": approved < count and not died,
        "worker_died": died,
        "worker_errors": errors,
        "peak_rss_mib": [mib(v) for v in peaks],
        "rss_mib_at_progress": at,
        "samples": len(samples),
    }


def verify(url: str, count: int, coupons: int) -> dict[str, Any]:
    with connect(url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        referrals = one("SELECT count(*) FROM referrals_referral")
        approved = one("SELECT count(*) FROM referrals_referral WHERE status = 'approved'")
        rewards = {
            (reason, status): n
            for reason, status, n in conn.execute(
                "SELECT reason, status, count(*) FROM rewards_reward GROUP BY 1, 2"
            ).fetchall()
        }
        with_coupon, distinct_coupons = conn.execute(
            "SELECT count(coupon_id), count(DISTINCT coupon_id) FROM rewards_reward"
        ).fetchone()
        claimed = one("SELECT count(*) FROM campaigns_coupon WHERE claimed_at IS NOT NULL")
        code_mismatch = one(
            "SELECT count(*) FROM rewards_reward w JOIN campaigns_coupon c ON c.id = w.coupon_id"
            " WHERE w.coupon_code IS DISTINCT FROM c.code"
        )
        resolve_left = one("SELECT count(*) FROM worker_job WHERE kind = 'resolve'")
        failed = one("SELECT count(*) FROM worker_job WHERE failed_at IS NOT NULL")
        errors = one("SELECT count(*) FROM worker_job WHERE last_error <> ''")
        events = one("SELECT count(*) FROM referrals_referralevent WHERE to_status = 'approved'")
    paid_referred = min(count, coupons)
    referred_waiting = count - paid_referred
    checks = {
        f"referrals approved == {count}": approved == count == referrals,
        f"referrer rewards Paid == {count}": rewards.get(("referrer", "Paid"), 0) == count,
        f"referred rewards Paid == {paid_referred}": rewards.get(("referred", "Paid"), 0)
        == paid_referred,
        f"referred rewards Waiting for coupon == {referred_waiting}": rewards.get(
            ("referred", "Waiting for coupon"), 0
        )
        == referred_waiting,
        "no other reward status": sum(rewards.values()) == 2 * count,
        # Each claimed code went to exactly one reward (their number is checked above).
        "no coupon handed out twice": with_coupon == distinct_coupons == claimed,
        "reward codes match coupons": code_mismatch == 0,
        "no resolve job left": resolve_left == 0,
        "no failed or erroring job": failed == 0 and errors == 0,
        f"approval events == {count}": events == count,
    }
    return {
        "checks": checks,
        "ok": all(checks.values()),
        "rewards": {f"{k[0]} {k[1]}": v for k, v in sorted(rewards.items())},
        "coupons_claimed": claimed,
        "rewards_with_coupon": with_coupon,
        "distinct_coupons": distinct_coupons,
        "resolve_jobs_left": resolve_left,
        "failed_jobs": failed,
    }


def fmt(values: list[float | None]) -> str:
    return " / ".join("-" if v is None else f"{v:.0f}" for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--coupons", type=int, default=None, help="pool codes (default --count)")
    parser.add_argument("--workers", default="1,2", help="worker process counts, e.g. 1,2")
    parser.add_argument("--batch", type=int, default=500, help="`goodword worker --batch`")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument(
        "--no-pending-rewards",
        action="store_true",
        help="seed no Pending rewards (the approval then creates them)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_APPROVALS_DATABASE_URL", DEFAULT_DB)
    )
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("PostgreSQL only")
    coupons = args.count if args.coupons is None else args.coupons
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    url = args.database_url
    template = f"{url}_seed"

    results: list[dict[str, Any]] = []
    source = code_under_test(dict(os.environ))
    print(source, file=sys.stderr)
    try:
        with var_dir() as var:
            create_database(template)
            env = bench_env(template, var)
            goodword(env, "migrate", "--verbosity", "0")
            site_file = Path(var) / "site.yml"
            site_file.write_text(SITE_FILE)
            goodword(env, "config", "apply", str(site_file))
            seed(template, args.count, coupons, not args.no_pending_rewards)
            for workers in counts:
                create_database(url, template=template)
                result = run_workers(
                    url, bench_env(url, var), args.count, workers, args.batch, args.timeout
                )
                result["verify"] = verify(url, args.count, coupons)
                results.append(result)
                print(json.dumps(result), file=sys.stderr)
    finally:
        if not args.keep:
            drop_database(url)
            drop_database(template)

    print(
        f"\nApproving and rewarding {args.count} due referrals (`goodword worker --batch"
        f" {args.batch}`, {os.cpu_count()} CPUs; {source}):\n"
    )
    print(
        "| workers | referrals | seconds | referrals/s | peak RSS MiB per worker"
        " | RSS MiB at 10% / 50% / 90% | checks ok |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        progress = "; ".join(fmt(v) for v in r["rss_mib_at_progress"].values())
        note = " (timed out)" if r["timed_out"] else " (worker died)" if r["worker_died"] else ""
        print(
            f"| {r['workers']} | {r['approved']}{note} | {r['seconds']} | "
            f"{r['referrals_per_second']} | {fmt(r['peak_rss_mib'])} | {progress} | "
            f"{'yes' if r['verify']['ok'] else 'NO'} |"
        )
    print()
    ok = True
    for r in results:
        print(f"checks, {r['workers']} worker(s):")
        for name, passed in r["verify"]["checks"].items():
            print(f"  [{'ok' if passed else 'FAIL'}] {name}")
        print(f"  rewards: {json.dumps(r['verify']['rewards'])}")
        for error in r["worker_errors"]:
            print(f"  {error}")
        ok = ok and r["verify"]["ok"] and not r["worker_errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
