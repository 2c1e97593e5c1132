"""What the webhook log holds about a person (registered with goodword.privacy): deliveries
about them (their person, origins, offers, claims and referrals, and reward webhooks that name
them), with each attempt's response, scrubbed of what identifies them. A delivery still
pending goes out scrubbed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.people.models import Person
from goodword.privacy.registry import (
    CLAIM,
    OFFER,
    ORIGIN,
    REFERRAL,
    Subject,
    register,
    scrub_rows,
)
from goodword.privacy.services import person_traces
from goodword.webhooks.models import Delivery, DeliveryAttempt, HookType
from goodword.webhooks.types import Subject as About
from goodword.webhooks.types import SubjectKind


def _about(person_id: int, ids: dict[str, set[int]]) -> list[str]:
    kinds = {
        ORIGIN: SubjectKind.ORIGIN,
        OFFER: SubjectKind.OFFER,
        CLAIM: SubjectKind.CLAIM,
        REFERRAL: SubjectKind.REFERRAL,
    }
    keys = [About(SubjectKind.PERSON, person_id).key]
    for kind, subject_kind in kinds.items():
        keys += [About(subject_kind, i).key for i in sorted(ids.get(kind, ()))]
    return keys


def _deliveries(site_id: int, keys: list[str], unkeyed: Q) -> Q:
    # Reward webhooks of rewards without a referral carry no subject: found by their content.
    return Q(site_id=site_id) & (
        Q(subject__in=keys) | (Q(subject__isnull=True, hook_type=HookType.REWARD) & unkeyed)
    )


def _export(person: Person) -> dict[str, Any]:
    traces = person_traces(person)
    keys = _about(person.pk, traces.ids)
    unkeyed = Q(payload__icontains=person.email)
    rows = Delivery.objects.filter(_deliveries(person.site_id, keys, unkeyed)).order_by("id")
    return {
        "webhook_deliveries": [
            {
                "id": str(d.uuid),
                "type": d.hook_type,
                "status": d.status,
                "created_at": d.created_at,
                "attempts": d.attempts,
                "payload": d.payload,
                "extras": d.extras,
            }
            for d in rows
        ]
    }


def _erase(subject: Subject) -> dict[str, int]:
    keys = _about(subject.person_id, subject.traces.ids)
    deliveries = Delivery.objects.filter(
        _deliveries(subject.site_id, keys, subject.contains_any("payload"))
    )
    ids = list(deliveries.values_list("pk", flat=True))
    attempts = DeliveryAttempt.objects.filter(delivery_id__in=ids)
    return {
        "webhook_deliveries": scrub_rows(
            Delivery.objects.filter(pk__in=ids),
            ["payload", "extras", "last_error"],
            subject.scrubber,
        ),
        "webhook_attempts": scrub_rows(attempts, ["response_body", "error"], subject.scrubber),
    }


register("webhooks", export=_export, erase=_erase)
