"""Rewards given at once for what people do with an offer: `click` (the friend, once per claim),
`shared` (the advocate, once per offer) and `signup` (the advocate, when the offer is made)."""

from __future__ import annotations

import pytest

from goodword.coupons.models import Coupon
from goodword.rewards.models import Reward
from goodword.rewards.services import coupons_import_and_pay_waiting
from goodword.worker.loop import drain
from tests.referrals.program import (
    build_program,
    buy,
    click,
    friend_clicks,
    join,
    landing,
    put_status,
)
from tests.rewards.program import pool, set_incentive

pytestmark = pytest.mark.django_db

ADVOCATE = "advocate@example.com"


@pytest.fixture
def campaign(api_site, frozen_now):
    """Friends get a single-use code from FRIEND-1..3 when they click."""
    return build_program(api_site.site)


@pytest.fixture
def offer(api, api_site, campaign) -> dict:
    return join(api, api_site.slug)["offer"]


def share(api, slug: str, code: str, channel: str) -> dict:
    response = api.post(
        f"/api/v2/offers/{code}/shares/social", {"site_slug": slug, "channel": channel}
    )
    assert response.status_code == 200, response.content
    return response.json()["result"]


def rewards(reason: str) -> list[Reward]:
    return list(Reward.objects.filter(reason=reason).order_by("id"))


# ---- click ------------------------------------------------------------------------------------


def test_a_friends_click_pays_a_click_reward_with_a_pool_code(offer):
    # when a friend follows the claim link
    _, response = click(offer["claim_url"])

    # then the landing page carries the code, and the friend's visitor holds a Paid reward for it
    query = landing(response)
    assert query["tkbl_coupon"] == ["FRIEND-1"]
    (reward,) = rewards("click")
    assert (reward.status, reward.coupon_code) == ("Paid", "FRIEND-1")
    assert reward.coupon == Coupon.objects.get(code="FRIEND-1")
    assert str(reward.visitor_uuid) == query["tkbl_cvuuid"][0]
    assert reward.person_id is None  # the friend is not a known person yet
    assert reward.claim.visitor_uuid == reward.visitor_uuid


def test_a_repeat_click_gets_the_same_code_and_no_second_reward(offer):
    browser, first = click(offer["claim_url"])

    # when the same browser clicks again
    _, again = click(offer["claim_url"], client=browser)

    # then it lands with the same code; there is still one reward and the next code is untouched
    assert landing(again)["tkbl_coupon"] == landing(first)["tkbl_coupon"] == ["FRIEND-1"]
    assert len(rewards("click")) == 1
    assert Coupon.objects.get(code="FRIEND-2").claimed_at is None


def test_each_friend_gets_their_own_code(offer):
    codes = [
        landing(click(offer["claim_url"], ip=f"198.51.100.{20 + n}")[1])["tkbl_coupon"][0]
        for n in range(3)
    ]

    assert codes == ["FRIEND-1", "FRIEND-2", "FRIEND-3"]
    assert [r.coupon_code for r in rewards("click")] == codes


def test_a_click_on_a_dry_pool_waits_and_a_repeat_click_takes_no_code_from_it(api_site, offer):
    # given the three codes are gone (to friends at three addresses)
    for n in range(3):
        click(offer["claim_url"], ip=f"198.51.100.{20 + n}")
    browser, response = click(offer["claim_url"])
    assert "tkbl_coupon" not in landing(response)
    waiting = rewards("click")[-1]
    assert waiting.status == "Waiting for coupon"

    # when a code is imported and the waiting friend clicks again before the worker runs
    friend_pool = waiting.coupon_list
    coupons_import_and_pay_waiting(site=api_site.site, coupon_list=friend_pool, codes=["FRIEND-4"])
    click(offer["claim_url"], client=browser)

    # then the repeat click made no second reward, and the code is still there for the worker
    assert len(rewards("click")) == 4
    assert Coupon.objects.get(code="FRIEND-4").claimed_at is None
    drain()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.coupon_code) == ("Paid", "FRIEND-4")


