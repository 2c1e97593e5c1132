"""Webhook writes: emitting deliveries, settings and secret rotation, redelivery.

`webhook_emit` runs inside the caller's transaction: the deliveries and their worker jobs commit
or roll back with the change that caused them (DESIGN.md, invariant 1).
"""

from __future__ import annotations

import json
import secrets as _secrets
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db import transaction

from goodword.core.clock import format_time, now
from goodword.core.db import fetch, is_postgres
from goodword.core.errors import NotFound, ValidationFailed
from goodword.sites.auth import site_ref
from goodword.webhooks import signing
from goodword.webhooks.locks import webhook_settings_lock
from goodword.webhooks.models import (
    Delivery,
    DeliveryStatus,
    HookType,
    Subscription,
    WebhookSettings,
)
from goodword.webhooks.selectors import subscribed_types
from goodword.webhooks.types import Subject
from goodword.worker import queue

DELIVER = "webhook_deliver"  # the worker job kind; ref_id is the Delivery's id
HOOK_TYPES = frozenset(HookType.values)


# ---------------------------------------------------------------- emitting


def site_subscribes(*, site_id: int, hook_type: str) -> bool:
    """Whether the site has an active subscription of this type (a snapshot a few seconds old
    at most; no query while it is fresh)."""
    return hook_type in subscribed_types(site_id)


def payload_render(value: dict[str, Any] | None, *, zone: tzinfo) -> dict[str, Any]:
    """What the JSON columns store and the receiver gets: no Decimals or datetimes left, every
    moment written by `format_time` in `zone` (the site's), as Talkable writes them."""

    def default(item: Any) -> Any:
        if isinstance(item, Decimal):
            return int(item) if item == item.to_integral_value() else float(item)
        if isinstance(item, datetime):
            return format_time(item, zone)
        if hasattr(item, "isoformat"):
            return item.isoformat()
        return str(item)

    return dict(json.loads(json.dumps(value or {}, default=default)))


def site_zone(site_id: int) -> tzinfo:
    """The site's zone, from the process's site cache (no query while it is fresh)."""
    return site_ref(site_id).zone


def webhook_emit(
    *,
    site_id: int,
    hook_type: str,
    payload: dict[str, Any],
    extras: dict[str, Any] | None = None,
    subject: Subject | None = None,
) -> int:
    """One delivery (and its worker job) per active subscription of `hook_type`; how many.

    Call inside the transaction of the change that causes the webhook. No query at all when the
    site's cached snapshot has no subscription of the type. `subject` orders deliveries: one
    about the same subject as an earlier pending one waits for it to be delivered or given up."""
    if hook_type not in HOOK_TYPES:
        raise ValueError(f"unknown webhook type {hook_type!r}")
    if hook_type not in subscribed_types(site_id):
        return 0
    key = subject.key if subject is not None else None
    stamp = now()
    zone = site_zone(site_id)
    body, more = payload_render(payload, zone=zone), payload_render(extras, zone=zone)
    if is_postgres():
        return _emit_postgres(site_id, hook_type, body, more, key, stamp)
    subscriptions = list(
        Subscription.objects.filter(site_id=site_id, hook_type=hook_type, active=True)
        .order_by("id")
        .values_list("id", "url")
    )
    if not subscriptions:
        return 0
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                site_id=site_id,
                subscription_id=sub_id,
                hook_type=hook_type,
                url=url,
                payload=body,
                extras=more,
                subject=key,
                created_at=stamp,
                next_attempt_at=stamp,
            )
            for sub_id, url in subscriptions
        ]
    )
    queue.enqueue_many(
        queue.NewJob(site_id=site_id, kind=DELIVER, ref_id=d.pk, run_after=stamp)
        for d in deliveries
    )
    return len(deliveries)


_D = Delivery._meta.db_table
_S = Subscription._meta.db_table
_J = queue.JOB_TABLE
_JOB_VALUES = queue.job_insert_values(
    site_id="%s",
    kind=f"'{DELIVER}'",
    ref_id="d.id",
    payload="'{}'::jsonb",
    run_after="%s",
    created_at="%s",
)
# One round trip on PostgreSQL: the deliveries, from the subscriptions as this transaction sees
# them (a subscription removed a moment ago is not in the snapshot's way), and their jobs.
_EMIT_PG = f"""
WITH d AS (
  INSERT INTO {_D} (uuid, site_id, subscription_id, hook_type, url, payload, extras, subject,
                    status, attempts, last_error, created_at, next_attempt_at)
  SELECT gen_random_uuid(), s.site_id, s.id, s.hook_type, s.url, %s::jsonb, %s::jsonb, %s,
         'pending', 0, '', %s, %s
  FROM {_S} s WHERE s.site_id = %s AND s.hook_type = %s AND s.active ORDER BY s.id
  RETURNING id
), j AS (
  INSERT INTO {_J} ({queue.JOB_INSERT_COLUMNS})
  SELECT {_JOB_VALUES} FROM d
)
SELECT count(*) FROM d
"""


