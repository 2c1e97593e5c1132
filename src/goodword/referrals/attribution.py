"""Attribution: which advocate's offer a friend's origin belongs to (ENGINE.md, tracking methods).

Pure: the candidates are fetched beforehand (referrals/selectors.py, one query), and this module
decides. Methods are tried in priority order; the first with an eligible candidate wins, and
among several candidates of one method the most recent wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from goodword.campaigns.running import campaign_running
from goodword.referrals.models import TrackMethod as M

# Staff-made methods (manually_generated, force_manually_generated) come first but are not
# found by attribution: staff create those referrals directly.
PRIORITY = (
    M.STICKY_ADVOCATE,
    M.COUPON,
    M.COOKIE,
    M.GATED_EMAIL,
    M.PHONE_NUMBER,
    M.SHARE_EMAIL,
    M.IP_ADDRESS,
    M.EVENT_CHAIN,
)
IP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class OfferFacts:
    offer_id: int
    campaign_id: int
    advocate_id: int
    expires_at: datetime | None = None
    campaign_status: str = "Live"
    campaign_starts_at: datetime | None = None
    campaign_ends_at: datetime | None = None

    def live_at(self, at: datetime) -> bool:
        """Offer not expired and campaign running at `at`."""
        return campaign_running(
            self.campaign_status, self.campaign_starts_at, self.campaign_ends_at, at
        ) and (self.expires_at is None or at < self.expires_at)


@dataclass(frozen=True)
class Candidate:
    """A possible advocate for the origin, found by one tracking method."""

    method: str
    offer: OfferFacts
    claim_id: int | None = None
    seen_at: datetime | None = None  # the claim click or earlier referral that links them
    matched: str = ""  # what matched: the coupon code, uuid, email, phone or IP


@dataclass(frozen=True)
class FriendOrigin:
    person_id: int
    occurred_at: datetime
    # An IP or email on the blocklist or of QA traffic never attributes by IP.
    ip_excluded: bool = False


@dataclass(frozen=True)
class Match:
    method: str
    offer: OfferFacts
    claim_id: int | None
    evidence: dict[str, str] = field(default_factory=dict)


def _claim_before(c: Candidate, origin: FriendOrigin) -> bool:
    return c.seen_at is None or c.seen_at <= origin.occurred_at


def _by_claim(c: Candidate, origin: FriendOrigin) -> bool:
    return c.offer.live_at(origin.occurred_at) and _claim_before(c, origin)


def _by_ip(c: Candidate, origin: FriendOrigin) -> bool:
    if origin.ip_excluded or c.seen_at is None:
        return False
    age = origin.occurred_at - c.seen_at
    return timedelta(0) <= age <= IP_WINDOW and c.offer.live_at(origin.occurred_at)


def _by_offer(c: Candidate, origin: FriendOrigin) -> bool:
    return c.offer.live_at(origin.occurred_at)


def _not_self(c: Candidate, origin: FriendOrigin) -> bool:
    # An advocate's own later origins are not referrals by themselves (event chain/sticky).
    return c.offer.advocate_id != origin.person_id


ELIGIBLE: dict[str, Callable[[Candidate, FriendOrigin], bool]] = {
    M.STICKY_ADVOCATE: lambda c, o: _by_offer(c, o) and _not_self(c, o),
    M.COUPON: _by_offer,
    M.COOKIE: _by_claim,
    M.GATED_EMAIL: _by_claim,
    M.PHONE_NUMBER: _by_claim,
    M.SHARE_EMAIL: _by_claim,
    M.IP_ADDRESS: _by_ip,
    M.EVENT_CHAIN: lambda c, o: _by_offer(c, o) and _not_self(c, o),
}


def attribute(
    origin: FriendOrigin, candidates: Iterable[Candidate], *, sticky_advocate: bool = False
) -> Match | None:
    by_method: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_method.setdefault(candidate.method, []).append(candidate)
    for method in PRIORITY:
        if method == M.STICKY_ADVOCATE and not sticky_advocate:
            continue
        eligible = [c for c in by_method.get(method, ()) if ELIGIBLE[method](c, origin)]
        if not eligible:
            continue
        best = max(eligible, key=lambda c: (c.seen_at is not None, c.seen_at or origin.occurred_at))
        evidence = {"method": method, "matched": best.matched}
        if best.seen_at is not None:
            evidence["seen_at"] = best.seen_at.isoformat()
        return Match(method=method, offer=best.offer, claim_id=best.claim_id, evidence=evidence)
    return None
