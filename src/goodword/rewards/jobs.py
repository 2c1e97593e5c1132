"""The worker's reward jobs: paying rewards that waited for coupon codes."""

from __future__ import annotations

from goodword.rewards.services import PAY_WAITING, WAITING_BATCH, rewards_pay_waiting
from goodword.worker import queue


@queue.handler(PAY_WAITING)
def pay_waiting(job: queue.Claimed) -> None:
    if job.ref_id is None:
        return
    while rewards_pay_waiting(coupon_list_id=job.ref_id) == WAITING_BATCH:
        pass
