"""Referrals API (PUT /origins/{origin_slug}/referral) and Refunds API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict, field_validator

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import origin_json, referral_json
from goodword.api.v2.site import request_site
from goodword.core.validators import amount_not_negative
from goodword.origins.schemas import AwareDatetime
from goodword.referrals.models import Actor
from goodword.referrals.selectors import referral_get
from goodword.referrals.services import ActorRef, origin_refund, referral_set_status

router = Router(tags=["Referrals"])


class StatusData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str


class StatusBody(BaseModel):
    site_slug: str | None = None
    data: StatusData


class RefundData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    refunded_at: AwareDatetime | None = None
    refund_subtotal: Decimal | None = None

    @field_validator("refund_subtotal", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal | None:
        return amount_not_negative(value, "refund_subtotal")


class RefundBody(BaseModel):
    site_slug: str | None = None
    data: RefundData | None = None


@router.put("/origins/{origin_slug}/referral", summary="Update referral status")
def update_referral(request: HttpRequest, origin_slug: str, payload: StatusBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    referral = referral_set_status(
        site=site,
        origin_slug=origin_slug,
        status=payload.data.status,
        actor=ActorRef(Actor.API, "api key"),
        reason="Referrals API",
    )
    if referral is None:
        # Clients read `result.referral`; an origin nobody referred has none.
        return ok({"referral": None})
    referral = referral_get(site_id=site.id, referral_id=referral.pk)
    return ok({"referral": referral_json(referral)})


@router.post("/origins/{origin_slug}/refund", summary="Mark origin as refunded")
def refund_origin(request: HttpRequest, origin_slug: str, payload: RefundBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    data = payload.data or RefundData()
    origin = origin_refund(
        site=site,
        origin_slug=origin_slug,
        refunded_at=data.refunded_at,
        refund_subtotal=data.refund_subtotal,
    )
    return ok({"origin": origin_json(origin)})
