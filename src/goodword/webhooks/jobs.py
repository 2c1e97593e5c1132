"""The worker's delivery jobs, a batch at a time: one attempt per delivery per run, then
delivered, retried later or given up (ADR 0021).

A batch is every delivery job of one claim. It is read in a few statements (the deliveries,
the earlier pending ones of their subjects, the sites' settings); the leases of the jobs to send
are renewed in one statement for longer than a request can take, so no other worker takes one
and sends it a second time while this one waits; the requests go out side by side from a small
pool of threads (connections kept alive per receiver and thread), outside any transaction, since
a slow receiver must not hold database locks; then the outcomes of the whole batch (the jobs'
completions and reschedules, the attempt rows, the deliveries, the facts a delivered referral
webhook leaves, the wake of the next delivery of a subject) commit in one transaction of a few
set-based statements. An effect is written only for a job whose completion or reschedule found
it still ours. A crash between sending and recording leaves the jobs to be sent again when their
leases run out, under the same delivery id (at least once; receivers de-duplicate on it).

Policy: 2xx delivered. No answer (network error, timeout), 408, 429 (Retry-After honoured) and
5xx are retried with exponential backoff and jitter until the site's retry window, counted from
the delivery's creation, is over. Other answers (3xx included: redirects are not followed) and
refused targets fail at once.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

from django.db import transaction

from goodword.core.clock import now
from goodword.core.db import fetch, is_postgres
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


@dataclass
class _Outcome:
    """What one attempt came to: `outcome` is delivered, failed or retry (then `next_at`)."""

    job: queue.Claimed
    delivery: Delivery
    attempt: DeliveryAttempt | None
    outcome: str
    error: str
    next_at: datetime | None = None


@queue.handler(DELIVER, own_transaction=True)
def deliver(job: queue.Claimed) -> None:
    """One delivery job on its own (`goodword webhooks redeliver`, tests): a batch of one."""
    deliver_batch([job], 1)


@queue.own_batch_handler(DELIVER)
def deliver_batch(jobs: list[queue.Claimed], threads: int) -> dict[str, int]:
    stamp = now()
    ids = {job.ref_id for job in jobs if job.ref_id is not None}
    deliveries = {d.pk: d for d in _DELIVERY_FIELDS.filter(pk__in=ids)} if ids else {}
    nothing: list[queue.Claimed] = []  # no delivery to send any more: the job just goes
    later: list[tuple[queue.Claimed, datetime]] = []  # waiting for an earlier one of their subject
    outcomes: list[_Outcome] = []
    candidates: list[tuple[queue.Claimed, Delivery]] = []
    taken: set[int] = set()
    for job in jobs:
        delivery = deliveries.get(job.ref_id) if job.ref_id is not None else None
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            nothing.append(job)
        elif delivery.pk in taken:  # a second job for one delivery: it looks again later
            later.append((job, stamp + timedelta(seconds=ORDER_RECHECK)))
        else:
            taken.add(delivery.pk)
            candidates.append((job, delivery))
    earlier = _earlier_pending([d for _, d in candidates if d.subject])
    sends: list[tuple[queue.Claimed, Delivery]] = []
    for job, delivery in candidates:
        if delivery.pk in earlier:
            # Out in order: the earlier one wakes this one when it is done; the recheck is a
            # backstop against a wake that raced with this reschedule (the earlier one finished
            # while this batch held the job).
            before = earlier[delivery.pk] or stamp
            later.append((job, max(before, stamp) + timedelta(seconds=ORDER_RECHECK)))
        elif delivery.subscription is None:
            outcomes.append(
                _Outcome(job, delivery, None, DeliveryStatus.FAILED, "the subscription was removed")
            )
        else:
            sends.append((job, delivery))
    if sends:
        # Renew the leases for the requests: a worker that lost a job must not send it.
        kept = queue.extend_leases([job for job, _ in sends], until=stamp + SEND_LEASE)
        sends = [(job, delivery) for job, delivery in sends if job.id in kept]
    settings = _settings({delivery.site_id for _, delivery in sends})
    outcomes.extend(_send_all(sends, settings, threads))
    return _record(outcomes, nothing, later, total=len(jobs))


# What a delivery's attempt needs, and no more (model instances are the batch's main CPU cost).
_DELIVERY_FIELDS = Delivery.objects.select_related("subscription", "site").only(
    "uuid",
    "site_id",
    "subscription_id",
    "hook_type",
    "payload",
    "extras",
    "subject",
    "status",
    "attempts",
    "last_status_code",
    "created_at",
    "site__slug",
    "subscription__url",
    "subscription__encoding",
)


def _pending_by_subject(
    deliveries: list[Delivery], **bound: int
) -> dict[tuple[int, str | None], list[tuple[int, datetime | None]]]:
    """The pending deliveries about the subjects of `deliveries`, oldest first, by (site,
    subject): (id, next attempt time) each. `bound` (`id__lt` or `id__gt`) narrows the ids.
    One query for the batch."""
    rows = (
        Delivery.objects.filter(
            site_id__in={d.site_id for d in deliveries},
            subject__in={d.subject for d in deliveries},
            status=DeliveryStatus.PENDING,
            **bound,
        )
        .order_by("id")
        .values_list("id", "site_id", "subject", "next_attempt_at")
    )
    pending: dict[tuple[int, str | None], list[tuple[int, datetime | None]]] = {}
    for pk, site_id, subject, next_at in rows:
        pending.setdefault((site_id, subject), []).append((pk, next_at))
    return pending


def _earlier_pending(deliveries: list[Delivery]) -> dict[int, datetime | None]:
    """For each of these deliveries that has an earlier pending one about the same subject:
    that one's next attempt time (None when it has none). One query for the batch."""
    if not deliveries:
        return {}
    pending = _pending_by_subject(deliveries, id__lt=max(d.pk for d in deliveries))
    out: dict[int, datetime | None] = {}
    for delivery in deliveries:
        found = pending.get((delivery.site_id, delivery.subject))
        if found and found[0][0] < delivery.pk:
            out[delivery.pk] = found[0][1]
    return out


