"""The worker's delivery job: one attempt per run, then delivered, retried later or given up.

The HTTP request runs outside any transaction (the handler is registered `own_transaction`):
a slow receiver must not hold database locks. Before sending, the job's lease is renewed for
longer than the request can take, so no other worker can take the job and send it a second time
while this one waits for an answer. The outcome, the attempt row and the job's completion then
commit together.

Policy: 2xx delivered. No answer (network error, timeout), 408, 429 (Retry-After honoured) and
5xx are retried with exponential backoff and jitter until the site's retry window, counted from
the delivery's creation, is over. Other answers (3xx included: redirects are not followed) and
refused targets fail at once.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import QuerySet

from goodword.core.clock import now
from goodword.webhooks import signing, transport
from goodword.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Encoding,
    HookType,
    WebhookSettings,
)
from goodword.webhooks.services import DELIVER, signing_secrets, webhook_settings_get
from goodword.webhooks.types import REFERRAL_WEBHOOK_DELIVERED, Subject, SubjectKind
from goodword.worker import queue

BACKOFF_BASE = 10.0  # seconds before the second attempt; doubles with every failure
BACKOFF_CAP = 3600.0  # never wait longer than an hour between attempts (bar Retry-After)
RETRY_AFTER_CAP = 24 * 3600.0
ORDER_RECHECK = 1.0  # a delivery waiting for an earlier one of its subject looks again after
# The lease taken before sending: longer than connect + read timeouts, well inside LEASE.
SEND_LEASE = timedelta(seconds=transport.CONNECT_TIMEOUT + transport.READ_TIMEOUT + 30)
USER_AGENT = "Goodword-Webhooks/1"
RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: dict[str, str]


def request_build(
    *, delivery: Delivery, settings: WebhookSettings, site_slug: str, timestamp: int
) -> Request:
    """The exact bytes and headers of one attempt (a fresh timestamp and signature each time;
    the delivery id stays)."""
    document = {
        "key": settings.security_key,
        "site": site_slug,
        "type": delivery.hook_type,
        "extras": delivery.extras or {},
        "payload": delivery.payload,
    }
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    encoding = delivery.subscription.encoding if delivery.subscription else Encoding.JSON
    if encoding == Encoding.FORM:
        body = urlencode({"payload": text}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = text.encode()
        content_type = "application/json"
    headers = {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        signing.DELIVERY_HEADER: str(delivery.uuid),
        signing.EVENT_HEADER: delivery.hook_type,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature_header(
            secrets_=signing_secrets(settings), timestamp=timestamp, body=body
        ),
    }
    return Request(body=body, headers=headers)


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: exponential, capped, with
    jitter (half fixed, half random) so that deliveries failing together spread out."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def retry_after(headers: dict[str, str], at: datetime) -> float | None:
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max((moment - at).total_seconds(), 0.0), RETRY_AFTER_CAP)


@queue.handler(DELIVER, own_transaction=True)
def deliver(job: queue.Claimed) -> None:
    if job.ref_id is None:
        with transaction.atomic():
            queue.complete(job)
        return
    delivery = Delivery.objects.select_related("subscription", "site").filter(pk=job.ref_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        with transaction.atomic():
            queue.complete(job)
        return
    stamp = now()
    if delivery.subject:
        earlier = (
            _pending_of_subject(delivery, id__lt=delivery.pk)
            .values_list("id", "next_attempt_at")
            .first()
        )
        if earlier is not None:
            # Out in order: the earlier one wakes this one when it is done; the recheck is a
            # backstop against a wake that raced with this reschedule.
            wait = max(earlier[1] or stamp, stamp) + timedelta(seconds=ORDER_RECHECK)
            raise queue.Reschedule(wait)
    if delivery.subscription is None:
        _finish(job, delivery, None, "failed", "the subscription was removed")
        return
    settings = webhook_settings_get(site_id=delivery.site_id)
    # Renew the lease for the request: a worker that lost the job must not send it.
    if not queue.extend_lease(job, until=stamp + SEND_LEASE):
        return
    started = now()
    request = request_build(
        delivery=delivery,
        settings=settings,
        site_slug=delivery.site.slug,
        timestamp=int(time.time()),
    )
    try:
        response = transport.post(
            url=delivery.subscription.url,
            body=request.body,
            headers=request.headers,
            allow_private=settings.allow_private_targets,
        )
    except transport.TargetRefused as refused:
        attempt = DeliveryAttempt(
            delivery=delivery, started_at=started, latency_ms=0, error=str(refused)[:500]
        )
        _finish(job, delivery, attempt, "failed", f"target refused: {refused}")
        return
    attempt = DeliveryAttempt(
        delivery=delivery,
        started_at=started,
        status_code=response.status,
        latency_ms=response.latency_ms,
        error=response.error,
        response_body=response.body,
    )
    status = response.status
    if status is not None and 200 <= status < 300:
        _finish(job, delivery, attempt, "delivered", "")
        return
    error = response.error or f"HTTP {status}"
    if status is None or status in RETRY_STATUSES or status >= 500:
        _retry(job, delivery, attempt, settings, error, response.headers)
        return
    reason = f"HTTP {status}: {'redirects are not followed' if status < 400 else 'refused'}"
    _finish(job, delivery, attempt, "failed", reason)


def _retry(
    job: queue.Claimed,
    delivery: Delivery,
    attempt: DeliveryAttempt,
    settings: WebhookSettings,
    error: str,
    headers: dict[str, str],
) -> None:
    stamp = now()
    deadline = delivery.created_at + timedelta(seconds=settings.retry_window_seconds)
    if stamp >= deadline:
        _finish(job, delivery, attempt, "failed", f"retry window over; last: {error}")
        return
    delay = backoff(delivery.attempts + 1)
    asked = retry_after(headers, stamp)
    if asked is not None:
        delay = max(delay, asked)
    next_at = min(stamp + timedelta(seconds=delay), deadline)
    with transaction.atomic():
        attempt.outcome = "retry"
        attempt.save()
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts + 1,
            last_status_code=attempt.status_code,
            last_error=error[:500],
            next_attempt_at=next_at,
        )
    raise queue.Reschedule(next_at)


def _finish(
    job: queue.Claimed,
    delivery: Delivery,
    attempt: DeliveryAttempt | None,
    outcome: str,
    error: str,
) -> None:
    """Delivered or given up: the attempt, the delivery, what a delivery leaves behind, waking
    the next one of the subject and the job's completion, in one transaction."""
    stamp = now()
    with transaction.atomic():
        fields: dict[str, Any] = {
            "status": outcome,
            "finished_at": stamp,
            "next_attempt_at": None,
            "last_error": error[:500],
        }
        if attempt is not None:
            attempt.outcome = outcome
            attempt.save()
            fields["attempts"] = delivery.attempts + 1
            fields["last_status_code"] = attempt.status_code
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        for name, value in fields.items():
            setattr(delivery, name, value)
        if outcome == DeliveryStatus.DELIVERED:
            _delivered_fact(delivery, stamp)
        if delivery.subject:
            _wake_next(delivery, stamp)
        if not queue.complete(job):
            transaction.set_rollback(True)


def _delivered_fact(delivery: Delivery, stamp: datetime) -> None:
    """A delivered referral webhook is a fact others wait for (the referral's pay gate): it is
    left on the queue, in this transaction, for their handler; webhooks knows no reader."""
    if delivery.hook_type != HookType.REFERRAL:
        return
    subject = Subject.from_key(delivery.subject)
    if subject is not None and subject.kind == SubjectKind.REFERRAL:
        queue.enqueue(
            site_id=delivery.site_id,
            kind=REFERRAL_WEBHOOK_DELIVERED,
            ref_id=subject.id,
            run_after=stamp,
        )


def _pending_of_subject(delivery: Delivery, **around: int) -> QuerySet[Delivery]:
    """The pending deliveries about the same subject, oldest first (`id__lt` or `id__gt`)."""
    return Delivery.objects.filter(
        site_id=delivery.site_id,
        subject=delivery.subject,
        status=DeliveryStatus.PENDING,
        **around,
    ).order_by("id")


def _wake_next(delivery: Delivery, stamp: datetime) -> None:
    following = (
        _pending_of_subject(delivery, id__gt=delivery.pk).values_list("id", flat=True).first()
    )
    if following is not None:
        queue.wake(kind=DELIVER, ref_id=following, at=stamp)
