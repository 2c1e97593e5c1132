"""Uniqueness lives in the database (DESIGN.md, invariant 2): whatever code races past the
services, a second referrer reward for a referral, or a second reward holding one single-use
coupon, is refused by a constraint."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from goodword.core.clock import now
from goodword.coupons.models import Coupon
from goodword.rewards.models import Reward
from tests.referrals.program import build_program
from tests.rewards.program import advocate_with_friend, referred_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def reward(api, api_site, frozen_now) -> Reward:
    """A referral's Pending referrer reward."""
    build_program(api_site.site)
    uuid = advocate_with_friend(api, api_site.slug)
    referral = referred_purchase(api, api_site.slug, "P-1", "friend@example.org", uuid)
    return Reward.objects.get(referral=referral, reason="referrer")


def twin(reward: Reward, **changes) -> Reward:
    """A copy of `reward` as a new row."""
    copy = Reward.objects.get(pk=reward.pk)
    copy.pk = None
    copy.created_at = copy.updated_at = now()
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def test_a_second_referrer_reward_for_a_referral_is_refused(reward):
    with pytest.raises(IntegrityError), transaction.atomic():
        twin(reward).save(force_insert=True)

    assert Reward.objects.filter(referral=reward.referral, reason="referrer").count() == 1


def test_a_referrer_and_a_referred_reward_for_one_referral_may_coexist(reward):
    twin(reward, reason="referred", person_id=reward.friend_id).save(force_insert=True)

    assert Reward.objects.filter(referral=reward.referral).count() == 2


def test_two_rewards_holding_the_same_coupon_are_refused(reward):
    coupon = Coupon.objects.get(code="FRIEND-2")  # not handed out by the click
    Reward.objects.filter(pk=reward.pk).update(coupon=coupon, coupon_code=coupon.code)
    # a second reward of another referral-less kind, holding the same code
    other = twin(reward, referral=None, reason="signup", coupon=coupon, coupon_code=coupon.code)

    with pytest.raises(IntegrityError), transaction.atomic():
        other.save(force_insert=True)

    assert Reward.objects.filter(coupon=coupon).count() == 1


def test_a_second_click_reward_for_one_claim_is_refused(reward):
    click = Reward.objects.get(reason="click")

    with pytest.raises(IntegrityError), transaction.atomic():
        twin(click, coupon=None, coupon_code=None).save(force_insert=True)


def test_a_second_signup_reward_for_one_offer_is_refused(reward):
    first = twin(reward, referral=None, reason="signup")
    first.save(force_insert=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        twin(first).save(force_insert=True)
