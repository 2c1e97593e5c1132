"""Reads for campaigns: the site's campaigns as the Campaigns API lists them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from goodword.campaigns.models import Campaign, CampaignStatus
from goodword.campaigns.running import campaign_running
from goodword.core.clock import now
from goodword.core.errors import ValidationFailed

STATUSES = tuple(CampaignStatus.values)


@dataclass(frozen=True)
class CampaignListed:
    campaign: Campaign
    is_active: bool  # running now: its status lets it run and now is inside its live period


def campaign_statuses_parse(values: Collection[str]) -> frozenset[str]:
    """Status names as a client sends them (`live`, `Live`; repeated or comma-separated) in the
    stored spelling; an unknown one is refused."""
    by_lower = {status.lower(): status for status in STATUSES}
    found: set[str] = set()
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in by_lower:
                raise ValidationFailed(
                    "status_invalid",
                    f"`status` is invalid: {part.strip()!r} is not one of {', '.join(STATUSES)}",
                )
            found.add(by_lower[name])
    return frozenset(found)


def campaign_list(
    *, site_id: int, statuses: Collection[str] = (), active: bool | None = None
) -> list[CampaignListed]:
    """The site's campaigns, newest first (Talkable's order), optionally only those with one of
    `statuses` and only those running now (`active=True`) or not (`active=False`)."""
    qs = Campaign.objects.filter(site_id=site_id)
    if statuses:
        qs = qs.filter(status__in=sorted(statuses))
    at: datetime = now()
    listed = [
        CampaignListed(c, campaign_running(c.status, c.starts_at, c.ends_at, at))
        for c in qs.order_by("-id")
    ]
    if active is not None:
        listed = [item for item in listed if item.is_active is active]
    return listed
