"""What referrals hold about a person (registered with goodword.privacy). The referral rows
stay (the program's numbers must add up), tied to the pseudonymous person; what identifies the
person inside them (the fraud evidence, staff reasons on their events) is scrubbed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.fraud.policies import PHONE_NUMBER, SHIPPING_ADDRESS, SIMILAR_EMAIL
from goodword.offers.models import Claim
from goodword.people.models import Person
from goodword.privacy.registry import (
    CLAIM,
    EMAIL,
    IP,
    OTHER,
    PHONE,
    REFERRAL,
    USER_AGENT,
    Subject,
    Traces,
    register,
    scrub_rows,
)
from goodword.referrals.models import Referral, ReferralEvent


def _theirs(person: Person) -> Q:
    return Q(site_id=person.site_id) & (Q(advocate_id=person.pk) | Q(friend_id=person.pk))


# Evidence a policy derived from a value both sides share (it matched): the person's own data
# in another spelling, which scrubbing by the stored spellings alone would leave behind.
_SHARED_DERIVED = {
    PHONE_NUMBER: (("normalised_phone", PHONE),),
    SIMILAR_EMAIL: (("mailbox", OTHER),),
    SHIPPING_ADDRESS: (("normalised_address", OTHER), ("normalised_street", OTHER)),
}


def _traces(person: Person) -> Traces:
    traces = Traces()
    rows = Referral.objects.filter(_theirs(person)).values_list(
        "pk", "friend_id", "claim_id", "fraud_evidence"
    )
    claim_ids = []
    for pk, friend_id, claim_id, evidence in rows:
        traces.add_ids(REFERRAL, [pk])
        if friend_id == person.pk:
            claim_ids.append(claim_id)
        for entry in evidence or []:
            if isinstance(entry, dict):
                for key, kind in _SHARED_DERIVED.get(entry.get("policy", ""), ()):
                    traces.add(kind, [entry.get(key)])
    traces.add_ids(CLAIM, claim_ids)
    # The claim through which they came as a friend was their own visit.
    for ip, agent, email, phone in Claim.objects.filter(pk__in=claim_ids).values_list(
        "ip_address", "user_agent", "gated_email", "gated_phone"
    ):
        traces.add(IP, [ip])
        traces.add(USER_AGENT, [agent])
        traces.add(EMAIL, [email])
        traces.add(PHONE, [phone])
    return traces


def _row(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.pk,
        "status": referral.status,
        "track_method": referral.track_method,
        "origin_id": referral.origin_id,
        "offer_id": referral.offer_id,
        "subtotal": referral.subtotal,
        "fraud_details": referral.fraud_details,
        "created_at": referral.created_at,
        "updated_at": referral.updated_at,
    }


def _export(person: Person) -> dict[str, Any]:
    rows = Referral.objects.filter(_theirs(person)).order_by("id")
    return {
        "referrals_as_advocate": [_row(r) for r in rows if r.advocate_id == person.pk],
        "referrals_as_friend": [_row(r) for r in rows if r.friend_id == person.pk],
    }


def _erase(subject: Subject) -> dict[str, int]:
    referrals = Referral.objects.filter(site_id=subject.site_id, pk__in=subject.ids(REFERRAL))
    events = ReferralEvent.objects.filter(
        site_id=subject.site_id, referral_id__in=subject.ids(REFERRAL)
    )
    return {
        "referrals": scrub_rows(referrals, ["fraud_evidence", "fraud_details"], subject.scrubber),
        "referral_events": scrub_rows(events, ["reason", "actor_detail"], subject.scrubber),
    }


register("referrals", traces=_traces, export=_export, erase=_erase)
