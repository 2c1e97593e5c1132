"""The worker's referral jobs: attribution and screening of a friend's origin."""

from __future__ import annotations

from goodword.campaigns.services import coupons_record_use
from goodword.origins.selectors import origin_for_attribution
from goodword.referrals.services import ATTRIBUTE, referral_for_origin
from goodword.sites.auth import site_ref
from goodword.worker import queue


@queue.handler(ATTRIBUTE)
def attribute_origin(job: queue.Claimed) -> None:
    origin = (
        origin_for_attribution(origin_id=job.ref_id, site_id=job.site_id)
        if job.ref_id is not None
        else None
    )
    if origin is None:  # nothing to attribute (the site was deleted since)
        return
    coupons_record_use(
        site_id=job.site_id, codes=list(origin.coupon_codes or []), used_at=origin.occurred_at
    )
    # `fresh`: no pre-check for an existing referral; the insert's unique index on the origin
    # decides if a retry of this job finds one already made.
    referral_for_origin(
        site=site_ref(job.site_id),
        origin=origin,
        phone=job.payload.get("phone") or None,
        fresh=True,
    )
