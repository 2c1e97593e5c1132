"""Advocate offers, their public links, friend claims, visitors and shares."""

from __future__ import annotations

import logging
import re
import threading
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from goodword.campaigns.models import IncentiveReason
from goodword.campaigns.program import CampaignInfo, Program, program_for
from goodword.core.clock import now
from goodword.core.codes import short_code
from goodword.core.errors import NotFound, ValidationFailed
from goodword.core.ratelimit import counter_hit
from goodword.coupons.models import CouponList
from goodword.coupons.services import coupon_personal_code
from goodword.offers.locks import claim_lock
from goodword.offers.models import (
    AdvocateOffer,
    Claim,
    LinkKind,
    Share,
    ShortLink,
    Visitor,
)
from goodword.offers.selectors import offer_first_for_advocate, offer_has_claim_link
from goodword.origins.models import Origin, OriginType
from goodword.origins.schemas import MAX_SHARING_CHANNELS
from goodword.rewards.models import Reward
from goodword.rewards.services import reward_for_offer_action
from goodword.sites.auth import SiteRef
from goodword.webhooks.emitters import (
    claim_signup_emit,
    offer_signup_emit,
    personal_coupon_made_emit,
    personal_coupon_taken_emit,
    post_share_emit,
)

log = logging.getLogger("goodword.offers")

# Channels that are not social sharing channels (Talkable refuses them for claim links).
NOT_SHARING_CHANNELS = frozenset({"email", "reminder", "facebook_sponsored", "coupon"})
SOCIAL_CHANNELS = ("facebook", "twitter", "linkedin", "whatsapp", "sms", "other")
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def validate_channels(channels: list[str] | None) -> list[str]:
    """The channels as stored (trimmed, lower case, each once, in order); ValidationFailed for
    a name that is not a sharing channel, or more than MAX_SHARING_CHANNELS of them."""
    channels = channels or []
    if len(channels) > MAX_SHARING_CHANNELS:
        raise ValidationFailed(
            "too_many_channels",
            f"`sharing_channels` takes at most {MAX_SHARING_CHANNELS} channels "
            f"({len(channels)} sent)",
        )
    result: dict[str, None] = {}
    for channel in channels:
        name = str(channel).strip().lower()
        if name in NOT_SHARING_CHANNELS or not CHANNEL_RE.match(name):
            raise ValidationFailed("wrong_channel", f"Wrong sharing channel: {channel}")
        result[name] = None
    return list(result)


def joinable_name(origin: Origin) -> str:
    if origin.type == OriginType.AFFILIATE_MEMBER:
        return "affiliate_member"
    if origin.type == OriginType.PURCHASE:
        return "purchase"
    return str(origin.event_category)


def campaign_for_origin(program: Program, origin: Origin, tags: list[str]) -> CampaignInfo | None:
    """The running campaign that makes this origin's person an advocate: it accepts the origin's
    kind and, when `campaign_tags` were sent, carries one of them."""
    kind = joinable_name(origin)
    at = now()
    for campaign in program.campaigns:
        if not campaign.running_at(at) or kind not in campaign.joinable:
            continue
        if tags and not set(tags) & set(campaign.tags):
            continue
        return campaign
    return None


@dataclass(frozen=True)
class OfferView:
    offer: AdvocateOffer
    campaign: CampaignInfo
    program: Program
    claim_code: str
    show_code: str
    claim_links: dict[str, str]


def link_url(program: Program, code: str) -> str:
    return f"{program.base_url}/x/{code}"


def _link(offer: AdvocateOffer, kind: str, channel: str | None) -> str:
    """The code of the offer's link of this kind and channel, made on first use."""
    for _ in range(10):
        existing = (
            ShortLink.objects.filter(offer=offer, kind=kind, channel=channel)
            .values_list("code", flat=True)
            .first()
        )
        if existing:
            return existing
        code = short_code()
        try:
            with transaction.atomic():
                ShortLink.objects.create(
                    code=code,
                    site_id=offer.site_id,
                    offer=offer,
                    kind=kind,
                    channel=channel,
                    created_at=now(),
                )
            return code
        except IntegrityError:
            continue  # the code collided, or a concurrent request made this link: look again
    raise RuntimeError("could not allocate a short link code")


def offer_view(offer: AdvocateOffer, program: Program, channels: list[str]) -> OfferView:
    campaign = program.campaign(offer.campaign_id)
    assert campaign is not None
    claim = _link(offer, LinkKind.CLAIM, None)
    show = _link(offer, LinkKind.SHOW, None)
    links = {c: link_url(program, _link(offer, LinkKind.CLAIM, c)) for c in channels}
    return OfferView(offer, campaign, program, claim, show, links)


