"""The explanation of one referral: why it was made, flagged, blocked or paid no reward.

Built once here and shown two ways: the portal's referral page and the JSON of
GET /api/v2/origins/{slug}/referral/trace. Everything comes from what the engine stored when it
decided (the attribution match, each policy's result and evidence, the facts the policies
compared, every status event) plus the rewards and webhook deliveries that followed. Referrals
screened before the facts were stored show the facts as they are now, and say so.

A fixed number of queries whatever the referral's history: the referral with its people,
origin, campaign and claim; its events; its rewards; its webhook deliveries; and, only for
old referrals, the facts.
"""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime

from goodword.campaigns.program import program_for
from goodword.core.errors import NotFound
from goodword.fraud.policies import (
    ALL_POLICIES,
    CROSS_REFERRAL,
    IP_AND_USER_AGENT,
    IP_ONLY,
    PHONE_NUMBER,
    SELF_REFERRAL,
    SHIPPING_ADDRESS,
    SIMILAR_EMAIL,
    Party,
    ReferralFacts,
    normalise_phone,
    same_phone,
)
from goodword.fraud.screening import DETAIL_NAMES
from goodword.origins.models import Origin
from goodword.people.briefs import person_brief_build
from goodword.people.models import Person
from goodword.referrals import selectors
from goodword.referrals.models import Referral, ReferralStatus, TrackMethod
from goodword.referrals.resolution import approval_settings, referral_resolution
from goodword.referrals.transitions import FINAL
from goodword.rewards.models import Reward
from goodword.webhooks.models import Delivery

FACTS = "facts"  # the `kind` of the stored facts entry in `fraud_evidence`
ATTRIBUTION = "attribution"

# What each tracking method means, said to a person reading the page. `{matched}` and `{seen}`
# are filled from the stored match.
METHODS: dict[str, str] = {
    TrackMethod.COUPON: "The friend's order used the coupon code {matched}, which came from "
    "this advocate's offer.",
    TrackMethod.COOKIE: "The friend's browser (visitor {matched}) had clicked this advocate's "
    "claim link at {seen}, before the order.",
    TrackMethod.GATED_EMAIL: "The friend entered the email {matched} on this advocate's claim "
    "page at {seen}.",
    TrackMethod.PHONE_NUMBER: "The friend entered the phone number {matched} on this "
    "advocate's claim page at {seen}.",
    TrackMethod.SHARE_EMAIL: "The advocate shared the offer by email with {matched} at {seen}.",
    TrackMethod.IP_ADDRESS: "The order came from the IP address {matched}, which clicked this "
    "advocate's claim link at {seen}, less than an hour before.",
    TrackMethod.EVENT_CHAIN: "This advocate referred the friend before (at {seen}); the "
    "friend's later origins follow that referral.",
    TrackMethod.STICKY_ADVOCATE: "The friend stays with the advocate who first referred them "
    "(sticky advocate, since {seen}).",
    TrackMethod.MANUALLY_GENERATED: "Created by hand by {matched}, then screened for fraud "
    "like any referral.",
    TrackMethod.FORCE_MANUALLY_GENERATED: "Created by hand by {matched} with force: fraud "
    "screening was skipped.",
}


