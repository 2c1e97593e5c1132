"""Screening a referral: run every policy under the site's actions, check the blocklist, and
reduce it all to one verdict in the wire shape of `fraud_policies_status`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from goodword.fraud.blocklist import Blocklist
from goodword.fraud.policies import (
    ALL_POLICIES,
    CROSS_REFERRAL,
    IP_AND_USER_AGENT,
    IP_ONLY,
    PHONE_NUMBER,
    POLICIES,
    SELF_REFERRAL,
    SHIPPING_ADDRESS,
    SIMILAR_EMAIL,
    Party,
    ReferralFacts,
    party_ips,
)

Action = Literal["block", "flag", "off"]
Status = Literal["blocked", "flagged", "pending"]

ACTIONS: dict[str, Action] = {"block": "block", "flag": "flag", "off": "off"}

DEFAULT_ACTIONS: dict[str, Action] = {
    SELF_REFERRAL: "block",
    SIMILAR_EMAIL: "flag",
    SHIPPING_ADDRESS: "flag",
    IP_AND_USER_AGENT: "flag",
    # Offices and mobile carriers put strangers behind one IP: on, it flags honest referrals.
    IP_ONLY: "off",
    # Households and small businesses share a landline: a match is a question for a person.
    PHONE_NUMBER: "flag",
    CROSS_REFERRAL: "block",
}

DETAIL_NAMES: dict[str, str] = {
    SELF_REFERRAL: "Self Referral",
    SIMILAR_EMAIL: "Similar Email",
    SHIPPING_ADDRESS: "Matching Shipping Address",
    IP_AND_USER_AGENT: "Matching IP Address & User Agent",
    IP_ONLY: "Matching IP Address",
    PHONE_NUMBER: "Matching Phone Number",
    CROSS_REFERRAL: "Cross Referral",
}


@dataclass(frozen=True)
class Verdict:
    status: Status
    blocked: tuple[str, ...]
    flagged: tuple[str, ...]
    skipped: tuple[str, ...]
    passed: tuple[str, ...]
    details: str | None  # `fraud_details`; None when nothing fired
    evidence: tuple[dict[str, str], ...]  # blocklist hits first, then policies as in `details`

    def policies_status(self) -> dict[str, list[str]]:
        """`fraud_policies_status` as stored and sent."""
        return {
            "blocked": list(self.blocked),
            "flagged": list(self.flagged),
            "skipped": list(self.skipped),
            "passed": list(self.passed),
        }


def validate_actions(actions: Mapping[str, object]) -> dict[str, Action]:
    """A site's policy actions, every policy present (defaults for the missing ones)."""
    validated = dict(DEFAULT_ACTIONS)
    for policy, action in actions.items():
        if policy not in DEFAULT_ACTIONS:
            raise ValueError(f"unknown fraud policy {policy!r}")
        if not isinstance(action, str) or action not in ACTIONS:
            raise ValueError(
                f"{action!r} is not an action for {policy!r}: use 'block', 'flag' or 'off'"
            )
        validated[policy] = ACTIONS[action]
    return validated


def screen(
    facts: ReferralFacts,
    *,
    actions: Mapping[str, Action] | None = None,
    blocklist: Blocklist | None = None,
) -> Verdict:
    """Every policy lands in exactly one of the four lists, in `ALL_POLICIES` order."""
    resolved = validate_actions(actions or {})
    lists: dict[str, list[str]] = {"blocked": [], "flagged": [], "skipped": [], "passed": []}
    evidence_by_policy: dict[str, dict[str, str]] = {}
    for policy in ALL_POLICIES:
        action = resolved[policy]
        if action == "off":
            lists["skipped"].append(policy)
            continue
        result = POLICIES[policy](facts)
        if result.outcome == "matched":
            lists["blocked" if action == "block" else "flagged"].append(policy)
            evidence_by_policy[policy] = {"policy": policy, **result.evidence}
        else:
            lists[result.outcome].append(policy)

    details: list[str] = []
    evidence: list[dict[str, str]] = []
    blocklisted = False
    if blocklist is not None:
        for role, party in (("friend", facts.friend), ("advocate", facts.advocate)):
            hit = _blocklisted(blocklist, role, party)
            if hit is not None:
                detail, hit_evidence = hit
                blocklisted = True
                details.append(detail)
                evidence.append(hit_evidence)
    for policy in lists["blocked"] + lists["flagged"]:
        details.append(DETAIL_NAMES[policy])
        evidence.append(evidence_by_policy[policy])

    status: Status
    if blocklisted or lists["blocked"]:
        status = "blocked"
    elif lists["flagged"]:
        status = "flagged"
    else:
        status = "pending"
    return Verdict(
        status=status,
        blocked=tuple(lists["blocked"]),
        flagged=tuple(lists["flagged"]),
        skipped=tuple(lists["skipped"]),
        passed=tuple(lists["passed"]),
        details=", ".join(details) or None,
        evidence=tuple(evidence),
    )


def _blocklisted(
    blocklist: Blocklist, role: str, party: Party
) -> tuple[str, dict[str, str]] | None:
    # Sorted: the IPs are a set, and the evidence must not change between runs.
    hit = blocklist.match(email=party.email, ips=sorted(party_ips(party)))
    if hit is None:
        return None
    entry = hit["entry"]
    if "email" in hit:
        return (
            f"Blocklisted {role} email ({entry})",
            {"blocklist": entry, f"{role}_email": hit["email"]},
        )
    return f"Blocklisted {role} IP ({entry})", {"blocklist": entry, f"{role}_ip": hit["ip"]}