def offer_for_origin(
    *, site: SiteRef, origin: Origin, campaign_tags: list[str], sharing_channels: list[str]
) -> OfferView | None:
    """The advocate offer an origin earns (made once per advocate and campaign), or None."""
    program = program_for(site.id)
    if not program.campaigns:
        return None
    campaign = campaign_for_origin(program, origin, campaign_tags)
    if campaign is None:
        return None
    offer = AdvocateOffer.objects.filter(
        campaign_id=campaign.id, advocate_id=origin.person_id
    ).first()
    if offer is None:
        offer = _create_offer(site=site, campaign=campaign, origin=origin)
    return offer_view(offer, program, sharing_channels)


def _create_offer(*, site: SiteRef, campaign: CampaignInfo, origin: Origin) -> AdvocateOffer:
    stamp = now()
    expires = (
        stamp + timedelta(days=campaign.offer_expiry_days)
        if campaign.offer_expiry_days is not None
        else None
    )
    for _ in range(10):
        try:
            with transaction.atomic():
                # In the offer's transaction: a pool code goes back if the offer is not made.
                personal = coupon_personal_code(
                    site_id=site.id,
                    coupon_list_id=campaign.advocate_coupon_list_id,
                    pattern=campaign.advocate_coupon_pattern,
                )
                offer = AdvocateOffer.objects.create(
                    site_id=site.id,
                    campaign_id=campaign.id,
                    advocate_id=origin.person_id,
                    origin=origin,
                    short_url_code=short_code(),
                    coupon_code=personal.code if personal else None,
                    expires_at=expires,
                    advocate_ip=origin.ip_address,
                    advocate_visitor_uuid=origin.uuid,
                    created_at=stamp,
                )
                reward_for_offer_action(
                    program=program_for(site.id),
                    campaign=campaign,
                    offer=offer,
                    reason=IncentiveReason.SIGNUP,
                    person_id=origin.person_id,
                    origin=origin,
                )
                offer_signup_emit(offer=offer, campaign=campaign)
                if personal is not None and personal.made:
                    personal_coupon_made_emit(offer=offer, campaign=campaign)
                elif personal is not None and campaign.advocate_coupon_list_id is not None:
                    personal_coupon_taken_emit(
                        site_id=site.id,
                        coupon_list_id=campaign.advocate_coupon_list_id,
                        campaign=campaign,
                    )
                return offer
        except IntegrityError:
            # A concurrent join made this offer, or a code (link or personal coupon) collided.
            existing = AdvocateOffer.objects.filter(
                campaign_id=campaign.id, advocate_id=origin.person_id
            ).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate an offer code")


def offer_get(*, site: SiteRef, short_url_code: str) -> AdvocateOffer:
    offer = (
        AdvocateOffer.objects.select_related("advocate")
        .filter(site_id=site.id, short_url_code=short_url_code)
        .first()
    )
    if offer is None:
        raise NotFound("offer_not_found", "No offer found by id.")
    return offer


def advocate_claim_url(*, site_id: int, advocate_id: int) -> str | None:
    """The advocate's personal claim link, of their first offer while its campaign is in the
    program (the link is made on first use), or None."""
    offer = offer_first_for_advocate(site_id=site_id, advocate_id=advocate_id)
    if offer is None:
        return None
    program = program_for(site_id)
    if program.campaign(offer.campaign_id) is None:
        return None
    return link_url(program, offer_view(offer, program, []).claim_code)


def offer_is_live(offer: AdvocateOffer, program: Program) -> bool:
    campaign = program.campaign(offer.campaign_id)
    at = now()
    return bool(
        campaign is not None
        and campaign.running_at(at)
        and (offer.expires_at is None or at < offer.expires_at)
    )


def offer_claim_url_active(*, site: SiteRef, offer: AdvocateOffer, claim_url: str | None) -> bool:
    """Whether the offer is live and, when a claim URL is given, that URL is one of its claim
    links."""
    active = offer_is_live(offer, program_for(site.id))
    if active and claim_url:
        code = claim_url.rstrip("/").rsplit("/", 1)[-1]
        active = offer_has_claim_link(site_id=site.id, offer_id=offer.pk, code=code)
    return active


# ---- public links and claims ----------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedLink:
    link: ShortLink
    offer: AdvocateOffer
    campaign: CampaignInfo
    program: Program