def _settings(site_ids: set[int]) -> dict[int, WebhookSettings]:
    if not site_ids:
        return {}
    found = {s.site_id: s for s in WebhookSettings.objects.filter(site_id__in=site_ids)}
    for site_id in site_ids - set(found):
        found[site_id] = webhook_settings_get(site_id=site_id)
    return found


# ---------------------------------------------------------------- sending

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="send")
        return pool


@dataclass(frozen=True)
class _Sent:
    started: datetime
    response: transport.Response | None
    refused: str = ""


def _send(delivery: Delivery, settings: WebhookSettings) -> _Sent:
    """One request; no database access (it runs in a sending thread)."""
    assert delivery.subscription is not None
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
        return _Sent(started, None, str(refused))
    return _Sent(started, response)


def _send_all(
    sends: list[tuple[queue.Claimed, Delivery]],
    settings: dict[int, WebhookSettings],
    threads: int,
) -> list[_Outcome]:
    """Send every request, up to `threads` at once (in order, one by one, with one), and
    judge each answer."""
    if not sends:
        return []
    call: Callable[[tuple[queue.Claimed, Delivery]], _Sent] = lambda pair: _send(  # noqa: E731
        pair[1], settings[pair[1].site_id]
    )
    if threads <= 1 or len(sends) == 1:
        sent = [call(pair) for pair in sends]
    else:
        # Each thread takes the next request when it is free (one task per thread, not per
        # request: handing a thread each request costs more than the request's own bookkeeping).
        todo = deque(enumerate(sends))
        answers: list[_Sent | None] = [None] * len(sends)

        def work() -> None:
            while True:
                try:
                    index, pair = todo.popleft()
                except IndexError:
                    return
                answers[index] = call(pair)

        pool = _pool(threads)
        for future in [pool.submit(work) for _ in range(min(threads, len(sends)))]:
            future.result()
        sent = [answer for answer in answers if answer is not None]
    stamp = now()
    return [
        _judge(job, delivery, settings[delivery.site_id], result, stamp)
        for (job, delivery), result in zip(sends, sent, strict=True)
    ]


def _judge(
    job: queue.Claimed,
    delivery: Delivery,
    settings: WebhookSettings,
    sent: _Sent,
    stamp: datetime,
) -> _Outcome:
    response = sent.response
    if response is None:
        attempt = DeliveryAttempt(
            delivery=delivery, started_at=sent.started, latency_ms=0, error=sent.refused[:500]
        )
        return _Outcome(
            job, delivery, attempt, DeliveryStatus.FAILED, f"target refused: {sent.refused}"
        )
    attempt = DeliveryAttempt(
        delivery=delivery,
        started_at=sent.started,
        status_code=response.status,
        latency_ms=response.latency_ms,
        error=response.error,
        response_body=response.body,
    )
    status = response.status
    if status is not None and 200 <= status < 300:
        return _Outcome(job, delivery, attempt, DeliveryStatus.DELIVERED, "")
    error = response.error or f"HTTP {status}"
    if status is None or status in RETRY_STATUSES or status >= 500:
        deadline = delivery.created_at + timedelta(seconds=settings.retry_window_seconds)
        if stamp >= deadline:
            return _Outcome(
                job, delivery, attempt, DeliveryStatus.FAILED, f"retry window over; last: {error}"
            )
        delay = backoff(delivery.attempts + 1)
        asked = retry_after(response.headers, stamp)
        if asked is not None:
            delay = max(delay, asked)
        next_at = min(stamp + timedelta(seconds=delay), deadline)
        return _Outcome(job, delivery, attempt, "retry", error, next_at)
    reason = f"HTTP {status}: {'redirects are not followed' if status < 400 else 'refused'}"
    return _Outcome(job, delivery, attempt, DeliveryStatus.FAILED, reason)


