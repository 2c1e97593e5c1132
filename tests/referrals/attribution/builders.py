"""Attribution inputs written the short way. No database: the rules are pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from goodword.referrals.attribution import Candidate, FriendOrigin, OfferFacts

T0 = datetime(2026, 7, 7, 18, 0, 0, tzinfo=UTC)  # when the friend's origin happened
FRIEND_ID = 500
ADVOCATE_ID = 100


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def offer(offer_id: int = 1, *, advocate_id: int | None = None, **kwargs: Any) -> OfferFacts:
    """A live offer; each offer has its own advocate unless told otherwise."""
    return OfferFacts(
        offer_id=offer_id,
        campaign_id=kwargs.pop("campaign_id", 1),
        advocate_id=ADVOCATE_ID + offer_id if advocate_id is None else advocate_id,
        **kwargs,
    )


def candidate(
    method: str,
    facts: OfferFacts | None = None,
    *,
    seen_at: datetime | None = None,
    claim_id: int | None = None,
    matched: str = "",
) -> Candidate:
    return Candidate(
        method=method,
        offer=facts or offer(),
        claim_id=claim_id,
        seen_at=seen_at,
        matched=matched,
    )


def origin(
    at: datetime = T0, *, person_id: int = FRIEND_ID, ip_excluded: bool = False
) -> FriendOrigin:
    return FriendOrigin(person_id=person_id, occurred_at=at, ip_excluded=ip_excluded)


@dataclass(frozen=True)
class Liveness:
    """An offer/campaign state at the origin's time T0, and whether it may attribute."""

    id: str
    offer_kwargs: dict[str, Any]
    live: bool


LIVENESS = [
    Liveness("live-no-expiry", {}, True),
    Liveness("expires-after-origin", {"expires_at": T0 + minutes(1)}, True),
    Liveness("expires-at-origin", {"expires_at": T0}, False),
    Liveness("expired-before-origin", {"expires_at": T0 - timedelta(days=1)}, False),
    Liveness("campaign-test", {"campaign_status": "Test"}, True),
    Liveness("campaign-disabled", {"campaign_status": "Disabled"}, False),
    Liveness("campaign-unknown-status", {"campaign_status": "Archived"}, False),
    Liveness("scheduled-without-start", {"campaign_status": "Scheduled"}, False),
    Liveness(
        "scheduled-started",
        {"campaign_status": "Scheduled", "campaign_starts_at": T0 - timedelta(days=1)},
        True,
    ),
    Liveness(
        "scheduled-not-started",
        {"campaign_status": "Scheduled", "campaign_starts_at": T0 + minutes(1)},
        False,
    ),
    Liveness(
        "scheduled-ended",
        {
            "campaign_status": "Scheduled",
            "campaign_starts_at": T0 - timedelta(days=2),
            "campaign_ends_at": T0 - timedelta(days=1),
        },
        False,
    ),
    Liveness(
        "scheduled-ends-at-origin",
        {
            "campaign_status": "Scheduled",
            "campaign_starts_at": T0 - timedelta(days=2),
            "campaign_ends_at": T0,
        },
        False,
    ),
    Liveness("live-ended", {"campaign_ends_at": T0 - minutes(1)}, False),
    Liveness("live-not-started", {"campaign_starts_at": T0 + minutes(1)}, False),
]
LIVENESS_IDS = [case.id for case in LIVENESS]