def link_resolve(*, code: str) -> ResolvedLink | None:
    """A live link, or None (unknown code, expired offer, campaign not running)."""
    link = ShortLink.objects.select_related("offer", "offer__advocate").filter(code=code).first()
    if link is None:
        return None
    program = program_for(link.site_id)
    campaign = program.campaign(link.offer.campaign_id)
    if campaign is None or not offer_is_live(link.offer, program):
        return None
    if link.kind == LinkKind.CLAIM:
        _destinations.remember(code, campaign.destination_url)
    return ResolvedLink(link=link, offer=link.offer, campaign=campaign, program=program)


class _Destinations:
    """Where this process last sent each claim link's friends: what the claim page uses when
    the database cannot be reached. Bounded: emptied when full (it refills as links are
    followed), so a flood of codes cannot grow it."""

    MAX = 50_000

    def __init__(self) -> None:
        self._by_code: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, code: str, url: str) -> None:
        if self._by_code.get(code) == url:
            return
        with self._lock:
            if len(self._by_code) >= self.MAX:
                self._by_code = {}
            self._by_code[code] = url

    def known(self, code: str) -> str | None:
        found = self._by_code.get(code)
        if found is not None:
            return found
        if settings.OUTAGE_REDIRECT_URL:
            return str(settings.OUTAGE_REDIRECT_URL)
        # One store behind every link seen: that is where this link goes too.
        seen = set(self._by_code.values())
        return seen.pop() if len(seen) == 1 else None

    def clear(self) -> None:
        with self._lock:
            self._by_code = {}


_destinations = _Destinations()


def link_destination_when_down(*, code: str) -> str | None:
    """Where to send a friend following claim link `code` while the database is down: the
    link's destination as this process last saw it, else GOODWORD_OUTAGE_REDIRECT_URL, else
    the one destination of every link this process has seen; None when it cannot tell."""
    return _destinations.known(code)


def advocate_view_record(
    *, resolved: ResolvedLink, visitor_uuid: uuidlib.UUID, ip: str | None, user_agent: str
) -> None:
    """The advocate opened their own show link: remember their device for fraud screening."""
    AdvocateOffer.objects.filter(pk=resolved.offer.pk).update(
        advocate_ip=ip, advocate_user_agent=user_agent[:1000], advocate_visitor_uuid=visitor_uuid
    )


def claim_record(
    *,
    resolved: ResolvedLink,
    visitor_uuid: uuidlib.UUID,
    ip: str | None,
    user_agent: str,
    gated_email: str | None = None,
    gated_phone: str | None = None,
) -> Claim:
    """Record a friend's click on a claim link. One claim per visitor and offer; a later click
    refreshes its IP, user agent and latest-click time (the first click's time stays). A
    `click` coupon incentive hands the friend a coupon once per claim."""
    offer = resolved.offer
    stamp = now()
    with transaction.atomic():
        Visitor.objects.get_or_create(
            site_id=offer.site_id, uuid=visitor_uuid, defaults={"created_at": stamp}
        )
        claim = _lock_or_create_claim(offer=offer, visitor_uuid=visitor_uuid, stamp=stamp)
        claim.clicked_at = stamp
        claim.link = resolved.link
        claim.channel = resolved.link.channel
        claim.ip_address = ip
        claim.user_agent = user_agent[:1000]
        if gated_email:
            claim.gated_email = gated_email
        if gated_phone:
            claim.gated_phone = gated_phone
        if not claim.friend_coupon_code and (
            _click_rewarded(claim) or _pool_code_allowed(resolved, ip)
        ):
            claim.friend_coupon_code = _click_reward_code(resolved, claim)
        claim.save()
        if gated_email:
            claim_signup_emit(claim=claim, campaign=resolved.campaign)
    return claim


def claim_click_admit(*, resolved: ResolvedLink, ip: str | None) -> bool:
    """Count a claim-page hit from this address; False once the address is over the site's
    hits a minute, when the page records nothing and hands out no code (the friend is still
    sent on to the store). Counted in the database, so the limit holds across processes."""
    limit = resolved.program.claim_clicks_per_ip_per_minute
    hit = counter_hit(key=f"claimpage:{resolved.offer.site_id}:{ip or '-'}", window_seconds=60)
    if hit.over(limit):
        log.info("claim page over %s hits a minute from %s: not recorded", limit, ip)
        return False
    return True


