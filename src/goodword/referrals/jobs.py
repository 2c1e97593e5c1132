"""The worker's referral jobs: attribution and screening of a friend's origin, and the
automatic resolution of waiting referrals."""

from __future__ import annotations

from datetime import datetime

from goodword.coupons.services import coupons_record_use
from goodword.origins.selectors import origin_for_attribution
from goodword.referrals.services import (
    ATTRIBUTE,
    RESOLVE,
    referral_for_origin,
    referrals_resolve,
)
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


@queue.handler(RESOLVE)
def resolve_referral(job: queue.Claimed) -> None:
    """One resolve job: the batch handler's rule for a batch of one."""
    later = resolve_referrals([job])
    if job.id in later:
        # Settings moved the time later since this job was scheduled: come back then.
        raise queue.Reschedule(later[job.id])


@queue.batch_handler(RESOLVE)
def resolve_referrals(jobs: list[queue.Claimed]) -> dict[int, datetime]:
    """Many resolve jobs at once (referrals_resolve). Returns the jobs whose time moved later."""
    later = referrals_resolve(ids=[job.ref_id for job in jobs if job.ref_id is not None])
    return {
        job.id: later[job.ref_id] for job in jobs if job.ref_id is not None and job.ref_id in later
    }
