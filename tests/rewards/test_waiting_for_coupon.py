"""Rewards that find their coupon pool dry wait ("Waiting for coupon") and are paid by the worker
once codes are imported: oldest first, each code once, only as many as there are codes."""

from __future__ import annotations

import pytest

from goodword.cli import main
from goodword.coupons.models import Coupon
from goodword.rewards.models import Reward
from goodword.rewards.services import PAY_WAITING, coupons_import_and_pay_waiting
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.referrals.program import build_program, put_status
from tests.rewards.program import advocate_with_friend, pool, referred_purchase, set_incentive

pytestmark = pytest.mark.django_db

DRY = "The coupon list has no codes left"


@pytest.fixture
def dry_pool(api_site, frozen_now):
    """The referrer is paid a code from a pool that has none yet."""
    campaign = build_program(api_site.site)
    advocate_pool = pool(api_site.site, "advocate-pool")
    set_incentive(campaign, "referrer", incentive_type="discount_coupon", coupon_list=advocate_pool)
    return advocate_pool


def approved_referrals(api, slug: str, count: int) -> list[int]:
    """`count` referred purchases approved in reverse order of purchase: their rewards' ids,
    oldest first."""
    uuid = advocate_with_friend(api, slug)
    referrals = [
        referred_purchase(api, slug, f"P-{i}", f"friend{i}@example.org", uuid) for i in range(count)
    ]
    for referral in reversed(referrals):
        response = put_status(api, slug, referral.origin.order_number, "approved")
        assert response.status_code == 200, response.content
    return [Reward.objects.get(referral=r, reason="referrer").pk for r in referrals]


def states(ids: list[int]) -> list[tuple[str, str | None]]:
    by_id = {r.pk: r for r in Reward.objects.filter(pk__in=ids)}
    return [(by_id[i].status, by_id[i].coupon_code) for i in ids]


def test_approval_with_a_dry_pool_leaves_the_reward_waiting_for_a_coupon(api, api_site, dry_pool):
    # when a referral is approved while the pool is empty
    (reward_id,) = approved_referrals(api, api_site.slug, 1)

    # then its reward waits, counted as given but not paid, and says why
    reward = Reward.objects.get(pk=reward_id)
    assert (reward.status, reward.status_reason) == ("Waiting for coupon", DRY)
    assert reward.coupon_id is None and reward.paid_at is None
    assert reward.given_at is not None
    listed = api.get("/api/v2/people/advocate@example.com/rewards", {"site_slug": api_site.slug})
    assert [r["status"] for r in listed.json()["result"]["rewards"]] == ["Waiting for coupon"]


def test_an_import_has_the_worker_pay_waiting_rewards_oldest_first_with_distinct_codes(
    api, api_site, dry_pool
):
    ids = approved_referrals(api, api_site.slug, 3)
    assert states(ids) == [("Waiting for coupon", None)] * 3

    # when three codes are imported
    report = coupons_import_and_pay_waiting(
        site=api_site.site, coupon_list=dry_pool, codes=["N-1", "N-2", "N-3"]
    )

    # then a job is queued for the list and nothing is paid before it runs
    assert report.imported == 3
    assert Job.objects.filter(kind=PAY_WAITING, ref_id=dry_pool.pk).count() == 1
    assert states(ids) == [("Waiting for coupon", None)] * 3

    # and when the worker runs it, the oldest reward gets the first code, each code once
    drain()
    assert states(ids) == [("Paid", "N-1"), ("Paid", "N-2"), ("Paid", "N-3")]
    rewards = Reward.objects.filter(pk__in=ids)
    assert {r.status_reason for r in rewards} == {""}
    assert sorted(r.coupon.code for r in rewards) == ["N-1", "N-2", "N-3"]
    assert Coupon.objects.filter(coupon_list=dry_pool, claimed_at__isnull=True).count() == 0
    assert not Job.objects.filter(kind=PAY_WAITING).exists()


def test_a_partial_import_pays_only_as_many_rewards_as_codes(api, api_site, dry_pool):
    ids = approved_referrals(api, api_site.slug, 3)

    # when two codes arrive for three waiting rewards
    coupons_import_and_pay_waiting(site=api_site.site, coupon_list=dry_pool, codes=["N-1", "N-2"])
    drain()

    # then the two oldest are paid and the newest still waits
    assert states(ids) == [("Paid", "N-1"), ("Paid", "N-2"), ("Waiting for coupon", None)]
    assert Reward.objects.get(pk=ids[2]).status_reason == DRY

    # and the next import pays it
    coupons_import_and_pay_waiting(site=api_site.site, coupon_list=dry_pool, codes=["N-3"])
    drain()
    assert states(ids) == [("Paid", "N-1"), ("Paid", "N-2"), ("Paid", "N-3")]


def test_the_cli_import_pays_waiting_rewards_through_the_worker(
    api, api_site, dry_pool, tmp_path, capsys
):
    ids = approved_referrals(api, api_site.slug, 2)
    path = tmp_path / "codes.csv"
    path.write_text("code\nCLI-1\nCLI-2\n")

    # when the operator imports a file with `goodword coupons import`
    code = main(["coupons", "import", api_site.slug, "advocate-pool", str(path)])

    # then, once the worker has run, both waiting rewards are paid
    assert code == 0, capsys.readouterr().err
    drain()
    assert states(ids) == [("Paid", "CLI-1"), ("Paid", "CLI-2")]


def test_an_import_with_nothing_waiting_queues_no_job(api_site, dry_pool):
    coupons_import_and_pay_waiting(site=api_site.site, coupon_list=dry_pool, codes=["N-1"])

    assert not Job.objects.filter(kind=PAY_WAITING).exists()
    assert Coupon.objects.get(code="N-1").claimed_at is None


def test_a_waiting_reward_counts_against_a_cap(api, api_site, dry_pool):
    # given a cap of one reward per advocate
    set_incentive(
        dry_pool.incentives.get().campaign,
        "referrer",
        incentive_type="discount_coupon",
        coupon_list=dry_pool,
        criteria={"cap_total": 1},
    )

    # when two referrals are approved while the pool is dry
    first, second = approved_referrals(api, api_site.slug, 2)

    # then one waits for its code (approved first: the newer purchase) and the other is capped
    assert states([second]) == [("Waiting for coupon", None)]
    assert Reward.objects.get(pk=first).status == "Blocked"
