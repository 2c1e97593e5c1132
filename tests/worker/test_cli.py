"""`goodword status --json`: the job backlog as JSON, for an operator or a monitoring check."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from goodword.cli import main
from goodword.worker import queue
from goodword.worker.models import Job
from goodword.worker.queue import MAX_ATTEMPTS
from tests.conftest import NOW
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def status(capsys) -> dict:
    code = main(["status", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    return json.loads(out)


def test_status_prints_the_backlog_as_json(frozen_now, capsys):
    # given two attribute jobs due for 30 and 5 s, one of them being run, a webhook job due in
    # an hour and a parked one
    site = SiteFactory()
    queue.enqueue(
        site_id=site.pk, kind="attribute", ref_id=1, run_after=NOW - timedelta(seconds=30)
    )
    queue.enqueue(site_id=site.pk, kind="attribute", ref_id=2, run_after=NOW - timedelta(seconds=5))
    queue.enqueue(site_id=site.pk, kind="webhook", run_after=NOW + timedelta(hours=1))
    parked = queue.enqueue(site_id=site.pk, kind="webhook")
    Job.objects.filter(pk=parked.pk).update(attempts=MAX_ATTEMPTS, failed_at=NOW)
    queue.claim(limit=1, kind="attribute", ref_id=2)

    # when an operator asks for the status
    result = status(capsys)

    # then it prints the counts, the oldest due job's age and the counts by kind, each kind
    # with its own oldest due job (and no webhook deliveries or coupon pools on this site)
    assert result == {
        "due": 2,
        "running": 1,
        "scheduled": 1,
        "failed": 1,
        "oldest_due_age_seconds": 30.0,
        "by_kind": {
            "attribute": {
                "due": 2,
                "running": 1,
                "scheduled": 0,
                "failed": 0,
                "oldest_due_age_seconds": 30.0,
            },
            "webhook": {
                "due": 0,
                "running": 0,
                "scheduled": 1,
                "failed": 1,
                "oldest_due_age_seconds": 0,
            },
        },
        "webhook_deliveries": {},
        "coupon_pools": [],
    }


def test_status_of_an_empty_queue(frozen_now, capsys):
    assert status(capsys) == {
        "due": 0,
        "running": 0,
        "scheduled": 0,
        "failed": 0,
        "oldest_due_age_seconds": 0,
        "by_kind": {},
        "webhook_deliveries": {},
        "coupon_pools": [],
    }


def test_status_shows_each_pools_burn_rate(frozen_now, capsys):
    # given a pool that handed out 3 codes in the last hour and 1 the day before, 2 left
    from tests.factories import CouponFactory, CouponListFactory

    site = SiteFactory(slug="shop")
    pool = CouponListFactory(site=site, identifier="friends")
    for i in range(3):
        CouponFactory(coupon_list=pool, site=site, claimed_at=NOW - timedelta(minutes=10 * i))
    CouponFactory(coupon_list=pool, site=site, claimed_at=NOW - timedelta(days=1))
    CouponFactory.create_batch(2, coupon_list=pool, site=site)

    # when status is asked for, as JSON and as text
    pools = status(capsys)["coupon_pools"]
    assert main(["status"]) == 0
    text = capsys.readouterr().out

    # then both give the codes taken in the last hour beside the levels
    assert pools == [
        {
            "site_slug": "shop",
            "coupon_list": "friends",
            "available": 2,
            "claimed": 4,
            "taken_last_hour": 3,
        }
    ]
    header, row = [line.split() for line in text.split("coupon pools:")[1].strip().splitlines()]
    assert header[-1] == "taken/hour" and row == ["shop", "friends", "2", "4", "3"]