def finding(policy: str, evidence: dict[str, str]) -> str:
    """One sentence saying what a policy's stored evidence shows."""
    e = evidence.get
    if policy == SELF_REFERRAL:
        parts = []
        if e("friend_email"):
            parts.append(f"the friend's email {e('friend_email')} is the advocate's own")
        if e("friend_cookie"):
            parts.append(f"the friend's browser carries the advocate's cookie {e('friend_cookie')}")
        return "; ".join(parts).capitalize() + "." if parts else ""
    if policy == SIMILAR_EMAIL:
        if e("mailbox"):
            return (
                f"{e('friend_email')} and {e('advocate_email')} deliver to the same mailbox "
                f"{e('mailbox')}."
            )
        return (
            f"{e('friend_mailbox')} is one typo away from the advocate's {e('advocate_mailbox')}."
        )
    if policy == SHIPPING_ADDRESS:
        place = e("normalised_address") or e("normalised_street") or ""
        return (
            f"The friend ships to {e('friend_address')} {e('friend_zip')}, an address the "
            f"advocate used ({e('advocate_address')} {e('advocate_zip')}; both read as {place})."
        )
    if policy == IP_AND_USER_AGENT:
        return (
            f"The friend used the advocate's IP address {e('friend_ip')} with the same browser "
            f"({e('friend_user_agent')})."
        )
    if policy == IP_ONLY:
        return f"The friend's IP address {e('friend_ip')} is one the advocate used."
    if policy == PHONE_NUMBER:
        return (
            f"The friend's phone number {e('friend_phone')} is the advocate's "
            f"{e('advocate_phone')} (both read as {e('normalised_phone')})."
        )
    if policy == CROSS_REFERRAL:
        return "The advocate was referred by this friend before: they refer each other."
    return ""


def _blocklist_finding(evidence: dict[str, str]) -> str:
    for key, value in evidence.items():
        if key != "blocklist":
            role, _, kind = key.partition("_")
            return (
                f"The {role}'s {'IP address' if kind == 'ip' else kind} {value} is on the "
                f"site's blocklist (entry {evidence['blocklist']})."
            )
    return f"Blocklist entry {evidence.get('blocklist')}."


def _sorted(values: Any) -> list[Any]:
    return sorted(
        values, key=lambda v: tuple(str(x) for x in v) if isinstance(v, tuple) else str(v)
    )


def party_record(party: Party) -> dict[str, Any]:
    return {
        "email": party.email,
        "cookies": _sorted(party.cookies),
        "ips": _sorted(party.ips),
        "ip_user_agents": [
            {"ip": ip, "user_agent": agent} for ip, agent in _sorted(party.ip_user_agents)
        ],
        "shipping_addresses": [
            {"address": address, "zip": zip_code}
            for address, zip_code in _sorted(party.shipping_addresses)
        ],
        "phones": _sorted(party.phones),
    }


def facts_record(facts: ReferralFacts) -> dict[str, Any]:
    """The facts the policies compared, as stored in `fraud_evidence` (kind `facts`)."""
    return {
        "kind": FACTS,
        "advocate": party_record(facts.advocate),
        "friend": party_record(facts.friend),
        "advocate_referred_by_friend": facts.advocate_referred_by_friend,
    }


def _person(person: Person, facts: dict[str, Any]) -> dict[str, Any]:
    return {
        **person_brief_build(person=person),
        "customer_id": person.customer_id,
        "username": person.username,
        "facts": facts,
    }


def _shared(advocate: dict[str, Any], friend: dict[str, Any]) -> dict[str, list[Any]]:
    """The values both sides have, per fact: what a policy would call a match."""
    pairs = {(p["ip"], p["user_agent"]) for p in advocate["ip_user_agents"]}
    addresses = {(a["address"], a["zip"]) for a in advocate["shipping_addresses"]}
    return {
        "cookies": [c for c in friend["cookies"] if c in set(advocate["cookies"])],
        "ips": [ip for ip in friend["ips"] if ip in set(advocate["ips"])],
        "ip_user_agents": [
            p for p in friend["ip_user_agents"] if (p["ip"], p["user_agent"]) in pairs
        ],
        "shipping_addresses": [
            a for a in friend["shipping_addresses"] if (a["address"], a["zip"]) in addresses
        ],
        # Facts stored before phones were compared have none.
        "phones": [
            phone
            for phone in friend.get("phones", [])
            if _same_phone_as_any(phone, advocate.get("phones", []))
        ],
    }


def _same_phone_as_any(phone: str, others: list[str]) -> bool:
    """As the phone policy compares them: normalised, a country code matched loosely."""
    mine = normalise_phone(phone)
    if mine is None:
        return False
    return any(
        (theirs := normalise_phone(o)) is not None and same_phone(mine, theirs) for o in others
    )


