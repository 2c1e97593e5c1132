"""The worker's referral jobs: attribution and screening of a friend's origin."""

from __future__ import annotations

from goodword.origins.models import Origin
from goodword.referrals.services import ATTRIBUTE, referral_for_origin
from goodword.sites.auth import site_ref
from goodword.worker import queue


@queue.handler(ATTRIBUTE)
def attribute_origin(job: queue.Claimed) -> None:
    origin = (
        Origin.objects.filter(pk=job.ref_id, site_id=job.site_id).first()
        if job.ref_id is not None
        else None
    )
    if origin is None:  # nothing to attribute (the site was deleted since)
        return
    referral_for_origin(
        site=site_ref(job.site_id), origin=origin, phone=job.payload.get("phone") or None
    )
