"""Request signatures: HMAC-SHA256 over `{timestamp}.{body}` with the site's signing secret.

During a rotation both the new and the previous secret sign, so a receiver that still knows only
one of them keeps verifying; the header then carries two `v1=` values.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Goodword-Signature"
TIMESTAMP_HEADER = "X-Goodword-Timestamp"
DELIVERY_HEADER = "X-Goodword-Delivery"
EVENT_HEADER = "X-Goodword-Event"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secrets_: list[str], timestamp: int, body: bytes) -> str:
    return ", ".join(f"v1={sign(secret=s, timestamp=timestamp, body=body)}" for s in secrets_)


def verify(*, secret: str, header: str, timestamp: str, body: bytes) -> bool:
    """What a receiver does (docs/webhooks.md shows the same in ten lines)."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    expected = sign(secret=secret, timestamp=stamp, body=body)
    return any(
        hmac.compare_digest(part.strip().removeprefix("v1="), expected)
        for part in header.split(",")
        if part.strip().startswith("v1=")
    )
