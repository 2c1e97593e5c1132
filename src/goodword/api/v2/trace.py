"""GET /origins/{origin_slug}/referral/trace: why a referral was made, flagged or paid no
reward. A Goodword extension (Talkable has no such endpoint); the portal's referral page shows
the same explanation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from goodword.api.v2.envelope import ok
from goodword.api.v2.site import request_site
from goodword.referrals.services import origin_by_slug, settle_attribution
from goodword.referrals.trace import referral_trace_for_origin

router = Router(tags=["Referrals"])

DESCRIPTION = """**Goodword extension** (not part of Talkable API v2).

The decision behind the referral of an origin (an order number, or `event_category:event_number`),
explained: how it was attributed (the tracking method and what matched), the advocate's and the
friend's facts that the fraud policies compared, each policy's result (blocked, flagged,
skipped, passed) with its stored evidence, blocklist hits, the full status history (who, when,
why), the rewards with their statuses and reasons, when it resolves by itself (or why it waits
for a person), and the webhooks sent about it.

`facts_source` is `stored` when the facts were kept at screening time, `current` for referrals
screened before Goodword kept them (the facts are then read as they are now).

An unknown origin, or an origin without referral, answers 400 with the error envelope, as the
Referrals API does for an unknown origin."""


@router.get(
    "/origins/{origin_slug}/referral/trace",
    summary="Explain a referral (Goodword extension)",
    description=DESCRIPTION,
)
def referral_trace(request: HttpRequest, origin_slug: str) -> HttpResponse:
    site = request_site(request)
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    settle_attribution(origin=origin)
    return ok({"trace": referral_trace_for_origin(site_id=site.id, origin_id=origin.pk)})
