"""A referral's `referrer` and `referred` rewards follow its status (ENGINE.md, "Incentives and
rewards"): Pending while it waits, paid on approval, voided with it, blocked with it, and
blocked with the criteria's reason when the incentive's criteria are not met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goodword.campaigns.program import forget_program
from goodword.coupons.models import Coupon
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward
from tests.conftest import NOW
from tests.referrals.program import build_program, buy, put_status
from tests.rewards.program import (
    advocate_with_friend,
    manual_approval,
    pool,
    referred_purchase,
    reward_of,
    rewards_of,
    set_incentive,
    static_list,
)

pytestmark = pytest.mark.django_db

ADVOCATE = "advocate@example.com"
FRIEND = "friend@example.org"


@pytest.fixture
def campaign(api_site, frozen_now):
    """The invite campaign: a $10 rebate for the referrer, a click coupon for friends."""
    return build_program(api_site.site)


@pytest.fixture
def uuid(api, api_site, campaign) -> str:
    """The advocate joined and a friend clicked: the friend's visitor uuid."""
    return advocate_with_friend(api, api_site.slug)


def approve(api, slug: str, order: str) -> dict:
    response = put_status(api, slug, order, "approved")
    assert response.status_code == 200, response.content
    return response.json()["result"]["referral"]


# ---- Pending while the referral waits ---------------------------------------------------------


def test_a_pending_referral_has_an_unpaid_referrer_reward_and_no_referred_one(api, api_site, uuid):
    # when a friend's purchase is referred and waits for approval
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # then the advocate has one Pending referrer reward, the terms copied from the incentive
    assert referral.status == "pending"
    reward = reward_of(referral)
    assert (reward.status, reward.status_reason) == ("Pending", "")
    assert reward.person_id == referral.advocate_id
    terms = (reward.incentive_type, str(reward.amount), reward.currency)
    assert terms == ("rebate", "10.00", "USD")
    assert reward.paid_at is None and reward.given_at is None
    # and the campaign has no referred incentive, so the friend has no reward for it
    assert rewards_of(referral).keys() == {"referrer"}
    # and the wire calls it Unpaid
    listed = api.get(f"/api/v2/people/{ADVOCATE}/rewards", {"site_slug": api_site.slug})
    assert [(r["reason"], r["status"]) for r in listed.json()["result"]["rewards"]] == [
        ("referrer", "Unpaid")
    ]


def test_a_referred_incentive_gives_the_friend_a_pending_reward_too(api, api_site, campaign, uuid):
    # given the campaign also rewards the friend
    set_incentive(campaign, "referred", amount="5")

    # when the friend's purchase is referred
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # then the friend holds a Pending referred reward, found by the purchase's visitor uuid
    reward = reward_of(referral, "referred")
    assert (reward.status, reward.person_id) == ("Pending", referral.friend_id)
    assert str(reward.visitor_uuid) == uuid
    assert rewards_of(referral) == {"referrer": ("Pending", ""), "referred": ("Pending", "")}


# ---- approval pays ----------------------------------------------------------------------------


def test_approving_pays_a_rebate(api, api_site, uuid, time_machine):
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    later = NOW + timedelta(hours=2)
    time_machine.move_to(later, tick=False)

    # when the merchant approves the referral
    body = approve(api, api_site.slug, "P-1")

    # then the rebate is paid at that moment and the answer shows it
    reward = reward_of(referral)
    assert (reward.status, reward.paid_at, reward.given_at) == ("Paid", later, later)
    assert reward.coupon_code is None
    assert body["ad_rewarded"] is True
    assert [(r["id"], r["status"]) for r in body["advocate_rewards"]] == [(reward.pk, "Paid")]


def test_approving_pays_a_pool_coupon_and_claims_that_code(api, api_site, campaign, uuid):
    # given the referrer is paid a single-use code from a pool of two
    advocate_pool = pool(api_site.site, "advocate-pool", ("ADV-1", "ADV-2"))
    set_incentive(campaign, "referrer", incentive_type="discount_coupon", coupon_list=advocate_pool)
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    assert reward_of(referral).coupon_code is None  # no code is taken before approval

    # when the referral is approved
    body = approve(api, api_site.slug, "P-1")

    # then the reward is paid with the pool's first code, which is now claimed; the other is not
    reward = reward_of(referral)
    first = Coupon.objects.get(code="ADV-1")
    assert (reward.status, reward.coupon_code, reward.coupon_id) == ("Paid", "ADV-1", first.pk)
    assert first.claimed_at == NOW
    assert Coupon.objects.get(code="ADV-2").claimed_at is None
    wire = body["advocate_rewards"][0]
    assert (wire["coupon_code"], wire["coupon"]["code"], wire["coupon"]["single_use"]) == (
        "ADV-1",
        "ADV-1",
        True,
    )
    assert wire["incentive_description"] == "single use coupon for $10 off"


