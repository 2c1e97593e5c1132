"""Referral writes: attribution and screening of a friend's origin, status changes, refunds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from goodword.core.clock import now
from goodword.core.errors import DomainError, NotFound
from goodword.fraud.screening import screen
from goodword.origins.models import Origin, OriginType
from goodword.referrals import selectors
from goodword.referrals.attribution import FriendOrigin, attribute
from goodword.referrals.models import Actor, Referral, ReferralEvent, ReferralStatus
from goodword.referrals.transitions import check_transition
from goodword.sites.auth import SiteRef
from goodword.sites.program import program_for


@dataclass(frozen=True)
class ActorRef:
    kind: str  # Actor
    detail: str = ""


ENGINE = ActorRef(Actor.ENGINE)


def referral_for_origin(*, site: SiteRef, origin: Origin) -> Referral | None:
    """Attribute a friend's Purchase or Event to an advocate, screen it and store the referral.

    An origin is referred at most once (a unique index on the referral's origin); a second call
    returns the first referral.
    """
    if origin.type == OriginType.AFFILIATE_MEMBER:
        return None
    program = program_for(site.id)
    if not program.campaigns:
        return None
    existing = Referral.objects.filter(origin=origin).first()
    if existing is not None:
        return existing
    friend = FriendOrigin(
        person_id=origin.person_id,
        occurred_at=origin.occurred_at,
        ip_excluded=bool(
            program.blocklist.match(
                email=origin.email, ips=[origin.ip_address] if origin.ip_address else []
            )
        ),
    )
    candidates = selectors.attribution_candidates(site_id=site.id, origin=origin)
    match = attribute(friend, candidates, sticky_advocate=program.sticky_advocate)
    if match is None:
        return None
    facts = selectors.fraud_facts(
        origin=origin, offer_id=match.offer.offer_id, claim_id=match.claim_id
    )
    verdict = screen(facts, actions=program.policy_actions, blocklist=program.blocklist)
    campaign = program.campaign(match.offer.campaign_id)
    stamp = now()
    evidence = [dict(match.evidence, kind="attribution"), *(dict(e) for e in verdict.evidence)]
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                site_id=site.id,
                campaign_id=match.offer.campaign_id,
                offer_id=match.offer.offer_id,
                claim_id=match.claim_id,
                advocate_id=match.offer.advocate_id,
                friend_id=origin.person_id,
                origin=origin,
                track_method=match.method,
                status=verdict.status,
                subtotal=origin.subtotal,
                fraud_policies_status=verdict.policies_status(),
                fraud_details=verdict.details,
                fraud_evidence=evidence,
                qa_generated=campaign is not None and campaign.status == "Test",
                created_at=stamp,
                updated_at=stamp,
            )
            ReferralEvent.objects.create(
                site_id=site.id,
                referral=referral,
                from_status=ReferralStatus.IN_PROGRESS,
                to_status=verdict.status,
                actor=Actor.ENGINE,
                reason=verdict.details or f"attributed by {match.method}",
                created_at=stamp,
            )
    except IntegrityError:
        # The same origin was attributed concurrently: the first referral stands.
        return Referral.objects.get(origin=origin)
    return referral


def origin_by_slug(*, site: SiteRef, origin_slug: str) -> Origin:
    """An origin by its slug: the order number, or `event_category:event_number`."""
    origin = Origin.objects.filter(
        site_id=site.id, type=OriginType.PURCHASE, order_number=origin_slug
    ).first()
    if origin is None and ":" in origin_slug:
        category, _, number = origin_slug.rpartition(":")
        origin = Origin.objects.filter(
            site_id=site.id, type=OriginType.EVENT, event_category=category, event_number=number
        ).first()
    if origin is None:
        raise NotFound("origin_not_found", "No origin found by `origin_slug`.")
    return origin


def _lock_referral(origin: Origin) -> Referral | None:
    return Referral.objects.select_for_update().filter(origin=origin).first()


def referral_transition(
    *, referral: Referral, to_status: str, actor: ActorRef, reason: str = ""
) -> Referral:
    """Move a locked referral to `to_status` and record the event. Caller holds the lock."""
    if referral.status == to_status:
        return referral
    check_transition(referral.status, to_status)
    stamp = now()
    ReferralEvent.objects.create(
        site_id=referral.site_id,
        referral=referral,
        from_status=referral.status,
        to_status=to_status,
        actor=actor.kind,
        actor_detail=actor.detail,
        reason=reason,
        created_at=stamp,
    )
    referral.status = to_status
    referral.updated_at = stamp
    referral.save(update_fields=["status", "updated_at"])
    return referral


def referral_set_status(
    *, site: SiteRef, origin_slug: str, status: str, actor: ActorRef, reason: str = ""
) -> Referral | None:
    """The Referrals API: set the referral of an origin to `status`. None when the origin has
    no referral (a success that changes nothing, as Talkable answers)."""
    if status not in {s.value for s in ReferralStatus} or status == ReferralStatus.IN_PROGRESS:
        raise DomainError(
            "invalid_status",
            '`status` must be within ["pending", "flagged", "approved", "voided", "blocked"]',
        )
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    with transaction.atomic():
        referral = _lock_referral(origin)
        if referral is None:
            return None
        return referral_transition(referral=referral, to_status=status, actor=actor, reason=reason)


def origin_refund(
    *,
    site: SiteRef,
    origin_slug: str,
    refunded_at: datetime | None = None,
    refund_subtotal: Decimal | None = None,
) -> Origin:
    """Mark an origin refunded; void its referral while pending or flagged (site setting)."""
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    program = program_for(site.id)
    with transaction.atomic():
        locked = Origin.objects.select_for_update().get(pk=origin.pk)
        if locked.refunded_at is not None:
            raise DomainError("already_refunded", "Origin has already been refunded")
        if (
            refund_subtotal is not None
            and locked.subtotal is not None
            and refund_subtotal > locked.subtotal
        ):
            raise DomainError(
                "refund_too_large", "`refund_subtotal` cannot be greater than the subtotal"
            )
        locked.refunded_at = refunded_at or now()
        locked.refund_subtotal = refund_subtotal if refund_subtotal is not None else locked.subtotal
        locked.save(update_fields=["refunded_at", "refund_subtotal"])
        # A partial refund leaves the referral standing: the friend still bought something.
        fully = (
            locked.subtotal is None
            or locked.refund_subtotal is None
            or locked.refund_subtotal >= locked.subtotal
        )
        if program.void_on_refund and fully:
            referral = _lock_referral(locked)
            if referral is not None and referral.status in (
                ReferralStatus.PENDING,
                ReferralStatus.FLAGGED,
            ):
                referral_transition(
                    referral=referral,
                    to_status=ReferralStatus.VOIDED,
                    actor=ENGINE,
                    reason="friend's origin refunded",
                )
    return locked
