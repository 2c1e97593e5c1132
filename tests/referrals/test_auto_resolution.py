"""Automatic approval and flagged resolution by the worker, on a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.referrals.models import ReferralEvent
from goodword.referrals.services import RESOLVE, resolutions_retime
from goodword.sites.models import FraudSettings
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.referrals.program import (
    build_program,
    buy,
    friend_clicks,
    join,
    put_status,
    referral_of,
    set_fraud_actions,
)

pytestmark = pytest.mark.django_db


def approval(site, **fields):
    FraudSettings.objects.filter(site=site).update(**fields)
    forget_program(site.id)


def referred_purchase(api, api_site, order="A-1", email="friend@example.org"):
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, order, email, uuid=uuid)
    referral = referral_of(order)
    assert referral is not None
    return referral


def test_pending_referral_is_approved_once_its_delay_has_passed(api, api_site, time_machine):
    # given automatic approval 30 s after the friend's order
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="automatic", approval_delay_seconds=30)
    referral = referred_purchase(api, api_site)
    assert referral.status == "pending"

    # when 29 s pass, nothing happens; at 30 s the worker approves it
    time_machine.shift(timedelta(seconds=29))
    drain()
    referral.refresh_from_db()
    assert referral.status == "pending"
    time_machine.shift(timedelta(seconds=1))
    drain()

    # then it is approved by the automatic rule, with its event, and no job is left
    referral.refresh_from_db()
    assert referral.status == "approved"
    last = ReferralEvent.objects.filter(referral=referral).order_by("id").last()
    assert (last.from_status, last.to_status, last.actor) == ("pending", "approved", "automatic")
    assert not Job.objects.filter(kind=RESOLVE, ref_id=referral.pk).exists()


def test_manual_mode_waits_for_the_api(api, api_site, time_machine):
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="manual", approval_delay_seconds=1)
    referral = referred_purchase(api, api_site)

    time_machine.shift(timedelta(days=30))
    drain()
    referral.refresh_from_db()
    assert referral.status == "pending"
    assert not Job.objects.filter(kind=RESOLVE).exists()

    assert put_status(api, api_site.slug, "A-1", "approved").status_code == 200
    referral.refresh_from_db()
    assert referral.status == "approved"


def test_flagged_referral_is_voided_after_its_own_delay(api, api_site, time_machine):
    # given similar-email referrals are flagged and voided after 10 minutes of review
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    set_fraud_actions(api_site.site, {"Similar Email Match": "flag"})
    approval(
        api_site.site,
        approval_mode="automatic",
        approval_delay_seconds=5,
        flagged_resolution="voided",
        flagged_delay_seconds=600,
    )
    joined = join(api, api_site.slug, email="john.doe@gmail.com")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "johndoe+x@gmail.com", uuid=uuid)
    referral = referral_of("F-1")
    assert referral.status == "flagged"

    # when the approval delay passes it stays flagged; after the review period it is voided
    time_machine.shift(timedelta(seconds=60))
    drain()
    referral.refresh_from_db()
    assert referral.status == "flagged"
    time_machine.shift(timedelta(seconds=600))
    drain()
    referral.refresh_from_db()
    assert referral.status == "voided"


def test_flagged_set_to_never_stays_flagged(api, api_site, time_machine):
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    set_fraud_actions(api_site.site, {"Similar Email Match": "flag"})
    approval(api_site.site, flagged_resolution="never", flagged_delay_seconds=1)
    joined = join(api, api_site.slug, email="john.doe@gmail.com")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-2", "johndoe+y@gmail.com", uuid=uuid)

    time_machine.shift(timedelta(days=365))
    drain()
    assert referral_of("F-2").status == "flagged"


def test_changing_the_delay_retimes_waiting_referrals(api, api_site, time_machine):
    # given a referral waiting for a one-day delay
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="automatic", approval_delay_seconds=86400)
    referral = referred_purchase(api, api_site)

    # when the site shortens it to a minute
    approval(api_site.site, approval_delay_seconds=60)
    assert resolutions_retime(site_id=api_site.site.id) == 1
    time_machine.shift(timedelta(seconds=61))
    drain()

    # then the referral is approved on the new time
    referral.refresh_from_db()
    assert referral.status == "approved"


def test_lengthening_the_delay_under_a_queued_job_reschedules_it(api, api_site, time_machine):
    # given a job due in a minute, then the delay becomes an hour without a retime
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="automatic", approval_delay_seconds=60)
    referral = referred_purchase(api, api_site)
    approval(api_site.site, approval_delay_seconds=3600)

    # when the old time comes, the worker finds it is not due and comes back later
    time_machine.shift(timedelta(seconds=61))
    drain()
    referral.refresh_from_db()
    assert referral.status == "pending"
    job = Job.objects.get(kind=RESOLVE, ref_id=referral.pk)
    assert job.run_after == referral.origin.occurred_at + timedelta(seconds=3600)
    assert job.attempts == 0

    time_machine.shift(timedelta(seconds=3600))
    drain()
    referral.refresh_from_db()
    assert referral.status == "approved"


def test_unblocking_schedules_the_approval(api, api_site, time_machine):
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="automatic", approval_delay_seconds=10)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "S-1", "advocate@example.com", uuid=uuid)  # self-referral
    referral = referral_of("S-1")
    assert referral.status == "blocked"
    assert not Job.objects.filter(kind=RESOLVE, ref_id=referral.pk).exists()

    assert put_status(api, api_site.slug, "S-1", "pending").status_code == 200
    time_machine.shift(timedelta(seconds=11))
    drain()
    referral.refresh_from_db()
    assert referral.status == "approved"


def test_an_api_decision_removes_the_waiting_job(api, api_site, time_machine):
    time_machine.move_to(now(), tick=False)
    build_program(api_site.site)
    approval(api_site.site, approval_mode="automatic", approval_delay_seconds=10)
    referral = referred_purchase(api, api_site)
    assert Job.objects.filter(kind=RESOLVE, ref_id=referral.pk).exists()

    assert put_status(api, api_site.slug, "A-1", "voided").status_code == 200

    assert not Job.objects.filter(kind=RESOLVE, ref_id=referral.pk).exists()
    time_machine.shift(timedelta(seconds=60))
    drain()
    referral.refresh_from_db()
    assert referral.status == "voided"
