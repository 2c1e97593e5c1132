"""Offer claims (POST /offer_claims): an advocate passes their offer to a friend by email, and
the friend claims it at once, as if they had followed the advocate's claim link and given their
address on the claim page.

The friend's claim is keyed by a visitor uuid derived from the offer and the friend's address,
so a repeated call finds the same claim and its one `click` reward instead of handing out
another coupon. The claim carries the address as its gated email: the friend's later purchase
with it is attributed to the advocate (`gated_email`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from goodword.campaigns.models import IncentiveReason
from goodword.campaigns.program import program_for
from goodword.core.errors import NotFound, ValidationFailed
from goodword.core.validators import email_normalise
from goodword.offers.models import AdvocateOffer, LinkKind, ShortLink
from goodword.offers.services import ResolvedLink, claim_record, offer_is_live, offer_view
from goodword.rewards.models import Reward, RewardStatus
from goodword.sites.auth import SiteRef

# The namespace of the friends' derived visitor uuids (a fixed, random value).
_FRIEND_NAMESPACE = uuid.UUID("6f1d2a4e-93c5-4b8e-9a53-0e6b7c1d2f40")


@dataclass(frozen=True)
class OfferClaimResult:
    friend_reward: Reward | None
    unredeem_reason: str | None
    human_unredeem_reason: str | None


def _email(value: Any, name: str) -> str:
    email = email_normalise(value) if isinstance(value, str) else None
    if email is None:
        raise ValidationFailed(f"{name}_invalid", f"Invalid `{name}`.")
    return email


def friend_visitor_uuid(*, offer_id: int, friend_email: str) -> uuid.UUID:
    return uuid.uuid5(_FRIEND_NAMESPACE, f"{offer_id}:{friend_email}")


def offer_claim_create(
    *, site: SiteRef, advocate_email: Any, friend_email: Any
) -> OfferClaimResult:
    """The friend's claim on the advocate's live offer (their newest), and its `click` reward.
    A friend who is the advocate, or is on the blocklist, claims nothing."""
    advocate = _email(advocate_email, "advocate_email")
    friend = _email(friend_email, "friend_email")
    program = program_for(site.id)
    offers = AdvocateOffer.objects.select_related("advocate").filter(
        site_id=site.id, advocate__site_id=site.id, advocate__email=advocate
    )
    offer = next((o for o in offers.order_by("-id") if offer_is_live(o, program)), None)
    if offer is None:
        raise NotFound("campaign_not_found", "No campaign found.")
    if friend == advocate:
        return OfferClaimResult(None, "SELF_REFERRAL", "Self Referral")
    if program.blocklist.match(email=friend, ips=[]) is not None:
        return OfferClaimResult(None, "BLOCKLISTED", "Blocklisted")
    view = offer_view(offer, program, [])
    resolved = ResolvedLink(
        link=ShortLink.objects.get(code=view.claim_code, kind=LinkKind.CLAIM),
        offer=offer,
        campaign=view.campaign,
        program=program,
    )
    claim = claim_record(
        resolved=resolved,
        visitor_uuid=friend_visitor_uuid(offer_id=offer.pk, friend_email=friend),
        ip=None,
        user_agent="",
        gated_email=friend,
    )
    reward = (
        Reward.objects.select_related("coupon")
        .filter(claim_id=claim.pk, reason=IncentiveReason.CLICK)
        .first()
    )
    if reward is None:
        return OfferClaimResult(None, "NO_INCENTIVE", "No friend incentive")
    if reward.status == RewardStatus.BLOCKED:
        return OfferClaimResult(None, "REWARD_BLOCKED", reward.status_reason or "Blocked")
    return OfferClaimResult(reward, None, None)
