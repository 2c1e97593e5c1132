"""The worker's referral jobs: attribution and screening of a friend's origin, and the
automatic resolution of waiting referrals."""

from __future__ import annotations

from datetime import datetime

from goodword.coupons.services import coupons_record_use
from goodword.origins.selectors import origin_for_attribution, origins_for_attribution
from goodword.referrals.services import (
    ATTRIBUTE,
    RESOLVE,
    referral_for_origin,
    referrals_for_origins,
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


@queue.batch_handler(ATTRIBUTE)
def attribute_origins(jobs: list[queue.Claimed]) -> dict[int, datetime]:
    """Many attribution jobs in one transaction (referrals_for_origins): per site, the origins
    in one statement, then their candidates, fraud facts and referrals with a few round trips
    for the lot. The worker deletes the jobs in the same transaction; if anything fails, the
    whole batch rolls back and each job runs on its own (`attribute_origin`)."""
    by_site: dict[int, list[queue.Claimed]] = {}
    for job in jobs:
        by_site.setdefault(job.site_id, []).append(job)
    for site_id, group in by_site.items():
        origins = origins_for_attribution(
            origin_ids=[job.ref_id for job in group if job.ref_id is not None], site_id=site_id
        )
        todo = []
        for job in group:  # claim order: the order the single path would run them in
            origin = origins.get(job.ref_id) if job.ref_id is not None else None
            if origin is None:  # nothing to attribute (the site was deleted since)
                continue
            coupons_record_use(
                site_id=site_id, codes=list(origin.coupon_codes or []), used_at=origin.occurred_at
            )
            todo.append((origin, job.payload.get("phone") or None))
        if todo:
            referrals_for_origins(site=site_ref(site_id), origins=todo)
    return {}


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
