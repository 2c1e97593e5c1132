"""The worker's reward jobs: paying rewards that waited for coupon codes, and a referral's
rewards (the advocate's and the friend's) that waited for the referral webhook."""

from __future__ import annotations

from goodword.rewards.services import (
    PAY_WAITING,
    WAITING_BATCH,
    rewards_pay_after_referral_webhook,
    rewards_pay_waiting,
)
from goodword.webhooks.types import REFERRAL_WEBHOOK_DELIVERED
from goodword.worker import queue


@queue.handler(PAY_WAITING)
def pay_waiting(job: queue.Claimed) -> None:
    if job.ref_id is None:
        return
    while rewards_pay_waiting(coupon_list_id=job.ref_id) == WAITING_BATCH:
        pass


@queue.handler(REFERRAL_WEBHOOK_DELIVERED)
def pay_after_referral_webhook(job: queue.Claimed) -> None:
    if job.ref_id is None:
        return
    rewards_pay_after_referral_webhook(site_id=job.site_id, referral_id=job.ref_id)
