"""Talkable-shaped JSON for people and referrals."""

from __future__ import annotations

from typing import Any

from goodword.api.v2.envelope import format_time
from goodword.people.models import Person
from goodword.referrals.models import Referral


def person_brief(person: Person) -> dict[str, Any]:
    return {
        "email": person.email,
        "first_name": person.first_name,
        "id": person.pk,
        "last_name": person.last_name,
        "phone_number": person.phone_number,
    }


def referral_json(referral: Referral) -> dict[str, Any]:
    status = referral.fraud_policies_status or {}
    return {
        # Rewards are paid once approval automation exists; until then nothing is rewarded.
        "ad_rewarded": False,
        "advocate_person": person_brief(referral.advocate),
        "advocate_rewards": [],
        "campaign_id": referral.campaign_id,
        "created_at": format_time(referral.created_at),
        "fraud_details": referral.fraud_details,
        "fraud_policies_status": {
            "blocked": list(status.get("blocked", [])),
            "flagged": list(status.get("flagged", [])),
            "passed": list(status.get("passed", [])),
            "skipped": list(status.get("skipped", [])),
        },
        "friend_person": person_brief(referral.friend),
        "friend_rewards": [],
        "id": referral.pk,
        "offer_id": referral.offer_id,
        "qa_generated": referral.qa_generated,
        "referred_origin_id": referral.origin_id,
        "referred_subtotal": referral.subtotal,
        "status": referral.status,
        "track_method": referral.track_method,
        "updated_at": format_time(referral.updated_at),
    }