def test_approving_pays_a_static_code(api, api_site, campaign, uuid):
    # given the referrer is paid one static code shared by everyone
    shared = static_list(api_site.site, "advocate-static", "THANKS10")
    set_incentive(campaign, "referrer", incentive_type="discount_coupon", coupon_list=shared)
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # when it is approved
    body = approve(api, api_site.slug, "P-1")

    # then the reward carries the static code and no pool coupon
    reward = reward_of(referral)
    assert (reward.status, reward.coupon_code, reward.coupon_id) == ("Paid", "THANKS10", None)
    wire = body["advocate_rewards"][0]
    assert wire["incentive_description"] == 'shared coupon "THANKS10" for $10 off'
    assert wire["coupon"]["single_use"] is False


def test_approving_pays_the_friends_referred_reward_too(api, api_site, campaign, uuid):
    set_incentive(campaign, "referred", amount="5")
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    body = approve(api, api_site.slug, "P-1")

    assert rewards_of(referral) == {"referrer": ("Paid", ""), "referred": ("Paid", "")}
    assert [r["reason"] for r in body["friend_rewards"]] == ["referred"]
    assert [r["reason"] for r in body["advocate_rewards"]] == ["referrer"]


# ---- voided and blocked -----------------------------------------------------------------------


def test_voiding_voids_the_pending_rewards(api, api_site, campaign, uuid):
    set_incentive(campaign, "referred", amount="5")
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    response = put_status(api, api_site.slug, "P-1", "voided")

    assert response.status_code == 200, response.content
    assert rewards_of(referral) == {
        "referrer": ("Voided", "Referral voided"),
        "referred": ("Voided", "Referral voided"),
    }
    assert response.json()["result"]["referral"]["ad_rewarded"] is False


def test_a_referral_blocked_by_a_policy_has_blocked_rewards(api, api_site, uuid):
    # when the "friend" buys under the advocate's own email (self-referral, blocked by default)
    referral = referred_purchase(api, api_site.slug, "SELF-1", ADVOCATE, uuid)

    # then the referral and its reward are blocked, the reward saying why
    assert referral.status == "blocked"
    assert rewards_of(referral) == {"referrer": ("Blocked", "Referral blocked: Self Referral")}


def test_blocking_a_pending_referral_blocks_its_reward_and_unblocking_restores_it(
    api, api_site, uuid
):
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # when the merchant blocks it
    assert put_status(api, api_site.slug, "P-1", "blocked").status_code == 200
    status, reason = rewards_of(referral)["referrer"]
    assert status == "Blocked" and reason.startswith("Referral blocked")

    # and unblocks it again
    assert put_status(api, api_site.slug, "P-1", "pending").status_code == 200

    # then the reward is Pending again, no reason left, and approval pays it
    assert rewards_of(referral) == {"referrer": ("Pending", "")}
    approve(api, api_site.slug, "P-1")
    assert rewards_of(referral) == {"referrer": ("Paid", "")}


def test_a_blocked_reward_is_never_paid_when_an_approval_is_refused(api, api_site, uuid):
    referral = referred_purchase(api, api_site.slug, "SELF-1", ADVOCATE, uuid)

    # a blocked referral cannot be approved directly
    response = put_status(api, api_site.slug, "SELF-1", "approved")

    assert response.status_code == 400
    assert rewards_of(referral)["referrer"][0] == "Blocked"
    assert not Reward.objects.filter(status="Paid", reason="referrer").exists()


# ---- criteria ---------------------------------------------------------------------------------


def test_a_subtotal_below_the_minimum_blocks_the_reward_before_and_after_approval(
    api, api_site, campaign, uuid
):
    set_incentive(campaign, "referrer", criteria={"subtotal_min": "100"})
    why = "Criteria not met: subtotal 80.00 is below the minimum 100"

    # when a friend buys for 80
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # then the reward is blocked with the criterion's reason, and approval does not pay it
    assert rewards_of(referral) == {"referrer": ("Blocked", why)}
    approve(api, api_site.slug, "P-1")
    assert rewards_of(referral) == {"referrer": ("Blocked", why)}


def test_a_subtotal_at_the_minimum_is_paid(api, api_site, campaign, uuid):
    set_incentive(campaign, "referrer", criteria={"subtotal_min": "80"})
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    approve(api, api_site.slug, "P-1")

    assert rewards_of(referral) == {"referrer": ("Paid", "")}


def test_a_friend_who_bought_before_does_not_qualify_as_a_new_customer(
    api, api_site, campaign, uuid, time_machine
):
    set_incentive(campaign, "referrer", criteria={"new_customer": True})
    # given the friend bought a day earlier, with no referral
    time_machine.move_to(NOW - timedelta(days=1), tick=False)
    buy(api, api_site.slug, "EARLIER-1", FRIEND)
    time_machine.move_to(NOW, tick=False)

    # when the friend's next purchase is referred
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    # then the referrer reward is blocked
    assert rewards_of(referral) == {
        "referrer": (
            "Blocked",
            "Criteria not met: the friend has bought before, and only new customers qualify",
        )
    }


