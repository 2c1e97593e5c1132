"""The webhooks other packages' changes cause, one function each, called inside the causing
transaction. Each asks the cached snapshot first, so a site without that subscription pays
nothing (no query, no payload built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from goodword.webhooks import payloads
from goodword.webhooks.models import HookType
from goodword.webhooks.selectors import subscribed_types
from goodword.webhooks.services import webhook_emit

if TYPE_CHECKING:
    from goodword.campaigns.program import CampaignInfo
    from goodword.offers.models import AdvocateOffer, Claim, Share
    from goodword.offers.services import OfferView
    from goodword.origins.models import Origin
    from goodword.people.models import Person


def event_origin_emit(*, origin: Origin) -> int:
    """An Event origin was stored."""
    if HookType.EVENT not in subscribed_types(origin.site_id):
        return 0
    return webhook_emit(
        site_id=origin.site_id,
        hook_type=HookType.EVENT,
        payload=payloads.event_payload(origin),
        subject=f"origin:{origin.pk}",
    )


def offer_signup_emit(*, offer: AdvocateOffer, campaign: CampaignInfo) -> int:
    """An advocate joined: a new offer was made."""
    if HookType.OFFER_SIGNUP not in subscribed_types(offer.site_id):
        return 0
    return webhook_emit(
        site_id=offer.site_id,
        hook_type=HookType.OFFER_SIGNUP,
        payload=payloads.offer_signup_payload(offer, campaign=campaign),
        subject=f"offer:{offer.pk}",
    )


def post_share_emit(*, share: Share, view: OfferView) -> int:
    """An advocate shared their offer on a channel."""
    if HookType.POST_SHARE not in subscribed_types(share.site_id):
        return 0
    from goodword.offers.services import link_url

    link = view.claim_links.get(share.channel) or link_url(view.program, view.claim_code)
    recipients = [r.email for r in share.recipients.all()] if share.pk else []
    return webhook_emit(
        site_id=share.site_id,
        hook_type=HookType.POST_SHARE,
        payload=payloads.post_share_payload(
            share, campaign=view.campaign, recipients=recipients, share_link=link
        ),
        subject=f"offer:{share.offer_id}",
    )


def claim_signup_emit(*, claim: Claim, campaign: CampaignInfo) -> int:
    """A friend gave their email on an email-gated claim page."""
    if HookType.CLAIM_SIGNUP not in subscribed_types(claim.site_id):
        return 0
    return webhook_emit(
        site_id=claim.site_id,
        hook_type=HookType.CLAIM_SIGNUP,
        payload=payloads.claim_signup_payload(claim, campaign=campaign),
        subject=f"claim:{claim.pk}",
    )


def unsubscribe_emit(*, person: Person) -> int:
    """A person unsubscribed (POST /api/v2/people/{person_slug}/unsubscribe)."""
    if HookType.UNSUBSCRIBE not in subscribed_types(person.site_id):
        return 0
    return webhook_emit(
        site_id=person.site_id,
        hook_type=HookType.UNSUBSCRIBE,
        payload=payloads.unsubscribe_payload(person),
        subject=f"person:{person.pk}",
    )
