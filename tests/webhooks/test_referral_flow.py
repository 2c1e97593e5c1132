"""The referral webhook end to end: an approval over the API reaches a real receiver as a
contract-shaped, signed `referral_web_hook`, and the referral's rewards (the advocate's and the
friend's) are paid after (not before) that delivery succeeded; the reward webhooks follow it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.campaigns.models import Incentive
from goodword.campaigns.program import forget_program
from goodword.rewards.decision import GATED
from goodword.rewards.models import Reward
from goodword.webhooks.signing import verify
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import NOW
from tests.referrals.program import build_program, buy, friend_clicks, join, put_status
from tests.webhooks import contract
from tests.webhooks.support import SECRET, Answer, subscribe

REFERRAL, REWARD = "referral_web_hook", "reward_web_hook"


@pytest.fixture
def referred(api, api_site, frozen_now):
    """A pending referral of order F-1 whose advocate is owed a $10 rebate."""
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.org", uuid=uuid, subtotal=80)
    return Reward.objects.get(reason="referrer")


@pytest.fixture
def friend_incentive(api_site):
    """The friend is owed a $5 coupon from the program's pool for their referred purchase."""

    def add() -> None:
        campaign = api_site.site.campaigns.get()
        Incentive.objects.create(
            campaign=campaign,
            identifier="friend-reward",
            reason="referred",
            incentive_type="discount_coupon",
            amount=5,
            coupon_list=campaign.site.coupon_lists.get(),
            description="$5 off your next order",
        )
        forget_program(api_site.site.pk)

    return add


def _of_type(receiver, hook_type):
    return [r for r in receiver.received if r.document["type"] == hook_type]


def test_the_advocate_is_paid_only_after_the_referral_webhook_arrived(
    api, api_site, referred, receiver, time_machine
):
    # given a site subscribed to referral and reward webhooks, whose receiver fails at first
    subscribe(api_site.site, receiver.url, REFERRAL, REWARD)
    receiver.answer(Answer(status=503), Answer(status=503))

    # when the merchant approves the referral
    response = put_status(api, api_site.slug, "F-1", "approved")

    # then the webhook was tried and failed, and the advocate's reward still waits for it
    assert response.status_code == 200, response.content
    assert [r.document["type"] for r in receiver.received] == [REFERRAL]
    referred.refresh_from_db()
    assert referred.status == "Pending"
    assert referred.paid_at is None
    assert response.json()["result"]["referral"]["advocate_rewards"][0]["status"] == "Unpaid"

    # when the receiver recovers and the retries come due
    at = NOW
    while Job.objects.exists() and at - NOW < timedelta(hours=1):
        at += timedelta(seconds=30)
        time_machine.move_to(at, tick=False)
        drain()

    # then the referral webhook arrived once per delivery id (after two failures)...
    referral_posts = _of_type(receiver, REFERRAL)
    assert len(referral_posts) == 3
    assert len({r.delivery_id for r in referral_posts}) == 1
    # ...the reward was paid only then, and its own webhook came after it
    referred.refresh_from_db()
    assert referred.status == "Paid"
    reward_posts = _of_type(receiver, REWARD)
    assert len(reward_posts) == 1
    assert reward_posts[0].at > referral_posts[-1].at
    assert reward_posts[0].document["payload"]["reward"]["status"] == "Paid"
    assert reward_posts[0].document["payload"]["reward"]["id"] == referred.pk

    # and the referral webhook has the contract's shape and a valid signature
    delivered = referral_posts[-1]
    payload = delivered.document["payload"]
    assert payload["referred_origin"]["order_number"] == "F-1"
    assert payload["advocate_rewards"][0]["id"] == referred.pk
    assert verify(
        secret=SECRET,
        header=delivered.headers["x-goodword-signature"],
        timestamp=delivered.headers["x-goodword-timestamp"],
        body=delivered.body,
    )


