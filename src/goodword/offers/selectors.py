"""Reads for offers, their links, claims and shares."""

from __future__ import annotations

from django.db.models import Count

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


def shares_for_advocate(*, site_id: int, advocate_id: int, limit: int) -> list[Share]:
    """The advocate's shares, oldest first, with their offer, link and recipients."""
    return list(
        Share.objects.filter(site_id=site_id, offer__advocate_id=advocate_id)
        .select_related("offer__advocate", "link")
        .prefetch_related("recipients")
        .order_by("id")[:limit]
    )


def claim_counts_by_link(*, site_id: int, link_ids: list[int]) -> dict[int, int]:
    """Friends' clicks per link, for many links in one query."""
    rows = (
        Claim.objects.filter(site_id=site_id, link_id__in=link_ids)
        .values("link_id")
        .annotate(n=Count("id"))
        .values_list("link_id", "n")
    )
    return {link_id: n for link_id, n in rows}
