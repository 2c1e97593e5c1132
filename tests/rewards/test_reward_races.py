"""Exactly once, with real processes: `goodword worker` processes resolving referrals while API
clients approve the same referrals over HTTP, and a worker killed with SIGKILL mid-run, leave
one referrer reward per referral and hand every pool code out at most once (ENGINE.md,
"Incentives and rewards"; DESIGN.md invariant 2 and house style 6)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.referrals.models import Referral, ReferralEvent
from goodword.rewards.models import Reward
from goodword.rewards.services import coupons_import_and_pay_waiting
from goodword.sites.models import FraudSettings
from goodword.worker.models import Job
from goodword.worker.queue import LEASE
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program
from tests.rewards.program import advocate_with_friend, pool, set_incentive
from tests.worker.support import WorkerProcess, friends_buy, worker_starter

pytestmark = pytest.mark.django_db(transaction=True)

POLL = ("--poll", "0.05")


@pytest.fixture
def shop(transactional_db) -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    yield from worker_starter(tmp_path)


def pending_referrals(shop: ApiSite, count: int, codes: int) -> CouponList:
    """`count` pending referrals of one advocate whose referrer reward is a code from a pool of
    `codes` codes; their `resolve` jobs wait for the approval delay (24 h)."""
    campaign = build_program(shop.site)
    advocate_pool = pool(shop.site, "advocate-pool", tuple(f"ADV-{i:03}" for i in range(codes)))
    set_incentive(campaign, "referrer", incentive_type="discount_coupon", coupon_list=advocate_pool)
    api = ApiClient(shop.key)  # attribution runs here, after each purchase
    uuid = advocate_with_friend(api, shop.slug)
    friends_buy(api, shop.slug, uuid, count, prefix="R")
    assert Referral.objects.filter(status="pending").count() == count
    assert Job.objects.filter(kind="resolve", run_after__gt=now()).count() == count
    return advocate_pool


def resolve_now(shop: ApiSite) -> None:
    """The site approves at once: every waiting `resolve` job is due."""
    FraudSettings.objects.filter(site=shop.site).update(approval_delay_seconds=0)
    forget_program(shop.site.id)
    Job.objects.filter(kind="resolve").update(run_after=now() - timedelta(seconds=1))


def resolve_jobs_left() -> int:
    return Job.objects.filter(kind="resolve").count()


def assert_each_referral_rewarded_once(count: int, advocate_pool: CouponList) -> list[Reward]:
    """Every referral approved once, one referrer reward each, each pool code held by at most
    one reward and claimed only if a reward holds it. Returns the rewards."""
    assert Referral.objects.filter(status="approved").count() == count
    approvals = ReferralEvent.objects.filter(to_status="approved")
    assert approvals.count() == count
    assert approvals.values("referral_id").distinct().count() == count
    rewards = list(Reward.objects.filter(reason="referrer"))
    assert len(rewards) == count
    assert len({r.referral_id for r in rewards}) == count
    held = [r.coupon_id for r in rewards if r.coupon_id is not None]
    assert len(held) == len(set(held))
    claimed = Coupon.objects.filter(coupon_list=advocate_pool, claimed_at__isnull=False)
    assert set(claimed.values_list("id", flat=True)) == set(held)
    for reward in rewards:
        if reward.status == "Paid":
            assert reward.coupon_id is not None and reward.coupon.code == reward.coupon_code
        else:
            assert (reward.status, reward.coupon_id) == ("Waiting for coupon", None)
    assert not Job.objects.filter(failed_at__isnull=False).exists()
    return rewards


def statuses(rewards: list[Reward]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reward in rewards:
        counts[reward.status] = counts.get(reward.status, 0) + 1
    return counts


@postgres_only
def test_workers_and_api_clients_approving_the_same_referrals_reward_each_once(
    shop, start_worker, live_server
):
    # given 40 pending referrals and 30 codes for their referrer rewards, and two workers
    count, codes = 40, 30
    advocate_pool = pending_referrals(shop, count, codes)
    workers = [start_worker(f"w{i}", *POLL, "--batch", "5").started() for i in range(2)]
    orders = [r.origin.order_number for r in Referral.objects.select_related("origin")]

    # when the approval delay drops to zero, so the workers resolve every referral, while two
    # API clients per referral approve it over HTTP at the same time
    def approve(order: str) -> int:
        with requests.Session() as session:
            response = session.put(
                f"{live_server.url}/api/v2/origins/{order}/referral",
                json={"site_slug": shop.slug, "data": {"status": "approved"}},
                headers={"Authorization": f"Bearer {shop.key}"},
                timeout=60,
            )
            return response.status_code

    resolve_now(shop)
    with ThreadPoolExecutor(max_workers=16) as clients:
        answers = list(clients.map(approve, orders * 2))
    workers[0].wait_for("no resolve job left", lambda: resolve_jobs_left() == 0, timeout=30)

    # then every call succeeded (a second approval is a no-op success)
    assert answers == [200] * (2 * count)
    # and every referral has one referrer reward: 30 paid with distinct codes, 10 waiting
    rewards = assert_each_referral_rewarded_once(count, advocate_pool)
    assert statuses(rewards) == {"Paid": codes, "Waiting for coupon": count - codes}
    for worker in workers:
        assert not any(e.get("failed") for e in worker.events("batch")), worker.text()


def test_a_worker_killed_mid_run_loses_and_duplicates_no_reward_or_code(shop, start_worker):
    # given 100 pending referrals, 60 codes, and a worker resolving them 10 at a time
    count, codes, batch = 100, 60, 10
    advocate_pool = pending_referrals(shop, count, codes)
    first = start_worker("killed", *POLL, "--batch", str(batch))
    resolve_now(shop)

    # when it is killed (SIGKILL: no cleanup) once it has approved some referrals
    def mid_run() -> bool:
        return 0 < Referral.objects.filter(status="approved").count() < count - batch

    first.wait_for("some referrals approved", mid_run, timeout=30)
    first.kill()
    approved_by_first = Referral.objects.filter(status="approved").count()
    assert 0 < approved_by_first < count
    # what it approved is rewarded, nothing else is: its open transaction died with it
    assert Reward.objects.filter(reason="referrer").exclude(status="Pending").count() == (
        approved_by_first
    )

    # and its leases run out (moved back: another process's clock cannot be frozen, LEASE is
    # 60 s) and a second worker takes over
    Job.objects.filter(claimed_until__gt=now()).update(
        claimed_until=now() - LEASE - timedelta(seconds=1)
    )
    second = start_worker("second", *POLL, "--batch", str(batch)).started()
    second.wait_for("no resolve job left", lambda: resolve_jobs_left() == 0, timeout=30)

    # then each referral is rewarded once: the first 60 codes paid, 40 rewards waiting
    rewards = assert_each_referral_rewarded_once(count, advocate_pool)
    assert statuses(rewards) == {"Paid": codes, "Waiting for coupon": count - codes}

    # and when the missing codes are imported the worker pays exactly the waiting rewards
    coupons_import_and_pay_waiting(
        site=shop.site,
        coupon_list=advocate_pool,
        codes=[f"MORE-{i:03}" for i in range(count - codes)],
    )
    second.wait_for(
        "no reward waiting",
        lambda: not Reward.objects.filter(status="Waiting for coupon").exists(),
        timeout=30,
    )
    rewards = assert_each_referral_rewarded_once(count, advocate_pool)
    assert statuses(rewards) == {"Paid": count}
    assert not Coupon.objects.filter(coupon_list=advocate_pool, claimed_at__isnull=True).exists()
    assert second.terminate() == 0
