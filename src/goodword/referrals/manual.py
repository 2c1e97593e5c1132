"""Referrals made by hand (staff): a friend's origin tied to an advocate's offer directly.

`manually_generated` referrals are screened like attributed ones; `force_manually_generated`
ones skip screening (every policy reported skipped) and say so in their evidence and their
first event. Either way an origin is referred at most once.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from goodword.campaigns.program import program_for
from goodword.core.clock import now
from goodword.core.errors import DomainError, NotFound
from goodword.fraud.policies import ALL_POLICIES
from goodword.fraud.screening import screen
from goodword.offers.models import AdvocateOffer
from goodword.referrals import selectors
from goodword.referrals.models import Referral, ReferralStatus, TrackMethod
from goodword.referrals.services import (
    ActorRef,
    origin_by_slug,
    referral_build_new,
    referral_insert,
    settle_attribution,
)
from goodword.referrals.trace import facts_record
from goodword.rewards.services import rewards_sync
from goodword.sites.auth import SiteRef


def referral_create_manual(
    *,
    site: SiteRef,
    origin_slug: str,
    offer: AdvocateOffer,
    actor: ActorRef,
    force: bool = False,
    note: str = "",
    then: Callable[[Referral], None] | None = None,
) -> Referral:
    """Refer the friend's origin (an order number or `category:number`) to `offer`'s advocate.

    Refused when the origin already has a referral (saying whose), when the advocate is the
    friend, or when the offer is of another site. `then` runs inside the creating transaction
    (the portal records its audit entry there)."""
    if offer.site_id != site.id:
        raise NotFound("offer_not_found", "No such offer on this site.")
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    # A purchase reported a moment ago may still be waiting for attribution: let it finish,
    # so the refusal below sees the referral it may make.
    settle_attribution(origin=origin)
    existing = (
        Referral.objects.filter(origin_id=origin.pk)
        .select_related("advocate")
        .only("id", "status", "advocate__email")
        .first()
    )
    if existing is not None:
        raise DomainError(
            "origin_already_referred",
            f"{origin.slug} is already referred by {existing.advocate.email} (referral "
            f"{existing.pk}, {existing.status}); an origin is referred only once.",
        )
    if offer.advocate_id == origin.person_id:
        raise DomainError(
            "self_referral",
            f"{origin.slug} was made by the advocate ({origin.email}) themselves: a person "
            "cannot refer their own origin.",
        )
    program = program_for(site.id)
    method = TrackMethod.FORCE_MANUALLY_GENERATED if force else TrackMethod.MANUALLY_GENERATED
    attribution: dict[str, object] = {
        "kind": "attribution",
        "method": str(method),
        "matched": actor.detail,
    }
    if note:
        attribution["note"] = note
    if force:
        status: str = ReferralStatus.PENDING
        policies_status = {
            "blocked": [],
            "flagged": [],
            "skipped": list(ALL_POLICIES),
            "passed": [],
        }
        details = None
        evidence: list[dict[str, object]] = [dict(attribution, screening="skipped (force)")]
        reason = "created by hand with force: fraud screening skipped"
    else:
        facts = selectors.fraud_facts(origin=origin, offer_id=offer.pk, claim_id=None)
        verdict = screen(facts, actions=program.policy_actions, blocklist=program.blocklist)
        status = verdict.status
        policies_status = verdict.policies_status()
        details = verdict.details
        evidence = [attribution, *(dict[str, object](e) for e in verdict.evidence)]
        evidence.append(facts_record(facts))
        reason = f"created by hand; {verdict.details}" if verdict.details else "created by hand"
    if note:
        reason = f"{reason}: {note}"
    with transaction.atomic():
        referral, event, resolve_at = referral_build_new(
            program=program,
            origin=origin,
            offer_id=offer.pk,
            campaign_id=offer.campaign_id,
            advocate_id=offer.advocate_id,
            claim_id=None,
            track_method=method,
            status=status,
            policies_status=policies_status,
            details=details,
            evidence=evidence,
            actor=actor,
            reason=reason[:500],
            stamp=now(),
        )
        if not referral_insert(referral=referral, event=event, resolve_at=resolve_at):
            raise DomainError(
                "origin_already_referred",
                f"{origin.slug} was referred a moment ago; an origin is referred only once.",
            )
        rewards_sync(referrals=[referral])
        if then is not None:
            then(referral)
    return referral