def _click_rewarded(claim: Claim) -> bool:
    """Whether the claim already has its click reward (waiting for a coupon, or not paid in a
    code): that reward decides, and takes no second code."""
    return Reward.objects.filter(claim_id=claim.pk).exists()


def _pool_code_allowed(resolved: ResolvedLink, ip: str | None) -> bool:
    """Whether this click may take a code of a single-use pool: one per address and claim link
    and `claim_codes_per_ip` per address across the site within the window, so a cookieless
    replay of a link, or a script walking many links, cannot drain the pool. A click whose
    reward takes no pool code is not limited. Call inside claim_record's transaction: a click
    rolled back gives its allowance back."""
    incentive = resolved.campaign.incentive(IncentiveReason.CLICK)
    if incentive is None or incentive.coupon_list_id is None:
        return True
    single_use = CouponList.objects.filter(
        pk=incentive.coupon_list_id, static_code__isnull=True
    ).exists()
    if not single_use:
        return True
    program = resolved.program
    window = program.claim_code_window_seconds
    who = ip or "-"
    per_link = counter_hit(key=f"claimcode:offer:{resolved.offer.pk}:{who}", window_seconds=window)
    if per_link.over(1):
        log.info("claim code refused: %s already took one of offer %s", who, resolved.offer.pk)
        return False
    per_site = counter_hit(
        key=f"claimcode:site:{resolved.offer.site_id}:{who}", window_seconds=window
    )
    if per_site.over(program.claim_codes_per_ip):
        log.info(
            "claim code refused: %s took %s codes of site %s",
            who,
            program.claim_codes_per_ip,
            resolved.offer.site_id,
        )
        return False
    return True


def _lock_or_create_claim(
    *, offer: AdvocateOffer, visitor_uuid: uuidlib.UUID, stamp: datetime
) -> Claim:
    """The visitor's claim on the offer, locked; made on the first click. Simultaneous first
    clicks (one browser, several tabs) meet at the unique index and share one claim."""
    for _ in range(3):
        claim = claim_lock(offer_id=offer.pk, visitor_uuid=visitor_uuid)
        if claim is not None:
            return claim
        try:
            with transaction.atomic():
                return Claim.objects.create(
                    site_id=offer.site_id,
                    offer=offer,
                    visitor_uuid=visitor_uuid,
                    created_at=stamp,
                    clicked_at=stamp,
                )
        except IntegrityError:
            continue  # another click made it first: lock that one
    raise RuntimeError("could not record the claim")


def _click_reward_code(resolved: ResolvedLink, claim: Claim) -> str | None:
    """The friend's `click` reward (once per claim); its code, when it is a paid coupon."""
    reward = reward_for_offer_action(
        program=program_for(resolved.offer.site_id),
        campaign=resolved.campaign,
        offer=resolved.offer,
        reason=IncentiveReason.CLICK,
        person_id=None,
        claim=claim,
        visitor_uuid=claim.visitor_uuid,
    )
    return reward.coupon_code if reward is not None else None


def visitor_create(*, site: SiteRef, visitor_uuid: uuidlib.UUID) -> Visitor:
    visitor, _ = Visitor.objects.get_or_create(
        site_id=site.id, uuid=visitor_uuid, defaults={"created_at": now()}
    )
    return visitor


def claim_track_visit(*, site: SiteRef, claim_id: int) -> None:
    updated = Claim.objects.filter(site_id=site.id, pk=claim_id).update(visited_at=now())
    if not updated:
        raise NotFound("visitor_offer_not_found", "No visitor offer found by id.")


def share_create(
    *, site: SiteRef, short_url_code: str, channel: Any
) -> tuple[Share, OfferView, Reward | None]:
    if not isinstance(channel, str) or channel not in SOCIAL_CHANNELS:
        raise ValidationFailed("channel_invalid", "`channel` is invalid")
    offer = offer_get(site=site, short_url_code=short_url_code)
    program = program_for(site.id)
    view = offer_view(offer, program, [channel])
    link = ShortLink.objects.get(offer=offer, kind=LinkKind.CLAIM, channel=channel)
    with transaction.atomic():
        share = Share.objects.create(
            site_id=site.id, offer=offer, channel=channel, link=link, created_at=now()
        )
        reward = reward_for_offer_action(
            program=program,
            campaign=view.campaign,
            offer=offer,
            reason=IncentiveReason.SHARED,
            person_id=offer.advocate_id,
            share=share,
        )
        post_share_emit(
            share=share,
            campaign=view.campaign,
            share_link=view.claim_links.get(channel) or link_url(program, view.claim_code),
        )
    return share, view, reward