def _origin(origin: Origin) -> dict[str, Any]:
    return {
        "id": origin.pk,
        "type": origin.type,
        "slug": origin.slug,
        "email": origin.email,
        "subtotal": origin.subtotal,
        "currency": origin.currency,
        "coupon_codes": list(origin.coupon_codes or []),
        "ip_address": origin.ip_address,
        "visitor_uuid": origin.uuid,
        "occurred_at": origin.occurred_at,
        "refunded_at": origin.refunded_at,
    }


def _fmt(value: str | None) -> str:
    return value or "(unknown)"


def referral_trace_by_id(*, site_id: int, referral_id: int) -> dict[str, Any]:
    referral = _load(site_id=site_id, referral_id=referral_id, origin_id=None)
    return _trace(referral)


def referral_trace_for_origin(*, site_id: int, origin_id: int) -> dict[str, Any]:
    referral = _load(site_id=site_id, referral_id=None, origin_id=origin_id)
    return _trace(referral)


def _load(*, site_id: int, referral_id: int | None, origin_id: int | None) -> Referral:
    qs = Referral.objects.select_related(
        "advocate", "friend", "origin", "campaign", "claim", "offer"
    ).filter(site_id=site_id)
    if referral_id is not None:
        qs = qs.filter(pk=referral_id)
    else:
        qs = qs.filter(origin_id=origin_id or 0)
    referral = qs.first()
    if referral is None:
        raise NotFound("referral_not_found", "No referral found for this origin.")
    return referral


