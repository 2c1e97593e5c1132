"""Origins API: POST /origins, /origins/purchase, /origins/event, /origins/affiliate_member."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel as Schema

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import offer_json, origin_json
from goodword.api.v2.site import request_site
from goodword.core.http import client_ip
from goodword.origins.intake import origin_ingest
from goodword.origins.models import OriginType
from goodword.origins.schemas import (
    AffiliateMemberData,
    EventData,
    PersonFields,
    PurchaseData,
    origin_data_validate,
)

router = Router(tags=["Origins"])


class PurchaseBody(Schema):
    site_slug: str | None = None
    data: PurchaseData


class EventBody(Schema):
    site_slug: str | None = None
    data: EventData


class AffiliateMemberBody(Schema):
    site_slug: str | None = None
    data: AffiliateMemberData


class AnyOriginBody(Schema):
    """POST /origins: `type` picks the data schema, validated in the view so the error for a
    wrong `type` can be the contract's."""

    site_slug: str | None = None
    type: Any = None
    data: Any = None


def _create(request: HttpRequest, kind: str, site_slug: str | None, data: PersonFields) -> Any:
    site = request_site(request, site_slug)
    # Only `"ip_address": "current"` needs the caller's address.
    current_ip = client_ip(request) if data.ip_address == "current" else None
    ingested = origin_ingest(
        site=site, kind=kind, data=data, current_ip=current_ip, with_offer=True
    )
    body: dict[str, Any] = {"origin": origin_json(ingested.origin), "offer": None}
    if ingested.offer is not None:
        body["offer"] = offer_json(ingested.offer)
        if ingested.channels:
            body["claim_links"] = ingested.offer.claim_links
    return ok(body, status=201)


@router.post("/origins", summary="Create an origin", response={201: dict})
def create_origin(request: HttpRequest, payload: AnyOriginBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    data = origin_data_validate(kind=payload.type, data=payload.data)
    return _create(request, payload.type, site.slug, data)


@router.post("/origins/purchase", summary="Create a purchase", response={201: dict})
def create_purchase(request: HttpRequest, payload: PurchaseBody) -> HttpResponse:
    return _create(request, OriginType.PURCHASE, payload.site_slug, payload.data)


@router.post("/origins/event", summary="Create an event", response={201: dict})
def create_event(request: HttpRequest, payload: EventBody) -> HttpResponse:
    return _create(request, OriginType.EVENT, payload.site_slug, payload.data)


@router.post(
    "/origins/affiliate_member", summary="Create an affiliate member", response={201: dict}
)
def create_affiliate_member(request: HttpRequest, payload: AffiliateMemberBody) -> HttpResponse:
    return _create(request, OriginType.AFFILIATE_MEMBER, payload.site_slug, payload.data)
