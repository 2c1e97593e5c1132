"""Advocate offers, shares, visitors and visitor offers (friend claims)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import offer_json, reward_json, share_json
from goodword.api.v2.site import request_site, request_site_or_keys
from goodword.campaigns.program import program_for
from goodword.core.errors import ValidationFailed
from goodword.offers.selectors import claim_count_for_link
from goodword.offers.services import (
    MAX_SHARING_CHANNELS,
    claim_track_visit,
    offer_claim_url_active,
    offer_get,
    offer_view,
    share_create,
    validate_channels,
    visitor_create,
)
from goodword.referrals.selectors import referral_count_for_offer

router = Router(tags=["Advocate Offers"])


def _channels_from_query(request: HttpRequest) -> list[str]:
    """`sharing_channels[]=a&sharing_channels[]=b`, `sharing_channels=a,b` or a JSON array."""
    values = request.GET.getlist("sharing_channels[]") or request.GET.getlist("sharing_channels")
    channels: list[str] = []
    for value in values:
        if len(channels) > MAX_SHARING_CHANNELS:
            break  # validate_channels refuses it; no need to read the rest
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):  # RecursionError: nested a thousand deep
                parsed = None
            # A nested array is no channel name (and printing one a thousand deep recurses).
            if not isinstance(parsed, list) or any(isinstance(v, list | dict) for v in parsed):
                raise ValidationFailed(
                    "bad_channels", "`sharing_channels` must be a JSON array of strings"
                )
            channels += [str(v) for v in parsed]
        else:
            channels += [v for v in value.split(",") if v]
    return validate_channels(channels)


@router.get("/offers/{short_url_code}", summary="Find an advocate offer")
def find_offer(request: HttpRequest, short_url_code: str) -> HttpResponse:
    site = request_site(request)
    channels = _channels_from_query(request)
    offer = offer_get(site=site, short_url_code=short_url_code)
    view = offer_view(offer, program_for(site.id), channels)
    result: dict[str, Any] = {"offer": offer_json(view)}
    if channels:
        result["claim_links"] = view.claim_links
    return ok(result)


@router.get("/offers/{short_url_code}/claim_url_status", summary="Check claim link status")
def claim_url_status(request: HttpRequest, short_url_code: str) -> HttpResponse:
    site = request_site(request)
    offer = offer_get(site=site, short_url_code=short_url_code)
    claim_url = request.GET.get("claim_url")
    active = offer_claim_url_active(site=site, offer=offer, claim_url=claim_url)
    return ok({"active": active})


class ShareBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None
    channel: Any = None


@router.post("/offers/{short_url_code}/shares/social", summary="Share via a social channel")
def share_social(request: HttpRequest, short_url_code: str, payload: ShareBody) -> HttpResponse:
    site = request_site_or_keys(request, payload.site_slug)
    share, view, reward = share_create(
        site=site, short_url_code=short_url_code, channel=payload.channel
    )
    offer = view.offer
    clicks = claim_count_for_link(site_id=site.id, offer_id=offer.pk, link_id=share.link_id)
    friends = referral_count_for_offer(site_id=site.id, offer_id=offer.pk)
    return ok(
        {
            # Only a reward this share earned: a later share earns none.
            "reward": reward_json(reward)
            if reward is not None and reward.share_id == share.pk
            else None,
            "share": share_json(share, view, clicks=clicks, friends=friends),
        }
    )


class VisitorData(BaseModel):
    uuid: UUID


class VisitorBody(BaseModel):
    site_slug: str | None = None
    data: VisitorData


@router.post("/visitors", summary="Create a visitor", tags=["Visitors"])
def create_visitor(request: HttpRequest, payload: VisitorBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    visitor = visitor_create(site=site, visitor_uuid=payload.data.uuid)
    return ok({"uuid": str(visitor.uuid)})


@router.put(
    "/visitor_offers/{claim_id}/track_visit",
    summary="Mark visitor offer as visited",
    tags=["Friend Offers"],
)
def track_visit(request: HttpRequest, claim_id: int) -> HttpResponse:
    site = request_site(request)
    claim_track_visit(site=site, claim_id=claim_id)
    return ok()
