"""What rewards hold about a person (registered with goodword.privacy). Reward rows stay, tied
to the pseudonymous person, so the program's numbers add up; only their free-text notes are
scrubbed of what identifies the person."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.people.models import Person
from goodword.privacy.registry import REWARD, Subject, Traces, register, scrub_rows
from goodword.rewards.models import Reward


def _theirs(person: Person) -> Q:
    return Q(site_id=person.site_id) & (
        Q(person_id=person.pk) | Q(advocate_id=person.pk) | Q(friend_id=person.pk)
    )


def _traces(person: Person) -> Traces:
    traces = Traces()
    traces.add_ids(REWARD, Reward.objects.filter(_theirs(person)).values_list("pk", flat=True))
    return traces


def _export(person: Person) -> dict[str, Any]:
    rewards = Reward.objects.filter(site_id=person.site_id, person_id=person.pk).order_by("id")
    return {
        "rewards": [
            {
                "id": r.pk,
                "reason": r.reason,
                "status": r.status,
                "status_reason": r.status_reason or None,
                "incentive_identifier": r.incentive_identifier,
                "incentive_type": r.incentive_type,
                "amount": r.amount,
                "amount_type": r.amount_type,
                "currency": r.currency,
                "coupon_code": r.coupon_code,
                "referral_id": r.referral_id,
                "created_at": r.created_at,
                "paid_at": r.paid_at,
            }
            for r in rewards
        ]
    }


def _erase(subject: Subject) -> dict[str, int]:
    rewards = Reward.objects.filter(site_id=subject.site_id, pk__in=subject.ids(REWARD))
    return {"rewards": scrub_rows(rewards, ["status_reason", "description"], subject.scrubber)}


register("rewards", traces=_traces, export=_export, erase=_erase)