def _emit_postgres(
    site_id: int,
    hook_type: str,
    body: dict[str, Any],
    extras: dict[str, Any],
    subject: str | None,
    stamp: Any,
) -> int:
    from psycopg.types.json import Jsonb

    rows = fetch(
        _EMIT_PG,
        [
            Jsonb(body),
            Jsonb(extras),
            subject,
            stamp,
            stamp,
            site_id,
            hook_type,
            site_id,
            stamp,
            stamp,
        ],
    )
    return int(rows[0][0])


# ---------------------------------------------------------------- settings and secrets


def new_security_key() -> str:
    return _secrets.token_hex(16)


def webhook_settings_get(*, site_id: int) -> WebhookSettings:
    """The site's webhook settings, made with fresh secrets the first time they are needed."""
    found = WebhookSettings.objects.filter(site_id=site_id).first()
    if found is not None:
        return found
    with transaction.atomic():
        found, _ = WebhookSettings.objects.get_or_create(
            site_id=site_id,
            defaults={
                "security_key": new_security_key(),
                "signing_secret": signing.new_secret(),
            },
        )
    return found


def signing_secrets(settings: WebhookSettings) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while it overlaps."""
    out = [settings.signing_secret]
    if (
        settings.previous_signing_secret
        and settings.previous_secret_expires_at is not None
        and settings.previous_secret_expires_at > now()
    ):
        out.append(settings.previous_signing_secret)
    return out


def signing_secret_rotate(*, site_id: int, overlap: timedelta) -> str:
    """A new signing secret; the current one keeps signing beside it for `overlap`. Returns the
    new secret (shown once by the CLI)."""
    if overlap < timedelta(0):
        raise ValidationFailed("overlap_invalid", "The overlap must not be negative.")
    with transaction.atomic():
        settings = webhook_settings_get(site_id=site_id)
        settings = webhook_settings_lock(id=settings.pk)
        settings.previous_signing_secret = settings.signing_secret
        settings.previous_secret_expires_at = now() + overlap
        settings.signing_secret = signing.new_secret()
        settings.save()
    return settings.signing_secret


# ---------------------------------------------------------------- operators


def delivery_find(*, ident: str) -> Delivery:
    """A delivery by its numeric id or its delivery id (uuid)."""
    qs = Delivery.objects.select_related("site")
    found: Delivery | None
    if ident.isdigit():
        found = qs.filter(pk=int(ident)).first()
    else:
        import uuid

        try:
            found = qs.filter(uuid=uuid.UUID(ident)).first()
        except ValueError:
            raise ValidationFailed(
                "delivery_id_invalid", f"{ident!r} is neither a delivery number nor a uuid."
            ) from None
    if found is None:
        raise NotFound("delivery_not_found", f"No webhook delivery {ident}.")
    return found


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery's payload again as a new delivery (a new delivery id, so a receiver that
    de-duplicates takes it), to the subscription's current URL."""
    if delivery.subscription_id is None:
        raise ValidationFailed(
            "subscription_removed",
            f"The subscription of delivery {delivery.pk} was removed; nothing to send it to.",
        )
    stamp = now()
    with transaction.atomic():
        subscription = Subscription.objects.get(pk=delivery.subscription_id)
        again = Delivery.objects.create(
            site_id=delivery.site_id,
            subscription=subscription,
            hook_type=delivery.hook_type,
            url=subscription.url,
            payload=delivery.payload,
            extras=delivery.extras,
            subject=delivery.subject,
            redelivery_of=delivery,
            created_at=stamp,
            next_attempt_at=stamp,
        )
        queue.enqueue(site_id=delivery.site_id, kind=DELIVER, ref_id=again.pk, run_after=stamp)
    return again


def pending_count(*, site_id: int) -> int:
    return Delivery.objects.filter(site_id=site_id, status=DeliveryStatus.PENDING).count()
