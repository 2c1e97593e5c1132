"""The reward decision, without a database: what becomes of a referral's reward in each status,
the pay gate, refusals (blocklist, forced referrals, criteria) and the action rewards."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from goodword.referrals.models import ReferralStatus
from goodword.rewards.criteria import Criteria, evaluate
from goodword.rewards.decision import (
    BLOCKLISTED,
    GATED,
    SETTLED,
    VOIDED_REASON,
    Decision,
    Outcome,
    action_reward_decide,
    judged,
    referral_pay_gate,
    referral_reward_decide,
    refusal,
)
from goodword.rewards.models import RewardStatus
from tests.rewards.criteria.builders import any_criteria, any_facts, facts

REFERRAL_STATUSES = st.sampled_from(list(ReferralStatus))
REWARD_STATUSES = st.sampled_from(list(RewardStatus))
OPEN = st.sampled_from([RewardStatus.PENDING, RewardStatus.BLOCKED])
REFUSALS = st.none() | st.sampled_from(["Person blocklisted", "Criteria not met: x"])
GATES = st.none() | st.just(GATED)


def decide(**overrides):
    values = {
        "referral_status": ReferralStatus.APPROVED,
        "reward_status": RewardStatus.PENDING,
        "refusal": None,
        "gate": None,
        "fraud_details": "",
    }
    values.update(overrides)
    return referral_reward_decide(**values)


# ---------------------------------------------------------------- the pay gate


def test_a_site_subscribed_to_the_referral_webhook_holds_the_rewards_until_delivery():
    # given a site that subscribes to referral_web_hook, the webhook not delivered yet
    gate = referral_pay_gate(subscribes_to_referral_hook=True, referral_webhook_delivered=False)

    # then the referral's rewards wait, saying why
    assert gate == GATED == "Waiting for the referral webhook to be delivered"


@given(subscribed=st.booleans(), delivered=st.booleans())
def test_the_gate_is_open_unless_subscribed_and_not_delivered(subscribed, delivered):
    gate = referral_pay_gate(
        subscribes_to_referral_hook=subscribed, referral_webhook_delivered=delivered
    )
    assert (gate is None) == (not subscribed or delivered)


# ---------------------------------------------------------------- referral rewards


def test_an_approved_referral_pays_its_rewards():
    # given an approved referral whose rewards meet the criteria, on a site without the gate
    # when a reward is decided (the advocate's and the friend's follow this one rule)
    decision = decide()

    # then it is paid, and counts as given
    assert decision == Decision(Outcome.PAY)
    assert decision.given


def test_the_gate_holds_an_approved_referrals_reward_given_but_unpaid():
    # given an approved referral on a site whose referral webhook is not delivered yet
    # when a reward of it is decided (the advocate's or the friend's: one rule for both)
    decision = decide(gate=GATED)

    # then the reward is given (caps and uniqueness count it) but waits for the webhook
    assert decision == Decision(Outcome.GIVE_GATED, GATED)
    assert decision.given


def test_a_refused_reward_is_blocked_with_the_reason_even_when_approved():
    decision = decide(refusal="Cap reached: the advocate already has 1 such reward")
    assert decision == Decision(
        Outcome.BLOCK, "Cap reached: the advocate already has 1 such reward"
    )
    assert not decision.given


def test_a_referral_under_way_holds_its_reward_pending_and_not_given():
    for status in (ReferralStatus.IN_PROGRESS, ReferralStatus.PENDING, ReferralStatus.FLAGGED):
        decision = decide(referral_status=status, reward_status=RewardStatus.BLOCKED, gate=GATED)
        assert decision == Decision(Outcome.HOLD, "")
        assert not decision.given


def test_a_referral_under_way_whose_reward_is_refused_blocks_it():
    decision = decide(referral_status=ReferralStatus.PENDING, refusal="Person blocklisted")
    assert decision == Decision(Outcome.BLOCK, "Person blocklisted")


def test_a_blocked_referral_blocks_its_open_rewards_naming_the_fraud_verdict():
    # given a referral blocked by the fraud screening
    named = decide(referral_status=ReferralStatus.BLOCKED, fraud_details="Self-referral")
    unnamed = decide(referral_status=ReferralStatus.BLOCKED, reward_status=RewardStatus.BLOCKED)

    # then its rewards are blocked with the verdict, or the policy when none is given
    assert named == Decision(Outcome.BLOCK, "Referral blocked: Self-referral")
    assert unnamed == Decision(Outcome.BLOCK, "Referral blocked: fraud policy")


def test_a_voided_referral_voids_a_pending_reward_and_keeps_a_blocked_one():
    pending = decide(referral_status=ReferralStatus.VOIDED, reward_status=RewardStatus.PENDING)
    blocked = decide(referral_status=ReferralStatus.VOIDED, reward_status=RewardStatus.BLOCKED)
    assert pending == Decision(Outcome.VOID, VOIDED_REASON)
    assert blocked == Decision(Outcome.KEEP)


@given(
    referral_status=REFERRAL_STATUSES,
    reward_status=st.sampled_from(sorted(SETTLED)),
    refusal=REFUSALS,
    gate=GATES,
)
def test_a_settled_reward_is_never_changed(referral_status, reward_status, refusal, gate):
    decision = decide(
        referral_status=referral_status,
        reward_status=reward_status,
        refusal=refusal,
        gate=gate,
    )
    assert decision == Decision(Outcome.KEEP)


@given(
    referral_status=REFERRAL_STATUSES,
    reward_status=OPEN,
    refusal=REFUSALS,
    gate=GATES,
)
def test_only_an_approved_unrefused_reward_is_given(referral_status, reward_status, refusal, gate):
    decision = decide(
        referral_status=referral_status,
        reward_status=reward_status,
        refusal=refusal,
        gate=gate,
    )
    given = referral_status == ReferralStatus.APPROVED and refusal is None
    assert decision.given == given
    # given while the gate is shut: it waits, saying why; given with it open: paid now
    if given:
        assert decision == (Decision(Outcome.GIVE_GATED, gate) if gate else Decision(Outcome.PAY))
    if decision.outcome == Outcome.BLOCK and judged(referral_status):
        assert decision.reason == refusal


def test_only_live_referrals_are_judged():
    assert {s for s in ReferralStatus if judged(s)} == {
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.PENDING,
        ReferralStatus.FLAGGED,
        ReferralStatus.APPROVED,
    }


# ---------------------------------------------------------------- refusals


def test_a_blocklisted_recipient_is_refused_even_on_a_forced_referral():
    verdict = refusal(criteria=Criteria(), facts=facts(), blocklisted=True, forced=True)
    assert verdict == BLOCKLISTED == "Person blocklisted"


def test_a_forced_referral_waives_the_criteria():
    # given criteria the facts fail (the friend bought before)
    criteria = Criteria(new_customer=True)
    failing = facts(friend_new_customer=False)

    # then they refuse the reward, unless staff forced the referral
    assert refusal(criteria=criteria, facts=failing, blocklisted=False) == (
        "Criteria not met: the friend has bought before, and only new customers qualify"
    )
    assert refusal(criteria=criteria, facts=failing, blocklisted=False, forced=True) is None


@given(criteria=any_criteria(), reward_facts=any_facts())
def test_an_unforced_refusal_is_the_criteria_verdicts_reason(criteria, reward_facts):
    verdict = evaluate(criteria, reward_facts)
    assert refusal(criteria=criteria, facts=reward_facts, blocklisted=False) == verdict.reason


# ---------------------------------------------------------------- clicks, shares, signups


def test_an_action_reward_is_paid_unless_refused():
    assert action_reward_decide(refusal=None) == Decision(Outcome.PAY)
    assert action_reward_decide(refusal="Person blocklisted") == Decision(
        Outcome.BLOCK, "Person blocklisted"
    )
