"""Origins API: POST /origins, /origins/purchase, /origins/event, /origins/affiliate_member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.errors import ValidationError

from goodword.api.v2.envelope import format_time, ok
from goodword.api.v2.origin_schemas import (
    AffiliateMemberBody,
    AffiliateMemberData,
    AnyOriginBody,
    EventBody,
    EventData,
    PersonFields,
    PurchaseBody,
    PurchaseData,
)
from goodword.api.v2.site import request_site
from goodword.campaigns.program import program_for
from goodword.core.errors import ValidationFailed
from goodword.core.http import client_ip
from goodword.offers.services import offer_for_origin, offer_json, validate_channels
from goodword.origins.models import Origin, OriginType
from goodword.origins.services import FollowUp, OriginData, PersonData, origin_create
from goodword.referrals.services import ATTRIBUTE
from goodword.sites.auth import SiteRef

router = Router(tags=["Origins"])

_DATA_SCHEMAS: dict[str, type[PersonFields]] = {
    OriginType.AFFILIATE_MEMBER: AffiliateMemberData,
    OriginType.PURCHASE: PurchaseData,
    OriginType.EVENT: EventData,
}
_TYPE_ERROR = '`type` must be within ["AffiliateMember", "Purchase", "Event"]'
# Fields that shape the answer (which offer, which links) rather than the origin itself; a
# retry that asks for other sharing channels is still the same origin.
_NOT_ORIGIN_DATA = {"sharing_channels", "campaign_tags"}


def to_origin_data(
    kind: str, data: PersonFields, request: HttpRequest | None, *, current_ip: str | None = None
) -> OriginData:
    """`current_ip` stands for the caller's address when there is no request (a batch row)."""
    sent = data.model_dump(exclude_none=True, exclude=_NOT_ORIGIN_DATA, mode="json")
    ip = data.ip_address
    if ip == "current":
        ip = client_ip(request) if request is not None else current_ip
    tags = data.campaign_tags
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    origin = OriginData(
        type=kind,
        person=PersonData(
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
            username=data.username,
            customer_id=data.customer_id,
            phone_number=data.phone_number,
            custom_properties=data.custom_properties,
        ),
        sent=sent,
        ip_address=ip,
        uuid=data.uuid,
        occurred_at=data.created_at,
        traffic_source=data.traffic_source,
        segment1=data.segment1,
        segment2=data.segment2,
        segment3=data.segment3,
        utm_source=data.utm_source,
        utm_medium=data.utm_medium,
        utm_campaign=data.utm_campaign,
        utm_term=data.utm_term,
        utm_content=data.utm_content,
        campaign_tags=list(tags or []),
    )
    if isinstance(data, PurchaseData | EventData):
        origin.subtotal = data.subtotal
        origin.currency = data.currency_iso_code
        origin.coupon_codes = data.coupon_codes or []  # type: ignore[assignment]
        origin.shipping_address = data.shipping_address
        origin.shipping_zip = data.shipping_zip
        origin.items = [i.model_dump(exclude_none=True, mode="json") for i in data.items or []]
    if isinstance(data, PurchaseData):
        origin.order_number = data.order_number
        origin.occurred_at = data.created_at or data.order_date
    elif isinstance(data, EventData):
        origin.event_category = data.event_category
        origin.event_number = data.event_number
    return origin


def origin_json(origin: Origin) -> dict[str, Any]:
    """The origin object exactly as the contract shows it for each type."""
    body: dict[str, Any] = {}
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["subtotal"] = origin.subtotal
    body["customer_id"] = origin.customer_id
    body["email"] = origin.email
    if origin.type == OriginType.EVENT:
        body["event_number"] = origin.event_number
    body["id"] = origin.pk
    body["ip_address"] = origin.ip_address
    if origin.type == OriginType.PURCHASE:
        body["order_number"] = origin.order_number
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["refunded_at"] = format_time(origin.refunded_at)
    body["type"] = origin.type
    for name in (
        "segment1",
        "segment2",
        "segment3",
        "utm_campaign",
        "utm_content",
        "utm_medium",
        "utm_source",
        "utm_term",
    ):
        body[name] = getattr(origin, name)
    if origin.type == OriginType.PURCHASE:
        body["order_date"] = format_time(origin.occurred_at)
    if origin.type == OriginType.EVENT:
        body["event_category"] = origin.event_category
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["coupon_code"] = origin.coupon_code
        body["partially_refunded"] = origin.partially_refunded
        body["refund_subtotal"] = origin.refund_subtotal
    return body


@dataclass(slots=True)
class Stored:
    origin: Origin
    data: OriginData
    channels: list[str]


def origin_store(
    *,
    site: SiteRef,
    kind: str,
    data: PersonFields,
    request: HttpRequest | None = None,
    current_ip: str | None = None,
) -> Stored:
    """Store one validated origin: the single-origin endpoints and the batch worker share it."""
    channels = validate_channels(data.sharing_channels)
    origin_data = to_origin_data(kind, data, request, current_ip=current_ip)
    # A friend's purchase or event is attributed and screened by the worker, from a job stored
    # with the origin (ENGINE.md's `in_progress`): the request does the one write.
    follow_up = None
    if kind != OriginType.AFFILIATE_MEMBER and program_for(site.id).campaigns:
        follow_up = FollowUp(ATTRIBUTE, {"phone": origin_data.person.phone_number})
    result = origin_create(site=site, data=origin_data, follow_up=follow_up)
    return Stored(origin=result.origin, data=origin_data, channels=channels)


def _create(request: HttpRequest, kind: str, site_slug: str | None, data: PersonFields) -> Any:
    site = request_site(request, site_slug)
    stored = origin_store(site=site, kind=kind, data=data, request=request)
    origin, origin_data, channels = stored.origin, stored.data, stored.channels
    view = offer_for_origin(
        site=site,
        origin=origin,
        campaign_tags=origin_data.campaign_tags,
        sharing_channels=channels,
    )
    body: dict[str, Any] = {"origin": origin_json(origin), "offer": None}
    if view is not None:
        body["offer"] = offer_json(view)
        if channels:
            body["claim_links"] = view.claim_links
    return ok(body, status=201)


@router.post("/origins", summary="Create an origin", response={201: dict})
def create_origin(request: HttpRequest, payload: AnyOriginBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    kind = payload.type
    if not isinstance(kind, str) or kind not in _DATA_SCHEMAS:
        raise ValidationFailed("invalid_type", _TYPE_ERROR)
    if payload.data is None:
        raise ValidationFailed("missing_data", "`data` is required")
    try:
        data = _DATA_SCHEMAS[kind].model_validate(payload.data)
    except pydantic.ValidationError as exc:
        errors = [dict(e, loc=("data", *e["loc"])) for e in exc.errors()]
        raise ValidationError(errors) from None
    return _create(request, kind, site.slug, data)


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
