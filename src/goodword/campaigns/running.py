"""When a campaign runs (ENGINE.md, campaign statuses). Pure: attribution, offers and the
program snapshot ask this one rule."""

from __future__ import annotations

from datetime import datetime

LIVE_STATUSES = frozenset({"Live", "Test", "Scheduled"})


def campaign_running(
    status: str, starts_at: datetime | None, ends_at: datetime | None, at: datetime
) -> bool:
    """A campaign runs at `at` when it is Live or Test (or Scheduled with a start) and `at` is
    inside its live period."""
    if status not in LIVE_STATUSES:
        return False
    if status == "Scheduled" and starts_at is None:
        return False
    if starts_at is not None and at < starts_at:
        return False
    return ends_at is None or at < ends_at