def test_the_referral_and_reward_webhooks_have_the_contracts_shape(
    api, api_site, referred, receiver
):
    # given a site subscribed to referral and reward webhooks (the contract is read from beside
    # the repository: without it this test is reported as skipped, never passed)
    document = contract.load()
    subscribe(api_site.site, receiver.url, REFERRAL, REWARD)

    # when the merchant approves the referral and the webhooks are delivered
    response = put_status(api, api_site.slug, "F-1", "approved")
    assert response.status_code == 200, response.content

    # then both bodies have exactly the contract's fields
    [referral_post] = _of_type(receiver, REFERRAL)
    [reward_post] = _of_type(receiver, REWARD)
    assert document["paths"]
    contract.assert_valid(referral_post.document, REFERRAL)
    contract.assert_valid(reward_post.document, REWARD)


def test_without_a_referral_subscription_the_reward_is_paid_on_approval(
    api, api_site, referred, receiver
):
    # given a site subscribed to reward webhooks only
    subscribe(api_site.site, receiver.url, REWARD)

    # when the referral is approved
    put_status(api, api_site.slug, "F-1", "approved")

    # then the reward is paid at once and reported
    referred.refresh_from_db()
    assert referred.status == "Paid"
    assert [r.document["type"] for r in receiver.received] == [REWARD]


def _drain_for_an_hour(time_machine) -> None:
    at = NOW
    while Job.objects.exists() and at - NOW < timedelta(hours=1):
        at += timedelta(seconds=30)
        time_machine.move_to(at, tick=False)
        drain()


def test_the_friend_is_paid_only_after_the_referral_webhook_arrived_too(
    api, api_site, friend_incentive, receiver, time_machine, frozen_now
):
    # given a referral whose advocate and friend are both owed a reward, on a site subscribed
    # to referral and reward webhooks whose receiver fails at first
    build_program(api_site.site)
    friend_incentive()
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.org", uuid=uuid, subtotal=80)
    subscribe(api_site.site, receiver.url, REFERRAL, REWARD)
    receiver.answer(Answer(status=503))

    # when the merchant approves the referral
    response = put_status(api, api_site.slug, "F-1", "approved")

    # then both rewards are given but wait for the webhook: no code handed to the friend yet
    assert response.status_code == 200, response.content
    advocate = Reward.objects.get(reason="referrer")
    friend = Reward.objects.get(reason="referred")
    for reward in (advocate, friend):
        assert (reward.status, reward.status_reason) == ("Pending", GATED)
        assert reward.given_at is not None and reward.paid_at is None
    assert friend.coupon_code is None
    result = response.json()["result"]["referral"]
    assert result["friend_rewards"][0]["status"] == "Unpaid"
    assert _of_type(receiver, REWARD) == []

    # when the receiver recovers and the retry comes due
    _drain_for_an_hour(time_machine)

    # then both rewards are paid, the friend's with a code of the pool, and each reward
    # webhook came after the referral webhook was delivered
    referral_posts = _of_type(receiver, REFERRAL)
    assert len(referral_posts) == 2
    advocate.refresh_from_db()
    friend.refresh_from_db()
    assert (advocate.status, friend.status) == ("Paid", "Paid")
    assert friend.coupon_code in ("FRIEND-2", "FRIEND-3")
    reward_posts = _of_type(receiver, REWARD)
    assert sorted(r.document["payload"]["reward"]["id"] for r in reward_posts) == sorted(
        [advocate.pk, friend.pk]
    )
    assert all(r.at > referral_posts[-1].at for r in reward_posts)


def test_without_a_referral_subscription_the_friend_is_paid_on_approval(
    api, api_site, friend_incentive, receiver, frozen_now
):
    # given a referral owing the friend a reward, on a site subscribed to reward webhooks only
    build_program(api_site.site)
    friend_incentive()
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.org", uuid=uuid, subtotal=80)
    subscribe(api_site.site, receiver.url, REWARD)

    # when the referral is approved
    put_status(api, api_site.slug, "F-1", "approved")

    # then nothing gates the friend's reward: it is paid at once
    friend = Reward.objects.get(reason="referred")
    assert friend.status == "Paid"
    assert friend.coupon_code is not None
