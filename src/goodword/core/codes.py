"""Random public codes for links (`/x/<code>`)."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 6  # 62**6 ≈ 5.7e10: collisions are rare and retried on the unique index


def short_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
