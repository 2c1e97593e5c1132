"""Incentive criteria: a pure function from an incentive's criteria and the facts about one
would-be reward to a verdict with evidence. No database here; `rewards.services` gathers the
facts, and only counts what a criterion needs (`Criteria.needs_counts`), because counting
rewards is the expensive part of issuing one.

Every rule is evaluated, not just the first to fail, so that a support agent sees every reason
a reward was blocked; `reason` names the first in the documented table's order so that the
same facts always give the same sentence. Why each rule reads as it does:

- `new_customer`: only a friend known to have bought before fails. When there is no friend
  (a signup) or it cannot be known, the rule does not apply: "unknown" must not block a
  reward the merchant meant to give, nor be reported as "new".
- `subtotal_min` / `subtotal_max`: only an origin with a subtotal can be measured. A click, a
  share or an event without one is not refused for lacking money it never had; the evidence
  says the rule did not apply.
- `referrals_min` / `referrals_max`: inclusive, as the configuration reads ("at least",
  "at most"); the caller decides what counts as a referral, this one included.
- `reward_uniqueness`: counts rewards already given, this one excluded, so the first reward
  always passes and the second fails.
- `friend_event_category`: it describes the friend's origin, so it applies only to `referrer`
  and `referred` rewards; a Purchase or an event of another category fails, and the category
  is compared exactly because merchants send it as an identifier.
- `offer_not_expired` (default true): an incentive paid after the offer expired is the
  complaint merchants raise most, so expiry is checked unless the config turns it off.
- `cap_total` / `cap_per_month`: "at most N", so the reward that would be number N+1 fails.
  Caps read "Cap reached: " rather than "Criteria not met: " because a capped reward is one
  the advocate did earn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

NOT_MET = "Criteria not met: "
CAP_REACHED = "Cap reached: "

UNIQUENESS = ("once_per_friend", "once_per_advocate", "none")
# Rewards about the friend's origin; `friend_event_category` means nothing for the others.
FRIEND_ORIGIN_REASONS = frozenset({"referrer", "referred"})

Outcome = Literal["passed", "failed", "not_applicable"]
T = TypeVar("T")


@dataclass(frozen=True)
class Criteria:
    new_customer: bool | None = None
    subtotal_min: Decimal | None = None
    subtotal_max: Decimal | None = None
    referrals_min: int | None = None
    referrals_max: int | None = None
    reward_uniqueness: str = "none"  # once_per_friend | once_per_advocate | none
    friend_event_category: str | None = None
    offer_not_expired: bool = True
    cap_total: int | None = None
    cap_per_month: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Criteria:
        """Criteria from `Incentive.criteria` as config apply stores it (subtotals as decimal
        strings, the rest as JSON booleans, integers and strings). Unknown keys are ignored:
        a newer release may store a criterion this one does not know."""
        uniqueness = raw.get("reward_uniqueness")
        offer_not_expired = raw.get("offer_not_expired")
        return cls(
            new_customer=_optional(raw, "new_customer", bool),
            subtotal_min=_optional(raw, "subtotal_min", _decimal),
            subtotal_max=_optional(raw, "subtotal_max", _decimal),
            referrals_min=_optional(raw, "referrals_min", int),
            referrals_max=_optional(raw, "referrals_max", int),
            reward_uniqueness=str(uniqueness) if uniqueness is not None else "none",
            friend_event_category=_optional(raw, "friend_event_category", str),
            offer_not_expired=bool(offer_not_expired) if offer_not_expired is not None else True,
            cap_total=_optional(raw, "cap_total", int),
            cap_per_month=_optional(raw, "cap_per_month", int),
        )

    @property
    def needs_counts(self) -> bool:
        """Whether evaluating needs the referral and reward counts in `RewardFacts`."""
        return (
            self.referrals_min is not None
            or self.referrals_max is not None
            or self.reward_uniqueness != "none"
            or self.cap_total is not None
            or self.cap_per_month is not None
        )


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    # Through repr for a float, so that 49.99 is 49.99 and not its binary neighbour.
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


def _optional(raw: Mapping[str, Any], key: str, convert: Callable[[Any], T]) -> T | None:
    value = raw.get(key)
    return None if value is None else convert(value)


@dataclass(frozen=True)
class RewardFacts:
    reason: str  # referrer | referred | click | shared | signup
    origin_type: str | None  # "Purchase" | "Event" | "AffiliateMember" | None (click, shared)
    event_category: str | None  # the origin's event category when an Event
    subtotal: Decimal | None  # the origin's subtotal (None: none known)
    friend_new_customer: bool | None  # no earlier Purchase; None: not applicable/unknown
    # The advocate's referrals for referrals_min/max (the caller's definition: approved
    # referrals in the campaign, this one included).
    advocate_referrals: int
    offer_expired: bool  # the advocate's offer had expired when the origin/click happened
    given_total: int  # this incentive's live rewards for this advocate, this one excluded
    given_this_month: int  # the same, created in the current calendar month (UTC)
    given_to_friend: int  # the same, for this friend too


@dataclass(frozen=True)
class CriteriaVerdict:
    ok: bool
    reason: str | None  # why not, in plain English (the first failing rule); None when ok
    failed: tuple[str, ...]  # every failing rule, in the documented order
    evidence: dict[str, Any]  # per configured rule: its outcome and what was compared


@dataclass(frozen=True)
class _Check:
    rule: str
    outcome: Outcome
    evidence: dict[str, Any]
    reason: str | None = None  # set when failed


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _judged(rule: str, evidence: dict[str, Any], ok: bool, why: str) -> _Check:
    """`passed`, or `failed` with `why` as the reason."""
    if ok:
        return _Check(rule, "passed", evidence)
    return _Check(rule, "failed", evidence, why)


def _not_applicable(rule: str, evidence: dict[str, Any], note: str) -> _Check:
    evidence["note"] = note
    return _Check(rule, "not_applicable", evidence)


def _subtotal_bound(
    rule: str, name: str, bound: Decimal, subtotal: Decimal | None, ok: bool, side: str
) -> _Check:
    evidence: dict[str, Any] = {name: _money(bound), "subtotal": _money(subtotal)}
    if subtotal is None:
        return _not_applicable(rule, evidence, "no subtotal to compare")
    return _judged(
        rule, evidence, ok, NOT_MET + f"subtotal {subtotal} is {side} the {name} {bound}"
    )


def _referrals_bound(
    rule: str, name: str, bound: int, referrals: int, ok: bool, side: str
) -> _Check:
    return _judged(
        rule,
        {name: bound, "advocate_referrals": referrals},
        ok,
        NOT_MET + f"the advocate has {_plural(referrals, 'referral')}, {side} the {name} {bound}",
    )


def _cap(rule: str, cap: int, counted: str, given: int, during: str = "") -> _Check:
    return _judged(
        rule,
        {"cap": cap, counted: given},
        given < cap,
        CAP_REACHED + f"the advocate already has {_plural(given, 'such reward')}{during}, "
        f"the most allowed is {cap}",
    )


# ---------------------------------------------------------------- the rules


def _new_customer(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.new_customer is not True:
        return None
    evidence: dict[str, Any] = {"required": True, "friend_new_customer": f.friend_new_customer}
    if f.friend_new_customer is None:
        return _not_applicable(
            "new_customer", evidence, "no friend, or not known whether the friend bought before"
        )
    return _judged(
        "new_customer",
        evidence,
        f.friend_new_customer,
        NOT_MET + "the friend has bought before, and only new customers qualify",
    )


def _subtotal_min(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.subtotal_min is None:
        return None
    ok = f.subtotal is not None and f.subtotal >= c.subtotal_min
    return _subtotal_bound("subtotal_min", "minimum", c.subtotal_min, f.subtotal, ok, "below")


def _subtotal_max(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.subtotal_max is None:
        return None
    ok = f.subtotal is not None and f.subtotal <= c.subtotal_max
    return _subtotal_bound("subtotal_max", "maximum", c.subtotal_max, f.subtotal, ok, "above")


def _referrals_min(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.referrals_min is None:
        return None
    ok = f.advocate_referrals >= c.referrals_min
    return _referrals_bound(
        "referrals_min", "minimum", c.referrals_min, f.advocate_referrals, ok, "below"
    )


def _referrals_max(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.referrals_max is None:
        return None
    ok = f.advocate_referrals <= c.referrals_max
    return _referrals_bound(
        "referrals_max", "maximum", c.referrals_max, f.advocate_referrals, ok, "above"
    )


def _reward_uniqueness(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.reward_uniqueness == "once_per_friend":
        counted, given, why = (
            "given_to_friend",
            f.given_to_friend,
            "the advocate already has this reward for this friend (once per friend)",
        )
    elif c.reward_uniqueness == "once_per_advocate":
        counted, given, why = (
            "given_total",
            f.given_total,
            "the advocate already has this reward (once per advocate)",
        )
    else:
        return None
    evidence = {"uniqueness": c.reward_uniqueness, counted: given}
    return _judged("reward_uniqueness", evidence, given < 1, NOT_MET + why)


def _friend_event_category(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.friend_event_category is None:
        return None
    wanted = c.friend_event_category
    evidence: dict[str, Any] = {
        "required": wanted,
        "reward_reason": f.reason,
        "origin_type": f.origin_type,
        "event_category": f.event_category,
    }
    if f.reason not in FRIEND_ORIGIN_REASONS:
        return _not_applicable(
            "friend_event_category",
            evidence,
            f"applies only to referrer and referred rewards, not {f.reason}",
        )
    if f.origin_type == "Event":
        why = f"the friend's event category is {f.event_category!r}, not {wanted!r}"
    elif f.origin_type is None:
        why = f"there is no friend's event; only an event of category {wanted!r} qualifies"
    else:
        why = f"the friend's origin is a {f.origin_type}, not an event of category {wanted!r}"
    ok = f.origin_type == "Event" and f.event_category == wanted
    return _judged("friend_event_category", evidence, ok, NOT_MET + why)


def _offer_not_expired(c: Criteria, f: RewardFacts) -> _Check | None:
    if not c.offer_not_expired:
        return None
    return _judged(
        "offer_not_expired",
        {"required": True, "offer_expired": f.offer_expired},
        not f.offer_expired,
        NOT_MET + "the advocate's offer had expired",
    )


def _cap_total(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.cap_total is None:
        return None
    return _cap("cap_total", c.cap_total, "given_total", f.given_total)


def _cap_per_month(c: Criteria, f: RewardFacts) -> _Check | None:
    if c.cap_per_month is None:
        return None
    return _cap(
        "cap_per_month",
        c.cap_per_month,
        "given_this_month",
        f.given_this_month,
        " this month (UTC)",
    )


# The documented table's order: `failed` and the first `reason` follow it.
RULES: tuple[Callable[[Criteria, RewardFacts], _Check | None], ...] = (
    _new_customer,
    _subtotal_min,
    _subtotal_max,
    _referrals_min,
    _referrals_max,
    _reward_uniqueness,
    _friend_event_category,
    _offer_not_expired,
    _cap_total,
    _cap_per_month,
)


def evaluate(criteria: Criteria, facts: RewardFacts) -> CriteriaVerdict:
    """Whether the facts meet every criterion. Evidence has one entry per configured rule with
    its outcome (`passed`, `failed` or `not_applicable`) and what was compared."""
    checks = [check for rule in RULES if (check := rule(criteria, facts)) is not None]
    failures = [check for check in checks if check.outcome == "failed"]
    return CriteriaVerdict(
        ok=not failures,
        reason=failures[0].reason if failures else None,
        failed=tuple(check.rule for check in failures),
        evidence={check.rule: {"outcome": check.outcome, **check.evidence} for check in checks},
    )