# ---------------------------------------------------------------- recording


def _record(
    outcomes: list[_Outcome],
    nothing: list[queue.Claimed],
    later: list[tuple[queue.Claimed, datetime]],
    *,
    total: int,
) -> dict[str, int]:
    """The batch's outcomes in one transaction: the jobs first (completed, or rescheduled for a
    retry or a wait), then the effects of those that were still ours, set-based."""
    stamp = now()
    retries = [(o.job, o.next_at) for o in outcomes if o.outcome == "retry" and o.next_at]
    finished = [o.job for o in outcomes if o.outcome != "retry"]
    with transaction.atomic():
        done = queue.complete_many([*finished, *nothing]) if finished or nothing else set()
        moved = queue.reschedule_many([*later, *retries]) if later or retries else set()
        ours = [o for o in outcomes if o.job.id in done or o.job.id in moved]
        attempts = [o.attempt for o in ours if o.attempt is not None]
        for o in ours:
            if o.attempt is not None:
                o.attempt.outcome = o.outcome
        if attempts:
            DeliveryAttempt.objects.bulk_create(attempts)
        if ours:
            _update_deliveries(ours, stamp)
        facts = [
            queue.NewJob(
                site_id=o.delivery.site_id,
                kind=REFERRAL_WEBHOOK_DELIVERED,
                ref_id=subject.id,
                run_after=stamp,
            )
            for o in ours
            if o.outcome == DeliveryStatus.DELIVERED
            and (subject := _referral_subject(o.delivery)) is not None
        ]
        if facts:
            queue.enqueue_many(facts)
        _wake_following([o.delivery for o in ours if o.outcome != "retry"], stamp)
    # "lost": jobs whose lease ran out and another worker took (not sent, or sent but their
    # effect is not ours to record).
    ran = {"done": len(done), "rescheduled": len(moved), "lost": total - len(done) - len(moved)}
    return {k: v for k, v in ran.items() if v}


def _referral_subject(delivery: Delivery) -> Subject | None:
    """A delivered referral webhook is a fact others wait for (the referral's pay gate): it is
    left on the queue, in the recording transaction, for their handler; webhooks knows no
    reader."""
    if delivery.hook_type != HookType.REFERRAL or not delivery.subject:
        return None
    subject = Subject.from_key(delivery.subject)
    return subject if subject is not None and subject.kind == SubjectKind.REFERRAL else None


_D = Delivery._meta.db_table
_UPDATE_PG = f"""
UPDATE {_D} AS d SET status = v.status, attempts = v.attempts, last_status_code = v.code,
       last_error = v.error, next_attempt_at = v.next_at, finished_at = v.finished_at
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS status,
             unnest(%s::int[]) AS attempts, unnest(%s::int[]) AS code,
             unnest(%s::text[]) AS error, unnest(%s::timestamptz[]) AS next_at,
             unnest(%s::timestamptz[]) AS finished_at) AS v
WHERE d.id = v.id
"""
_UPDATE_COLUMNS = "id, status, attempts, code, error, next_at, finished_at"


def _update_deliveries(outcomes: list[_Outcome], stamp: datetime) -> None:
    """Every delivery of the batch in one statement: its status, attempts and last answer."""
    rows = []
    for o in outcomes:
        d = o.delivery
        pending = o.outcome == "retry"
        d.status = DeliveryStatus.PENDING if pending else o.outcome
        if o.attempt is not None:
            d.attempts += 1
            d.last_status_code = o.attempt.status_code
        d.last_error = o.error[:500]
        d.next_attempt_at = o.next_at if pending else None
        d.finished_at = None if pending else stamp
        rows.append(
            (
                d.pk,
                d.status,
                d.attempts,
                d.last_status_code,
                d.last_error,
                d.next_attempt_at,
                d.finished_at,
            )
        )
    if is_postgres():
        fetch(_UPDATE_PG, [list(column) for column in zip(*rows, strict=True)])
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    fetch(
        f"WITH v({_UPDATE_COLUMNS}) AS (VALUES {values}) "
        f"UPDATE {_D} SET status = v.status, attempts = v.attempts, last_status_code = v.code, "
        f"last_error = v.error, next_attempt_at = v.next_at, finished_at = v.finished_at "
        f"FROM v WHERE {_D}.id = v.id",
        [value for row in rows for value in row],
    )


def _wake_following(finished: list[Delivery], stamp: datetime) -> None:
    """Each finished delivery about a subject makes the next pending one of that subject due
    now: one query for them all and one update."""
    with_subject = [d for d in finished if d.subject]
    if not with_subject:
        return
    pending = _pending_by_subject(with_subject, id__gt=min(d.pk for d in with_subject))
    following = set()
    for d in with_subject:
        after = [pk for pk, _ in pending.get((d.site_id, d.subject), []) if pk > d.pk]
        if after:
            following.add(after[0])
    if following:
        queue.wake_many(kind=DELIVER, ref_ids=following, at=stamp)
