"""Keyset cursors: what one makes, the other reads back; anything else reads as no cursor."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from goodword.portal.keyset import cursor_make, cursor_read

AT = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_cursor_reads_back_its_time_to_the_microsecond_and_its_id():
    cursor = cursor_make(AT, 42)

    assert cursor_read(cursor) == (AT, 42)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor  # safe in a URL


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64 at all!",
        "bm8gc2VwYXJhdG9y",  # "no separator"
        cursor_make(AT.replace(tzinfo=None), 1),  # a time without its zone
        base64.urlsafe_b64encode(f"{AT.isoformat()}|x".encode()).decode(),  # no number
        "A" * 201,
    ],
)
def test_anything_else_is_no_cursor(value):
    assert cursor_read(value) is None
