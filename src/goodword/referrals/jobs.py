"""The worker's referral jobs: attribution and screening of a friend's origin, and the
automatic resolution of waiting referrals."""

from __future__ import annotations

from datetime import datetime

from goodword.core.clock import now
from goodword.coupons.services import coupons_record_use
from goodword.origins.models import Origin
from goodword.origins.selectors import origin_for_attribution
from goodword.referrals.approval import resolution
from goodword.referrals.models import Actor, Referral
from goodword.referrals.resolution import RESOLVE, approval_settings
from goodword.referrals.services import (
    ATTRIBUTE,
    ActorRef,
    referral_for_origin,
    referrals_transition,
)
from goodword.sites.auth import site_ref
from goodword.sites.program import program_for
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
    """Many resolve jobs at once: the referrals locked in primary-key order, the due ones moved
    together per site and outcome. Returns the jobs whose time moved later."""
    by_referral: dict[int, list[queue.Claimed]] = {}
    for job in jobs:
        if job.ref_id is not None:
            by_referral.setdefault(job.ref_id, []).append(job)
    referrals = list(
        Referral.objects.select_for_update().filter(pk__in=list(by_referral)).order_by("pk")
    )
    origin_at = dict(
        Origin.objects.filter(pk__in=[r.origin_id for r in referrals]).values_list(
            "id", "occurred_at"
        )
    )
    stamp = now()
    later: dict[int, datetime] = {}
    moves: dict[tuple[int, str], list[tuple[Referral, str, str]]] = {}
    for referral in referrals:
        due = resolution(
            status=referral.status,
            settings=approval_settings(program_for(referral.site_id)),
            origin_at=origin_at[referral.origin_id],
            status_since=referral.updated_at,
        )
        if due is None:
            continue  # resolved meanwhile, or the settings say wait for a person
        if due.due_at > stamp:
            for job in by_referral[referral.pk]:
                later[job.id] = due.due_at
            continue
        moves.setdefault((referral.site_id, due.to_status), []).append(
            (referral, due.to_status, due.reason)
        )
    actor = ActorRef(Actor.AUTOMATIC, "approval settings")
    for group in moves.values():
        referrals_transition(moves=group, actor=actor)
    return later
