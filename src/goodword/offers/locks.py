"""Claim row locks."""

from __future__ import annotations

import uuid

from goodword.offers.models import AdvocateOffer, Claim


def claim_lock(*, offer_id: int, visitor_uuid: uuid.UUID) -> Claim | None:
    """The visitor's claim on the offer (at most one: a unique index), locked until the
    transaction ends; None when there is none yet."""
    return (
        Claim.objects.select_for_update()
        .filter(offer_id=offer_id, visitor_uuid=visitor_uuid)
        .order_by("pk")
        .first()
    )


def offer_lock(*, offer_id: int) -> AdvocateOffer | None:
    """The offer, locked until the transaction ends: email shares of one offer are judged
    (previously sent, the daily limit) one at a time."""
    return AdvocateOffer.objects.select_for_update().filter(pk=offer_id).first()
