"""`goodword webhooks ...`: the delivery log, redelivery, samples, signing secrets, and a local
receiver that prints what arrives."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from goodword.core.cli import (
    add_command,
    add_group,
    add_limit_option,
    add_slug_argument,
    print_json,
)
from goodword.webhooks.types import HOOK_TYPES


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
    """send a delivery's payload again, as a new delivery (sent at once)

    Send a delivery's payload again as a new delivery with a new id, at once (or by the
    worker with --queue); prints it with its attempt."""

    from goodword.webhooks.services import delivery_find, delivery_redeliver

    again = delivery_redeliver(delivery=delivery_find(ident=args.id))
    if not args.queue:
        _send_now([again.pk])
    print_json(_delivery_json(again.pk, again.site_id))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """send a sample webhook of a type to the site's subscriptions of it

    Send a sample payload of a webhook type to the site's subscriptions of that type, at
    once, marked `extras.sample`; --print shows the body instead."""

    from django.db import transaction

    from goodword.core.errors import ValidationFailed
    from goodword.sites.selectors import site_get
    from goodword.webhooks.models import Delivery
    from goodword.webhooks.samples import sample_payload
    from goodword.webhooks.selectors import forget_hooks
    from goodword.webhooks.services import (
        payload_render,
        site_zone,
        webhook_emit,
        webhook_settings_get,
    )

    site = site_get(slug=args.slug)
    payload = sample_payload(args.type)
    if args.print:
        settings = webhook_settings_get(site_id=site.pk)
        print_json(
            {
                "key": settings.security_key,
                "site": site.slug,
                "type": args.type,
                "extras": {"sample": True},
                "payload": payload_render(payload, zone=site_zone(site.pk)),
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
    print_json([_delivery_json(i, site.pk) for i in made])
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """a site's recent deliveries with their attempts

    A site's recent deliveries, newest first, with each attempt, as JSON."""

    from goodword.sites.selectors import site_get
    from goodword.webhooks.selectors import delivery_log

    site = site_get(slug=args.slug)
    print_json(
        {
            "site_slug": site.slug,
            "deliveries": delivery_log(site_id=site.pk, limit=args.limit, status=args.status),
        }
    )
    return 0


def cmd_secret(args: argparse.Namespace) -> int:
    """show the signing secret; --rotate makes a new one with an overlap

    Show the site's webhook signing secret as JSON; --rotate replaces it, the old one
    signing beside it for --overlap."""

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
    print_json(out)
    return 0


def _decoded(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def receiver(
    *, host: str, port: int, secret: str | None, count: int | None, out: Any = None
) -> ThreadingHTTPServer:
    """An HTTP server that answers 200 to every POST and prints each one as a JSON line:
    the event, the delivery id, whether the signature checks out (with `secret`) and the
    payload. With `count`, it shuts itself down after that many deliveries."""
    from goodword.webhooks.signing import (
        DELIVERY_HEADER,
        EVENT_HEADER,
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        verify,
    )

    stream = out or sys.stdout
    lock = threading.Lock()
    received = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            verified = None
            if secret:
                verified = verify(
                    secret=secret,
                    header=self.headers.get(SIGNATURE_HEADER, ""),
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=body,
                )
            line = {
                "received_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "path": self.path,
                "event": self.headers.get(EVENT_HEADER),
                "delivery": self.headers.get(DELIVERY_HEADER),
                "verified": verified,
                "body": _decoded(body, self.headers.get("Content-Type", "")),
            }
            self.send_response(200 if verified is not False else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                stream.write(json.dumps(line, default=str) + "\n")
                stream.flush()
                received[0] += 1
                if count is not None and received[0] >= count:
                    threading.Thread(target=server.shutdown, daemon=True).start()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the JSON line is the log

    server = ThreadingHTTPServer((host, port), Handler)
    return server


def cmd_receive(args: argparse.Namespace) -> int:
    """a local receiver that prints each webhook it gets as a JSON line

    Listen for webhooks and print each delivery as one JSON line (event, delivery id,
    signature check, payload). For trying Goodword out: subscribe http://127.0.0.1:PORT/ with
    allow_private_targets: true."""

    server = receiver(host=args.host, port=args.port, secret=args.secret, count=args.count)
    print(
        f"goodword: receiving webhooks on http://{args.host}:{server.server_port}/ "
        f"({'checking signatures' if args.secret else 'signatures not checked'}); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


def add_parser(sub: Any) -> None:
    hooks = add_group(
        sub,
        "webhooks",
        help="webhook deliveries, redelivery, samples, secrets, a local receiver",
        description="Webhooks (docs/webhooks.md): the delivery log, redelivery, samples, the "
        "signing secret, and a receiver for trying them out.",
    )

    p = add_command(hooks, "log", cmd_log)
    add_slug_argument(p)
    add_limit_option(p, "deliveries")
    p.add_argument(
        "--status", choices=["pending", "delivered", "failed"], help="only deliveries in it"
    )

    p = add_command(hooks, "redeliver", cmd_redeliver)
    p.add_argument("id", help="the delivery's number or its delivery id (uuid)")
    p.add_argument("--queue", action="store_true", help="leave it to the worker")

    p = add_command(hooks, "sample", cmd_sample)
    add_slug_argument(p)
    p.add_argument("type", choices=HOOK_TYPES, help="the webhook type", metavar="TYPE")
    p.add_argument("--print", action="store_true", help="print the body, send nothing")

    p = add_command(hooks, "secret", cmd_secret)
    add_slug_argument(p)
    p.add_argument(
        "--rotate", action="store_true", help="make a new secret; the old one keeps signing"
    )
    p.add_argument(
        "--overlap", default="24h", help="how long the old secret keeps signing (default 24h)"
    )

    p = add_command(hooks, "receive", cmd_receive)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    p.add_argument(
        "--secret",
        help="the site's signing secret (`goodword webhooks secret SLUG`): check signatures "
        "and answer 401 to a bad one",
    )
    p.add_argument("--count", type=int, help="exit after this many deliveries")
