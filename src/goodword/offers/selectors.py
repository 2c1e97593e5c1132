"""Reads for offers, their links, claims and shares."""

from __future__ import annotations

from goodword.offers.models import AdvocateOffer, Claim, LinkKind, Share, ShortLink


def offer_first_for_advocate(*, site_id: int, advocate_id: int) -> AdvocateOffer | None:
    """The advocate's first offer (the one their personal claim link is of)."""
    return (
        AdvocateOffer.objects.filter(site_id=site_id, advocate_id=advocate_id)
        .order_by("id")
        .first()
    )


def offer_has_claim_link(*, site_id: int, offer_id: int, code: str) -> bool:
    return ShortLink.objects.filter(
        site_id=site_id, offer_id=offer_id, code=code, kind=LinkKind.CLAIM
    ).exists()


def share_count_for_advocate(*, site_id: int, advocate_id: int) -> int:
    return Share.objects.filter(site_id=site_id, offer__advocate_id=advocate_id).count()


def claim_count_for_link(*, site_id: int, offer_id: int, link_id: int | None) -> int:
    """Friends' clicks on one of the offer's links."""
    return Claim.objects.filter(site_id=site_id, offer_id=offer_id, link_id=link_id).count()
