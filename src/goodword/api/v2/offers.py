"""Advocate offers, shares, visitors and visitor offers (friend claims)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict

from goodword.api.v2.envelope import format_time, ok
from goodword.api.v2.serializers import reward_json
from goodword.api.v2.site import request_site
from goodword.campaigns.program import program_for
from goodword.core.errors import ValidationFailed
from goodword.offers.models import AdvocateOffer, Claim, ShortLink
from goodword.offers.services import (
    claim_track_visit,
    offer_get,
    offer_is_live,
    offer_json,
    offer_view,
    share_create,
    validate_channels,
    visitor_create,
)

router = Router(tags=["Advocate Offers"])


def _channels_from_query(request: HttpRequest) -> list[str]:
    """`sharing_channels[]=a&sharing_channels[]=b`, `sharing_channels=a,b` or a JSON array."""
    values = request.GET.getlist("sharing_channels[]") or request.GET.getlist("sharing_channels")
    channels: list[str] = []
    for value in values:
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise ValidationFailed(
                    "bad_channels", "`sharing_channels` must be a JSON array of strings"
                ) from None
            channels += [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
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
    program = program_for(site.id)
    active = offer_is_live(offer, program)
    claim_url = request.GET.get("claim_url")
    if active and claim_url:
        # The link must be one of this offer's claim links.
        code = claim_url.rstrip("/").rsplit("/", 1)[-1]
        active = ShortLink.objects.filter(offer=offer, code=code, kind="claim").exists()
    return ok({"active": active})


class ShareBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None
    channel: Any = None


@router.post("/offers/{short_url_code}/shares/social", summary="Share via a social channel")
def share_social(request: HttpRequest, short_url_code: str, payload: ShareBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    share, view, reward = share_create(
        site=site, short_url_code=short_url_code, channel=payload.channel
    )
    campaign = view.campaign
    offer: AdvocateOffer = view.offer
    clicks = Claim.objects.filter(offer=offer, link_id=share.link_id).count()
    return ok(
        {
            # Only a reward this share earned: a later share earns none.
            "reward": reward_json(reward)
            if reward is not None and reward.share_id == share.pk
            else None,
            "share": {
                "campaign": {
                    "appearance": "inline",
                    "id": campaign.id,
                    "is_active": campaign.status == "Live",
                    "joinable_category_names": list(campaign.joinable),
                    "live_period": {
                        "ends_at": format_time(campaign.ends_at),
                        "starts_at": format_time(campaign.starts_at),
                    },
                    "name": campaign.name,
                    "origin_max_age": None,
                    "origin_min_age": None,
                    "slug": campaign.slug,
                    "status": campaign.status,
                    "tag_names": list(campaign.tags),
                },
                "channel_identifier": share.channel,
                "friend_clicks_count": clicks,
                "friends_count": offer.referrals.count(),
                "id": share.pk,
                "offer": offer_json(view),
                "shared_at": format_time(share.created_at),
                "short_url": view.claim_links[share.channel],
                "type": "SocialOfferShare",
            },
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
