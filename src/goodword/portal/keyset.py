"""Keyset cursors for the portal's lists: the last row's (time, id), opaque in a URL. A list
continues strictly after it, so a page costs the same however deep, and rows that come or go
meanwhile shift nothing."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime


def cursor_make(at: datetime, ident: int) -> str:
    raw = f"{at.isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_read(value: str) -> tuple[datetime, int] | None:
    """The (time, id) of a cursor made by `cursor_make`; None for anything else (a list then
    starts from its beginning)."""
    if not value or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        at = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if at.tzinfo is None or not ident.isdigit() or len(ident) > 18:
        return None
    return at, int(ident)
