"""Origin intake: the one way an origin comes in, from POST /api/v2/origins* and from a batch row.

`origin_ingest` takes data validated by `origins.schemas`, stores the origin with its person
(`origin_create`, idempotent on the origin's identity) and decides what follows from it, in
the same place for every caller:
- a friend's purchase or event on a site with campaigns gets an attribution job, stored with
  the origin in its one statement (the worker attributes and screens it: ENGINE.md's
  `in_progress`);
- a new event tells the sites that subscribe to `event_web_hook`, in the origin's transaction;
- the advocate offer the origin earns, when the caller asks for it (the API always does, a batch
  when it was posted with `create_offers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.db import transaction

from goodword.campaigns.program import program_for
from goodword.core.db import is_postgres
from goodword.core.errors import DomainError
from goodword.offers.services import OfferView, offer_for_origin, validate_channels
from goodword.origins.bulk import NewOrigin, origins_create_many
from goodword.origins.models import ATTRIBUTE, TRACKING_FIELDS, Origin, OriginType
from goodword.origins.schemas import EventData, PersonFields, PurchaseData
from goodword.origins.services import FollowUp, OriginData, PersonData, origin_create
from goodword.sites.auth import SiteRef
from goodword.webhooks.emitters import event_origin_emit
from goodword.webhooks.models import HookType
from goodword.webhooks.services import site_subscribes

EVENT_HOOK = HookType.EVENT.value
# Fields that shape the answer (which offer, which links) rather than the origin itself; a
# retry that asks for other sharing channels is still the same origin.
_NOT_ORIGIN_DATA = {"sharing_channels", "campaign_tags"}
# The schema names the person's fields as PersonData does.
_PERSON_FIELDS = tuple(f.name for f in fields(PersonData))


@dataclass(frozen=True, slots=True)
class Ingested:
    origin: Origin
    # The offer the origin earned; None when there is none or the caller did not ask.
    offer: OfferView | None
    channels: list[str]


def origin_ingest(
    *,
    site: SiteRef,
    kind: str,
    data: PersonFields,
    current_ip: str | None,
    with_offer: bool,
) -> Ingested:
    """Store one validated origin and do what follows from it (see the module). `current_ip` is
    the caller's address, which `ip_address: "current"` stands for. DomainError when the data
    is refused (a wrong sharing channel, a duplicate with other data); then nothing is stored."""
    origin_data, channels = origin_prepare(kind=kind, data=data, current_ip=current_ip)
    follow_up = _follow_up(site=site, kind=kind, data=origin_data)
    if kind == OriginType.EVENT and site_subscribes(site_id=site.id, hook_type=EVENT_HOOK):
        # The webhook commits with the origin; without a subscription (asked of a cached
        # snapshot) the write stays one statement.
        with transaction.atomic():
            result = origin_create(site=site, data=origin_data, follow_up=follow_up)
            if result.created:
                event_origin_emit(origin=result.origin)
    else:
        result = origin_create(site=site, data=origin_data, follow_up=follow_up)
    offer = None
    if with_offer:
        offer = offer_for_origin(
            site=site,
            origin=result.origin,
            campaign_tags=origin_data.campaign_tags,
            sharing_channels=channels,
        )
    return Ingested(origin=result.origin, offer=offer, channels=channels)


def origin_prepare(
    *, kind: str, data: PersonFields, current_ip: str | None
) -> tuple[OriginData, list[str]]:
    """Validated data as the origin to store and the sharing channels asked for; the checks
    beyond the schema (the channels) happen here, for one origin and for a batch row alike.
    ValidationFailed with the API's sentence otherwise."""
    channels = validate_channels(data.sharing_channels)
    return origin_data_from(kind=kind, data=data, current_ip=current_ip), channels


def _follow_up(*, site: SiteRef, kind: str, data: OriginData) -> FollowUp | None:
    if kind != OriginType.AFFILIATE_MEMBER and program_for(site.id).campaigns:
        return FollowUp(ATTRIBUTE, {"phone": data.person.phone_number})
    return None


def origin_ingest_many_fits(*, site: SiteRef, kind: str, with_offer: bool) -> bool:
    """Whether `origin_ingest_many` does for these origins all that `origin_ingest` would:
    on PostgreSQL, without offers to make and without event webhooks to send (those are made
    per origin, so such a batch goes row by row)."""
    if not is_postgres() or with_offer:
        return False
    return not (kind == OriginType.EVENT and site_subscribes(site_id=site.id, hook_type=EVENT_HOOK))


def origin_ingest_many(
    *, site: SiteRef, kind: str, origins: Sequence[OriginData]
) -> list[DomainError | None]:
    """Store many prepared origins of one kind at once, each with what `origin_ingest` would
    do for it (its attribution job), when `origin_ingest_many_fits`. For each origin: None
    when stored (or an equal repeat), else the DomainError `origin_ingest` would raise (nothing
    of it is stored). BulkConflict: a concurrent writer got in between, go row by row."""
    return origins_create_many(
        site=site,
        kind=kind,
        origins=[
            NewOrigin(data=data, follow_up=_follow_up(site=site, kind=kind, data=data))
            for data in origins
        ],
    )


def origin_data_from(*, kind: str, data: PersonFields, current_ip: str | None) -> OriginData:
    """The validated schema as the domain's OriginData (what `origin_create` stores)."""
    sent = data.model_dump(exclude_none=True, exclude=_NOT_ORIGIN_DATA, mode="json")
    ip = current_ip if data.ip_address == "current" else data.ip_address
    tags = data.campaign_tags
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    origin = OriginData(
        type=kind,
        person=PersonData(**{name: getattr(data, name) for name in _PERSON_FIELDS}),
        sent=sent,
        ip_address=ip,
        uuid=data.uuid,
        occurred_at=data.created_at,
        **{name: getattr(data, name) for name in TRACKING_FIELDS},
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