def test_a_friends_first_purchase_qualifies_as_a_new_customer(api, api_site, campaign, uuid):
    set_incentive(campaign, "referrer", criteria={"new_customer": True})
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)

    approve(api, api_site.slug, "P-1")

    assert rewards_of(referral) == {"referrer": ("Paid", "")}


def test_once_per_friend_pays_the_second_referral_of_the_same_friend_nothing(
    api, api_site, campaign, uuid
):
    set_incentive(campaign, "referrer", criteria={"reward_uniqueness": "once_per_friend"})
    first = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    second = referred_purchase(api, api_site.slug, "P-2", FRIEND, uuid)
    approve(api, api_site.slug, "P-1")

    # when the same friend's second referral is approved
    approve(api, api_site.slug, "P-2")

    # then only the first is paid
    assert rewards_of(first) == {"referrer": ("Paid", "")}
    assert rewards_of(second) == {
        "referrer": (
            "Blocked",
            "Criteria not met: the advocate already has this reward for this friend "
            "(once per friend)",
        )
    }


def test_once_per_friend_still_pays_another_friend(api, api_site, campaign, uuid):
    set_incentive(campaign, "referrer", criteria={"reward_uniqueness": "once_per_friend"})
    first = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    other = referred_purchase(api, api_site.slug, "P-2", "other.friend@example.org", uuid)

    approve(api, api_site.slug, "P-1")
    approve(api, api_site.slug, "P-2")

    assert rewards_of(first) == rewards_of(other) == {"referrer": ("Paid", "")}


def test_a_total_cap_blocks_the_reward_past_it(api, api_site, campaign, uuid):
    set_incentive(campaign, "referrer", criteria={"cap_total": 1})
    first = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    second = referred_purchase(api, api_site.slug, "P-2", "other.friend@example.org", uuid)
    # both wait with a Pending reward: the cap is decided on approval
    assert rewards_of(second) == {"referrer": ("Pending", "")}

    approve(api, api_site.slug, "P-1")
    approve(api, api_site.slug, "P-2")

    assert rewards_of(first) == {"referrer": ("Paid", "")}
    assert rewards_of(second) == {
        "referrer": (
            "Blocked",
            "Cap reached: the advocate already has 1 such reward, the most allowed is 1",
        )
    }


def test_a_monthly_cap_counts_rewards_given_in_the_current_month(
    api, api_site, campaign, uuid, time_machine
):
    set_incentive(campaign, "referrer", criteria={"cap_per_month": 1})
    manual_approval(api_site.site)  # the automatic approval must not beat the clock moves
    referrals = [
        referred_purchase(api, api_site.slug, f"P-{i}", f"friend{i}@example.org", uuid)
        for i in range(3)
    ]

    # when one is approved late on July 31, another half an hour later, a third on August 1
    for order, at in (
        ("P-0", datetime(2026, 7, 31, 23, 0, tzinfo=UTC)),
        ("P-1", datetime(2026, 7, 31, 23, 30, tzinfo=UTC)),
        ("P-2", datetime(2026, 8, 1, 0, 30, tzinfo=UTC)),
    ):
        time_machine.move_to(at, tick=False)
        approve(api, api_site.slug, order)

    # then July pays one, and August starts counting afresh
    assert [rewards_of(r)["referrer"][0] for r in referrals] == ["Paid", "Blocked", "Paid"]
    assert rewards_of(referrals[1])["referrer"][1] == (
        "Cap reached: the advocate already has 1 such reward this month (UTC), "
        "the most allowed is 1"
    )


def test_a_force_manually_generated_referral_skips_the_criteria(api, api_site, campaign, uuid):
    # Staff make these; no API creates one, so the referral is marked as staff would leave it.
    set_incentive(campaign, "referrer", criteria={"subtotal_min": "100"})
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    assert rewards_of(referral)["referrer"][0] == "Blocked"
    Referral.objects.filter(pk=referral.pk).update(track_method="force_manually_generated")

    approve(api, api_site.slug, "P-1")

    assert rewards_of(referral) == {"referrer": ("Paid", "")}


def test_a_recipient_blocklisted_before_approval_is_not_paid(api, api_site, uuid):
    referral = referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    # given the advocate is put on the blocklist while the referral waits
    api_site.site.blocklist.create(value=ADVOCATE)
    forget_program(api_site.site.id)

    approve(api, api_site.slug, "P-1")

    assert rewards_of(referral) == {"referrer": ("Blocked", "Person blocklisted")}
