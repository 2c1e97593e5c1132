"""`goodword webhooks ...`: the delivery log, redelivery, samples and signing secrets."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from goodword.webhooks.types import HOOK_TYPES


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def _send_now(delivery_ids: list[int]) -> None:
    """Run these deliveries' jobs in this process (the worker would within its poll)."""
    from goodword.webhooks import jobs  # noqa: F401 - registers the handler
    from goodword.webhooks.services import DELIVER
    from goodword.worker import queue

    for delivery_id in delivery_ids:
        for job in queue.claim(limit=1, kind=DELIVER, ref_id=delivery_id):
            queue.run_one(job)


def _delivery_json(delivery_id: int, site_id: int) -> dict[str, Any]:
    from goodword.webhooks.selectors import delivery_log

    for entry in delivery_log(site_id=site_id, limit=50):
        if entry["id"] == delivery_id:
            return entry
    return {"id": delivery_id}


def cmd_redeliver(args: argparse.Namespace) -> int:
    from goodword.webhooks.services import delivery_find, delivery_redeliver

    again = delivery_redeliver(delivery=delivery_find(ident=args.id))
    if not args.queue:
        _send_now([again.pk])
    _print_json(_delivery_json(again.pk, again.site_id))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from django.db import transaction

    from goodword.core.errors import ValidationFailed
    from goodword.sites.selectors import site_get
    from goodword.webhooks.models import Delivery
    from goodword.webhooks.samples import sample_payload
    from goodword.webhooks.selectors import forget_hooks
    from goodword.webhooks.services import webhook_emit, webhook_settings_get

    site = site_get(slug=args.slug)
    payload = sample_payload(args.type)
    if args.print:
        settings = webhook_settings_get(site_id=site.pk)
        _print_json(
            {
                "key": settings.security_key,
                "site": site.slug,
                "type": args.type,
                "extras": {"sample": True},
                "payload": payload,
            }
        )
        return 0
    forget_hooks(site.pk)
    with transaction.atomic():
        before = Delivery.objects.filter(site=site).order_by("-id").values_list("id", flat=True)
        last = before.first() or 0
        count = webhook_emit(
            site_id=site.pk, hook_type=args.type, payload=payload, extras={"sample": True}
        )
    if not count:
        raise ValidationFailed(
            "no_subscription", f"Site {site.slug} has no active {args.type} subscription."
        )
    made = list(
        Delivery.objects.filter(site=site, id__gt=last).order_by("id").values_list("id", flat=True)
    )
    _send_now(made)
    _print_json([_delivery_json(i, site.pk) for i in made])
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from goodword.sites.selectors import site_get
    from goodword.webhooks.selectors import delivery_log

    site = site_get(slug=args.slug)
    _print_json(
        {
            "site_slug": site.slug,
            "deliveries": delivery_log(site_id=site.pk, limit=args.limit, status=args.status),
        }
    )
    return 0


def cmd_secret(args: argparse.Namespace) -> int:
    from goodword.config.schema import parse_duration
    from goodword.core.errors import ValidationFailed
    from goodword.sites.selectors import site_get
    from goodword.webhooks.models import WebhookSettings
    from goodword.webhooks.services import signing_secret_rotate, webhook_settings_get

    site = site_get(slug=args.slug)
    if args.rotate:
        try:
            overlap = parse_duration(args.overlap)
        except ValueError as exc:
            raise ValidationFailed("overlap_invalid", f"--overlap {exc}") from None
        signing_secret_rotate(site_id=site.pk, overlap=timedelta(seconds=overlap))
    settings: WebhookSettings = webhook_settings_get(site_id=site.pk)
    out: dict[str, Any] = {"site_slug": site.slug, "signing_secret": settings.signing_secret}
    if settings.previous_signing_secret and settings.previous_secret_expires_at:
        out["previous_signing_secret"] = settings.previous_signing_secret
        out["previous_signs_until"] = settings.previous_secret_expires_at
    _print_json(out)
    return 0


def add_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help="webhook deliveries, redelivery, samples, secrets")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)

    p = hooks_sub.add_parser("log", help="a site's recent deliveries with their attempts")
    p.add_argument("slug")
    p.add_argument("--limit", type=int, default=20, help="how many deliveries, newest first")
    p.add_argument("--status", choices=["pending", "delivered", "failed"])
    p.set_defaults(func=cmd_log)

    p = hooks_sub.add_parser(
        "redeliver", help="send a delivery's payload again, as a new delivery (sent at once)"
    )
    p.add_argument("id", help="the delivery's number or its delivery id (uuid)")
    p.add_argument("--queue", action="store_true", help="leave it to the worker")
    p.set_defaults(func=cmd_redeliver)

    p = hooks_sub.add_parser(
        "sample", help="send a sample webhook of a type to the site's subscriptions of it"
    )
    p.add_argument("slug")
    p.add_argument("type", choices=HOOK_TYPES)
    p.add_argument("--print", action="store_true", help="print the body, send nothing")
    p.set_defaults(func=cmd_sample)

    p = hooks_sub.add_parser(
        "secret", help="show the signing secret; --rotate makes a new one with an overlap"
    )
    p.add_argument("slug")
    p.add_argument("--rotate", action="store_true")
    p.add_argument(
        "--overlap", default="24h", help="how long the old secret keeps signing (default 24h)"
    )
    p.set_defaults(func=cmd_secret)
