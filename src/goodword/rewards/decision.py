"""What becomes of one reward: a pure decision from the facts `rewards.facts` gathered, with no
database here (tested like `criteria.py`). `rewards.services` applies it and stores the result.

Why the rules read as they do:

- A Paid, Waiting-for-coupon or Voided reward is settled: nothing here moves it again (money
  given, or a code owed, or a void the merchant saw).
- A voided referral voids only a Pending reward; a Blocked one keeps the reason it was blocked
  for, which says more than "voided".
- A blocked referral blocks its open rewards, naming the fraud verdict.
- Otherwise the reward is judged: a blocklisted recipient first (whatever staff decided), then
  the incentive's criteria, unless staff forced the referral, which waives them.
- An approved referral's reward is given: paid, or, on a site that subscribes to
  `referral_web_hook`, given but paid only once that webhook was delivered. The gate holds both
  sides, the advocate's `referrer` reward and the friend's `referred` one: the webhooks
  contract says "only after that rewards associated with the referral can be paid". A reward
  given either way counts towards caps and uniqueness at once.
- A referral still under way (new, pending, flagged) holds its reward Pending, not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from goodword.referrals.models import ReferralStatus
from goodword.rewards.criteria import Criteria, RewardFacts, evaluate
from goodword.rewards.models import RewardStatus

GATED = "Waiting for the referral webhook to be delivered"
BLOCKLISTED = "Person blocklisted"
VOIDED_REASON = "Referral voided"
# Reward statuses this decision never changes.
SETTLED = frozenset({RewardStatus.PAID, RewardStatus.WAITING, RewardStatus.VOIDED})


class Outcome(StrEnum):
    KEEP = "keep"  # leave the reward as it is
    VOID = "void"  # Voided
    BLOCK = "block"  # Blocked, with the reason
    HOLD = "hold"  # Pending, not given (the referral is still under way)
    GIVE_GATED = "give_gated"  # given and counted, Pending until the gate opens (the reason)
    PAY = "pay"  # given and counted, paid now (a coupon code, or Waiting for coupon)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reason: str = ""

    @property
    def given(self) -> bool:
        """Whether the reward counts as given from now on (caps and uniqueness see it)."""
        return self.outcome in (Outcome.PAY, Outcome.GIVE_GATED)


_KEEP = Decision(Outcome.KEEP)
_HOLD = Decision(Outcome.HOLD)
_PAY = Decision(Outcome.PAY)
_VOID = Decision(Outcome.VOID, VOIDED_REASON)


def referral_pay_gate(
    *, subscribes_to_referral_hook: bool, referral_webhook_delivered: bool
) -> str | None:
    """Why the rewards of an approved referral (the advocate's and the friend's alike) must
    wait, or None: a site that subscribes to `referral_web_hook` pays them only after that
    webhook was delivered."""
    if subscribes_to_referral_hook and not referral_webhook_delivered:
        return GATED
    return None


def refusal(
    *, criteria: Criteria, facts: RewardFacts, blocklisted: bool, forced: bool = False
) -> str | None:
    """Why a reward must not be given, or None. `forced`: staff forced the referral, so the
    criteria do not apply (a blocklisted recipient still gets nothing)."""
    if blocklisted:
        return BLOCKLISTED
    if forced:
        return None
    verdict = evaluate(criteria, facts)
    return None if verdict.ok else (verdict.reason or "Criteria not met")


def judged(referral_status: str) -> bool:
    """Whether a referral in this status has its rewards judged (a `refusal` asked for)."""
    return referral_status not in (ReferralStatus.VOIDED, ReferralStatus.BLOCKED)


def referral_reward_decide(
    *,
    referral_status: str,
    reward_status: str,
    refusal: str | None,
    gate: str | None,
    fraud_details: str = "",
) -> Decision:
    """The `referrer` or `referred` reward of a referral in `referral_status`, currently
    `reward_status` (Pending for a new one); both sides follow one rule. `refusal` is asked
    only for a referral that is `judged`; `gate` is the site's `referral_pay_gate`."""
    if reward_status in SETTLED:
        return _KEEP
    if referral_status == ReferralStatus.VOIDED:
        return _VOID if reward_status == RewardStatus.PENDING else _KEEP
    if referral_status == ReferralStatus.BLOCKED:
        return Decision(Outcome.BLOCK, f"Referral blocked: {fraud_details or 'fraud policy'}")
    if refusal is not None:
        return Decision(Outcome.BLOCK, refusal)
    if referral_status != ReferralStatus.APPROVED:
        return _HOLD
    if gate:
        return Decision(Outcome.GIVE_GATED, gate)
    return _PAY


def action_reward_decide(*, refusal: str | None) -> Decision:
    """A click, share or signup reward is decided once, when the action happens: paid, or
    blocked with the reason."""
    if refusal is not None:
        return Decision(Outcome.BLOCK, refusal)
    return _PAY
