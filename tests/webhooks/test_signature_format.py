"""Webhook signatures checked against the documented format, not against our own `sign()`:
the HMAC is computed here from docs/webhooks.md's description, and the receiver that the docs
print is run as written. A signature that left out the timestamp, or covered anything but
`{timestamp}.{raw body}`, fails here."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goodword.webhooks.services import webhook_emit
from goodword.webhooks.signing import verify
from goodword.worker.loop import drain
from tests.conftest import NOW
from tests.factories import SiteFactory
from tests.webhooks.support import SECRET, subscribe

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
EVENT = "event_web_hook"


def documented_receiver() -> Callable[..., bool]:
    """The `accept` function of docs/webhooks.md, run exactly as printed there."""
    text = DOC.read_text()
    [code] = [
        block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def accept" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["accept"]


def hmac_of(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
def delivered(db, frozen_now, receiver) -> Any:
    """One event webhook, as the receiver got it (JSON encoding, then form)."""
    site = SiteFactory(slug="signed-store")
    subscribe(site, receiver.url, EVENT)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": 1}, extras={})
    drain()
    [got] = receiver.received
    return got


def test_the_signature_is_the_documented_hmac_of_timestamp_dot_body(delivered):
    # given the documented format: v1=<hex HMAC-SHA256 of "{timestamp}.{raw body}">
    stamp = delivered.headers["x-goodword-timestamp"]
    expected = hmac_of(SECRET, f"{stamp}.".encode() + delivered.body)

    # then the header is exactly that, and the timestamp is the signing moment
    assert delivered.headers["x-goodword-signature"] == f"v1={expected}"
    assert stamp == str(int(NOW.timestamp()))
    # and neither the body alone nor the timestamp alone would give it
    assert expected != hmac_of(SECRET, delivered.body)
    assert expected != hmac_of(SECRET, stamp.encode())


def headers_of(got: Any, **changes: str) -> dict[str, str]:
    headers = {
        "X-Goodword-Timestamp": got.headers["x-goodword-timestamp"],
        "X-Goodword-Delivery": got.headers["x-goodword-delivery"],
        "X-Goodword-Signature": got.headers["x-goodword-signature"],
    }
    headers.update(changes)
    return headers


def test_the_documented_receiver_accepts_the_delivery(delivered):
    accept = documented_receiver()
    assert accept(headers_of(delivered), delivered.body, SECRET, set()) is True


def test_the_documented_receiver_refuses_the_signature_under_another_timestamp(delivered):
    # given a captured delivery, replayed a minute later with a fresh timestamp (inside the
    # receiver's five-minute window) and the original signature
    accept = documented_receiver()
    later = str(int(delivered.headers["x-goodword-timestamp"]) + 60)
    replayed = headers_of(delivered, **{"X-Goodword-Timestamp": later})

    # then it is refused, by the documented receiver and by ours alike
    assert accept(replayed, delivered.body, SECRET, set()) is False
    assert not verify(
        secret=SECRET,
        header=delivered.headers["x-goodword-signature"],
        timestamp=later,
        body=delivered.body,
    )


def test_the_documented_receiver_refuses_a_changed_body_or_another_secret(delivered):
    accept = documented_receiver()
    changed = delivered.body.replace(b'"n": 1', b'"n": 2').replace(b'"n":1', b'"n":2')
    assert changed != delivered.body
    assert accept(headers_of(delivered), changed, SECRET, set()) is False
    assert accept(headers_of(delivered), delivered.body, "whsec_other", set()) is False


def test_the_documented_receiver_refuses_a_stale_timestamp(delivered, time_machine):
    # given the delivery arriving ten minutes after it was signed
    time_machine.move_to(NOW.timestamp() + 600, tick=False)
    accept = documented_receiver()

    # then the documented window refuses it
    assert accept(headers_of(delivered), delivered.body, SECRET, set()) is False