def _trace(referral: Referral) -> dict[str, Any]:
    origin = referral.origin
    evidence = list(referral.fraud_evidence or [])
    stored_facts = next((e for e in evidence if e.get("kind") == FACTS), None)
    match: dict[str, Any] = next((e for e in evidence if e.get("kind") == ATTRIBUTION), {})
    if stored_facts is not None:
        facts_source = "stored"
        facts = stored_facts
    else:
        # Screened before the facts were kept (or created with force, never screened): what
        # the policies would compare today.
        facts_source = "current"
        facts = facts_record(
            selectors.fraud_facts(
                origin=origin, offer_id=referral.offer_id, claim_id=referral.claim_id
            )
        )
    advocate = _person(referral.advocate, facts["advocate"])
    friend = _person(referral.friend, facts["friend"])

    program = program_for(referral.site_id)
    status_lists = referral.fraud_policies_status or {}
    result_of = {
        policy: result
        for result in ("blocked", "flagged", "skipped", "passed")
        for policy in status_lists.get(result, [])
    }
    policy_evidence = {e["policy"]: e for e in evidence if "policy" in e}
    policies = [
        {
            "policy": policy,
            "name": DETAIL_NAMES[policy],
            "result": result_of.get(policy, "not run"),
            "action_now": program.policy_actions.get(policy),
            "evidence": {k: v for k, v in policy_evidence[policy].items() if k != "policy"}
            if policy in policy_evidence
            else None,
        }
        for policy in ALL_POLICIES
    ]
    blocklist = [e for e in evidence if "blocklist" in e]
    findings = [_blocklist_finding(e) for e in blocklist] + [
        f"{DETAIL_NAMES[policy]} ({result_of[policy]}): {finding(policy, policy_evidence[policy])}"
        for policy in ALL_POLICIES
        if policy in policy_evidence and result_of.get(policy) in ("blocked", "flagged")
    ]

    events = list(referral.events.order_by("created_at", "id"))
    seen = parse_datetime(match["seen_at"]) if match.get("seen_at") else None
    matched = match.get("matched") or ""
    if referral.track_method in (
        TrackMethod.MANUALLY_GENERATED,
        TrackMethod.FORCE_MANUALLY_GENERATED,
    ):
        matched = matched or (events[0].actor_detail if events else "")
    claim = referral.claim
    attribution = {
        "method": referral.track_method,
        "matched": matched or None,
        "seen_at": seen,
        "explanation": METHODS.get(referral.track_method, "").format(
            matched=_fmt(matched), seen=f"{seen:%Y-%m-%d %H:%M:%S} UTC" if seen else "(unknown)"
        ),
        "note": match.get("note") or None,
        "offer": {
            "id": referral.offer_id,
            "short_url_code": referral.offer.short_url_code,
            "coupon_code": referral.offer.coupon_code,
        },
        "claim": None
        if claim is None
        else {
            "id": claim.pk,
            "visitor_uuid": claim.visitor_uuid,
            "ip_address": claim.ip_address,
            "user_agent": claim.user_agent,
            "channel": claim.channel,
            "gated_email": claim.gated_email,
            "friend_coupon_code": claim.friend_coupon_code,
            "first_clicked_at": claim.created_at,
            "last_clicked_at": claim.clicked_at,
        },
    }

    rewards = [
        {
            "id": r.pk,
            "reason": r.reason,
            "recipient": None if r.person is None else {"id": r.person.pk, "email": r.person.email},
            "status": r.status,
            "status_reason": r.status_reason or None,
            "incentive": r.incentive_identifier,
            "incentive_type": r.incentive_type,
            "amount": r.amount,
            "amount_type": r.amount_type,
            "currency": r.currency,
            "coupon_code": r.coupon_code,
            "created_at": r.created_at,
            "paid_at": r.paid_at,
        }
        for r in Reward.objects.filter(site_id=referral.site_id, referral_id=referral.pk)
        .select_related("person")
        .order_by("id")
    ]
    webhooks = [
        {
            "id": d.pk,
            "delivery_id": d.uuid,
            "type": d.hook_type,
            "status": d.status,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "created_at": d.created_at,
            "finished_at": d.finished_at,
        }
        for d in Delivery.objects.filter(
            site_id=referral.site_id, subject=f"referral:{referral.pk}"
        ).order_by("id")
    ]
    auto, waits_because = _automatic(referral, program)
    first_status = events[0].to_status if events else referral.status
    return {
        "referral": {
            "id": referral.pk,
            "status": referral.status,
            "final": referral.status in FINAL,
            "screened_status": first_status,
            "track_method": referral.track_method,
            "fraud_details": referral.fraud_details,
            "fraud_policies_status": {
                k: list(status_lists.get(k, []))
                for k in ("blocked", "flagged", "skipped", "passed")
            },
            "qa_generated": referral.qa_generated,
            "subtotal": referral.subtotal,
            "created_at": referral.created_at,
            "updated_at": referral.updated_at,
            "campaign": {
                "id": referral.campaign_id,
                "slug": referral.campaign.slug,
                "name": referral.campaign.name,
            },
        },
        "origin": _origin(origin),
        "advocate": advocate,
        "friend": friend,
        "facts_source": facts_source,
        "shared": _shared(advocate["facts"], friend["facts"]),
        "advocate_referred_by_friend": facts.get("advocate_referred_by_friend"),
        "policies": policies,
        "blocklist": blocklist,
        "findings": findings,
        "attribution": attribution,
        "history": [
            {
                "at": e.created_at,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor,
                "actor_detail": e.actor_detail or None,
                "reason": e.reason or None,
            }
            for e in events
        ],
        "rewards": rewards,
        "automatic_resolution": auto,
        "waits_because": waits_because,
        "webhooks": webhooks,
    }


def _automatic(referral: Referral, program: Any) -> tuple[dict[str, Any] | None, str | None]:
    """When the referral resolves by itself, or why it waits for a person."""
    if referral.status in FINAL:
        return None, f"The referral is {referral.status}: nothing more happens to it."
    settings = approval_settings(program)
    due = referral_resolution(referral, settings)
    if due is not None:
        return {"to_status": due.to_status, "due_at": due.due_at, "reason": due.reason}, None
    if referral.status == ReferralStatus.BLOCKED:
        return None, "Blocked referrals are never approved automatically: unblock it to review it."
    if referral.status == ReferralStatus.PENDING:
        return None, "The site approves referrals manually: it waits for a person."
    if settings.flagged_resolution == "never":
        return None, "Flagged referrals are never resolved automatically on this site."
    return None, "The site approves referrals manually: it waits for a person."
