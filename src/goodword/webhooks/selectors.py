"""Reads: which hook types a site subscribes to (cached per process), the delivery log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goodword.core.cache import TTLCache
from goodword.core.clock import now
from goodword.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    HookType,
    Subscription,
)
from goodword.webhooks.types import Subject, SubjectKind

HOOKS_CACHE_SECONDS = 5.0

_types: TTLCache[int, frozenset[str]] = TTLCache(seconds=HOOKS_CACHE_SECONDS)


def forget_hooks(site_id: int | None = None) -> None:
    """Drop the snapshot (config apply and admin saves call it on commit); other processes see a
    change within HOOKS_CACHE_SECONDS."""
    if site_id is None:
        _types.clear()
    else:
        _types.forget(site_id)


def subscribed_types(site_id: int) -> frozenset[str]:
    """The hook types with at least one active subscription: a snapshot kept a few seconds, so
    the hot paths ask without a query. It only decides whether to look further: deliveries are
    made from the subscriptions as they are in the emitting transaction."""
    return _types.get(site_id, _active_types)


def _active_types(site_id: int) -> frozenset[str]:
    return frozenset(
        Subscription.objects.filter(site_id=site_id, active=True)
        .values_list("hook_type", flat=True)
        .distinct()
    )


def referral_webhook_delivered(*, site_id: int, referral_id: int) -> bool:
    """Whether a `referral_web_hook` about the referral was delivered (to any subscription)."""
    return Delivery.objects.filter(
        site_id=site_id,
        hook_type=HookType.REFERRAL,
        subject=Subject.referral(referral_id).key,
        status=DeliveryStatus.DELIVERED,
    ).exists()


def delivery_log(
    *, site_id: int, limit: int = 20, status: str | None = None, attempts: int = 5
) -> list[dict[str, Any]]:
    """Recent deliveries, newest first, each with its latest attempts."""
    qs = Delivery.objects.filter(site_id=site_id).order_by("-id")
    if status is not None:
        qs = qs.filter(status=status)
    deliveries = list(qs[:limit])
    log: dict[int, list[DeliveryAttempt]] = {d.pk: [] for d in deliveries}
    for attempt in DeliveryAttempt.objects.filter(delivery_id__in=list(log)).order_by("-id"):
        if len(log[attempt.delivery_id]) < attempts:
            log[attempt.delivery_id].append(attempt)
    return [
        {
            "id": d.pk,
            "delivery_id": str(d.uuid),
            "type": d.hook_type,
            "url": d.url,
            "subject": d.subject,
            "status": d.status,
            "attempts": d.attempts,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
            "finished_at": d.finished_at,
            "last_error": d.last_error or None,
            "redelivery_of": d.redelivery_of_id,
            "recent_attempts": [
                {
                    "at": a.started_at,
                    "status_code": a.status_code,
                    "latency_ms": a.latency_ms,
                    "outcome": a.outcome,
                    "error": a.error or None,
                    "response_body": a.response_body,
                }
                for a in log[d.pk]
            ],
        }
        for d in deliveries
    ]


@dataclass(frozen=True)
class CheckAnswer:
    """The merchant's answer to `check_unsubscribe_web_hook` about one recipient. `waiting`:
    a delivery is still pending; `unsubscribed`: a delivered answer's JSON said
    `"unsubscribed": true`. No subscription, a failed delivery or an answer without that
    field: not waiting, not unsubscribed."""

    waiting: bool
    unsubscribed: bool
    retry_at: datetime | None = None


def check_unsubscribe_answer(*, site_id: int, recipient_id: int) -> CheckAnswer:
    subject = Subject(SubjectKind.SHARE_RECIPIENT, recipient_id).key
    deliveries = list(
        Delivery.objects.filter(
            site_id=site_id, hook_type=HookType.CHECK_UNSUBSCRIBE, subject=subject
        ).values_list("id", "status", "next_attempt_at")
    )
    pending = [d for d in deliveries if d[1] == DeliveryStatus.PENDING]
    delivered = [d[0] for d in deliveries if d[1] == DeliveryStatus.DELIVERED]
    bodies = DeliveryAttempt.objects.filter(
        delivery_id__in=delivered, outcome=DeliveryStatus.DELIVERED
    ).values_list("response_body", flat=True)
    if any(_says_unsubscribed(body) for body in bodies):
        return CheckAnswer(waiting=False, unsubscribed=True)
    if pending:
        return CheckAnswer(
            waiting=True, unsubscribed=False, retry_at=min(d[2] or now() for d in pending)
        )
    return CheckAnswer(waiting=False, unsubscribed=False)


def _says_unsubscribed(body: str) -> bool:
    try:
        document = json.loads(body or "null")
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("unsubscribed") is True