# ---- shared -----------------------------------------------------------------------------------


def test_the_first_share_pays_the_shared_reward_and_later_shares_none(api, api_site, campaign):
    set_incentive(campaign, "shared", amount="5", description="$5 for sharing")
    offer = join(api, api_site.slug)["offer"]

    # when the advocate shares on one channel, then on another
    first = share(api, api_site.slug, offer["short_url_code"], "facebook")
    second = share(api, api_site.slug, offer["short_url_code"], "twitter")

    # then the first answer carries the reward and the second none; one reward exists
    (reward,) = rewards("shared")
    assert first["reward"]["id"] == reward.pk
    assert (first["reward"]["reason"], first["reward"]["status"]) == ("shared", "Paid")
    assert first["reward"]["incentive_custom_description"] == "$5 for sharing"
    assert second["reward"] is None
    assert (reward.status, reward.person.email) == ("Paid", ADVOCATE)


def test_a_shared_reward_with_referrals_min_counts_the_advocates_approved_referrals(
    api, api_site, campaign
):
    # given a shared incentive for advocates with at least one approved referral
    set_incentive(campaign, "shared", amount="5", criteria={"referrals_min": 1})
    offer = join(api, api_site.slug)["offer"]

    # when the advocate, who has none, shares
    result = share(api, api_site.slug, offer["short_url_code"], "facebook")

    # then the reward is blocked with the criterion's reason
    (reward,) = rewards("shared")
    assert result["reward"]["status"] == "Blocked"
    assert reward.status_reason.startswith("Criteria not met")
    assert "referral" in reward.status_reason


def test_a_shared_reward_with_referrals_min_pays_once_a_referral_is_approved(
    api, api_site, campaign
):
    # given a shared incentive for advocates with at least one approved referral, and an
    # advocate whose friend's purchase was approved
    set_incentive(campaign, "shared", amount="5", criteria={"referrals_min": 1})
    offer = join(api, api_site.slug)["offer"]
    _, uuid = friend_clicks(offer["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.org", uuid=uuid)
    assert put_status(api, api_site.slug, "F-1", "approved").status_code == 200

    # when the advocate shares
    result = share(api, api_site.slug, offer["short_url_code"], "facebook")

    # then the shared reward is paid
    assert result["reward"]["status"] == "Paid"


def test_a_share_without_a_shared_incentive_has_no_reward(api, api_site, offer):
    result = share(api, api_site.slug, offer["short_url_code"], "facebook")

    assert result["reward"] is None
    assert rewards("shared") == []


# ---- signup -----------------------------------------------------------------------------------


def test_joining_pays_the_signup_reward_once(api, api_site, campaign):
    set_incentive(campaign, "signup", amount="3")

    # when the advocate joins, and joins again
    join(api, api_site.slug)
    join(api, api_site.slug)

    # then one signup reward is paid to them
    (reward,) = rewards("signup")
    assert (reward.status, reward.person.email, str(reward.amount)) == ("Paid", ADVOCATE, "3.00")


def test_a_blocklisted_advocate_gets_a_blocked_signup_reward(api, api_site, frozen_now):
    campaign = build_program(api_site.site, blocklist=(ADVOCATE,))
    set_incentive(campaign, "signup", amount="3")

    join(api, api_site.slug)

    (reward,) = rewards("signup")
    assert (reward.status, reward.status_reason) == ("Blocked", "Person blocklisted")


def test_a_signup_coupon_comes_from_its_own_pool(api, api_site, campaign):
    set_incentive(
        campaign,
        "signup",
        incentive_type="discount_coupon",
        coupon_list=pool(api_site.site, "welcome", ("WELCOME-1",)),
    )

    join(api, api_site.slug)

    (reward,) = rewards("signup")
    assert (reward.status, reward.coupon_code) == ("Paid", "WELCOME-1")
