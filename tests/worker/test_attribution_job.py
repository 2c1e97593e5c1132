"""A friend's purchase is attributed by the worker, from an `attribute` job stored with the
origin; the Referrals and Refund APIs settle a queued attribution before they act."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.core.clock import now
from goodword.origins.models import ATTRIBUTE, Origin
from goodword.referrals import services
from goodword.referrals.models import Referral, ReferralEvent
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import ApiClient
from tests.helpers import DUPLICATE_PURCHASE
from tests.referrals.program import EVENT_URL, JOIN_URL, PURCHASE_URL, put_status, referral_of
from tests.worker.support import (
    attribute_jobs,
    due_jobs,
    friend_buys,
    friend_program,
    purchase_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_site) -> ApiClient:
    """The API with no worker behind it: jobs stay queued until the test drains them."""
    return ApiClient(api_site.key, drain=False)


@pytest.fixture
def uuid(api, api_site) -> str:
    """A live campaign and a friend who clicked an advocate's claim link."""
    return friend_program(api, api_site.site)


def test_a_friend_purchase_queues_one_attribute_job_and_no_referral(api, api_site, uuid):
    # when the friend buys
    friend_buys(api, api_site.slug, "F-1", uuid, phone_number="+15550100")

    # then one attribute job about the purchase is queued, due now, and no referral exists yet
    origin = Origin.objects.get(order_number="F-1")
    job = Job.objects.get()
    assert (job.kind, job.ref_id, job.site_id) == (ATTRIBUTE, origin.pk, api_site.site.pk)
    assert job.payload == {"phone": "+15550100"}
    assert job.run_after == origin.created_at
    assert (job.attempts, job.claim_token, job.failed_at) == (0, None, None)
    assert Referral.objects.count() == 0


def test_draining_attributes_the_purchase_and_deletes_the_job(api, api_site, uuid):
    # given a queued attribution
    friend_buys(api, api_site.slug, "F-2", uuid)

    # when the worker drains the queue
    done = drain()

    # then the referral exists, attributed by cookie, with its first event; the job is gone
    # and nothing else is due (the approval waits for its delay)
    assert done == 1
    referral = referral_of("F-2")
    assert referral is not None
    assert referral.track_method == "cookie"
    assert referral.status == "pending"
    assert ReferralEvent.objects.filter(referral=referral).count() == 1
    assert attribute_jobs().count() == 0
    assert due_jobs() == 0
    # and draining again does nothing
    assert drain() == 0
    assert Referral.objects.count() == 1


def test_a_friend_event_is_attributed_through_a_job_too(api, api_site, uuid):
    # when the friend's event is reported
    body = {
        "site_slug": api_site.slug,
        "data": {
            "email": "evented@friends.example.org",
            "event_category": "signup",
            "event_number": "E-1",
            "subtotal": 10,
            "uuid": uuid,
        },
    }
    assert api.post(EVENT_URL, body).status_code == 201

    # then it waits for the worker, which attributes it
    assert Job.objects.filter(kind=ATTRIBUTE).count() == 1
    assert Referral.objects.count() == 0
    drain()
    assert Referral.objects.get().origin.event_number == "E-1"


def test_an_affiliate_member_queues_nothing(api, api_site, uuid):
    # given the advocate already joined (in the fixture) and nothing is queued
    assert Job.objects.count() == 0

    # when another person joins
    response = api.post(
        JOIN_URL, {"site_slug": api_site.slug, "data": {"email": "second@example.com"}}
    )

    # then no job is queued for it
    assert response.status_code == 201
    assert Job.objects.count() == 0


def test_a_purchase_on_a_site_without_campaigns_queues_nothing(api, api_site):
    # given a site with no campaign
    # when a purchase is reported
    friend_buys(api, api_site.slug, "N-1", None)

    # then there is nothing for the worker to do
    assert Origin.objects.filter(order_number="N-1").exists()
    assert Job.objects.count() == 0


def test_a_repeated_identical_purchase_queues_no_second_job(api, api_site, uuid):
    # given a purchase whose attribution is queued
    friend_buys(api, api_site.slug, "R-1", uuid)
    [job] = Job.objects.all()

    # when the merchant sends the same purchase again
    friend_buys(api, api_site.slug, "R-1", uuid)

    # then the one job is still the only one
    assert list(Job.objects.values_list("id", flat=True)) == [job.pk]
    # and after the worker ran it, a third copy queues nothing either
    drain()
    friend_buys(api, api_site.slug, "R-1", uuid)
    assert attribute_jobs().count() == 0
    assert Referral.objects.count() == 1
    assert ReferralEvent.objects.count() == 1


def test_a_duplicate_purchase_with_other_data_queues_nothing(api, api_site, uuid):
    # given a purchase whose attribution is queued
    friend_buys(api, api_site.slug, "D-1", uuid)

    # when the same order number comes with another subtotal
    response = api.post(PURCHASE_URL, purchase_body(api_site.slug, "D-1", uuid, subtotal=99))

    # then it is refused and no second job is queued
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": DUPLICATE_PURCHASE}
    assert Job.objects.count() == 1
    assert Origin.objects.filter(order_number="D-1").count() == 1


def test_setting_the_status_right_after_the_purchase_finds_the_referral(api, api_site, uuid):
    # given a purchase whose attribution no worker has run yet
    friend_buys(api, api_site.slug, "S-1", uuid)
    assert Referral.objects.count() == 0

    # when the merchant approves its referral at once
    response = put_status(api, api_site.slug, "S-1", "approved")

    # then the attribution ran first, and the referral it made is approved
    assert response.status_code == 200, response.content
    assert response.json()["result"]["referral"]["status"] == "approved"
    referral = Referral.objects.get()
    assert referral.status == "approved"
    assert attribute_jobs().count() == 0
    events = ReferralEvent.objects.filter(referral=referral).order_by("id")
    assert [(e.from_status, e.to_status) for e in events] == [
        ("in_progress", "pending"),
        ("pending", "approved"),
    ]
    # and a worker coming later finds nothing to do
    assert drain() == 0
    assert Referral.objects.count() == 1


def test_a_refund_right_after_the_purchase_voids_the_referral(api, api_site, uuid):
    # given a purchase whose attribution no worker has run yet
    friend_buys(api, api_site.slug, "V-1", uuid)

    # when the merchant refunds it at once
    response = api.post("/api/v2/origins/V-1/refund", {"site_slug": api_site.slug})

    # then the attribution ran first, and its referral is voided by the refund
    assert response.status_code == 200, response.content
    referral = Referral.objects.get()
    assert referral.status == "voided"
    assert attribute_jobs().count() == 0
    assert list(
        ReferralEvent.objects.filter(referral=referral)
        .order_by("id")
        .values_list("from_status", "to_status")
    ) == [("in_progress", "pending"), ("pending", "voided")]
    assert drain() == 0


def test_a_job_waiting_for_its_retry_runs_at_once_for_a_status_change(api, api_site, uuid):
    # given an attribution job that failed once and waits an hour for its retry
    friend_buys(api, api_site.slug, "R-1", uuid)
    Job.objects.filter(kind=ATTRIBUTE).update(run_after=now() + timedelta(hours=1), attempts=1)

    # when the merchant approves the order
    response = put_status(api, api_site.slug, "R-1", "approved")

    # then the job ran now and the approval applied to its referral
    assert response.status_code == 200, response.content
    assert referral_of("R-1").status == "approved"
    assert attribute_jobs().count() == 0


def test_a_job_held_by_a_stuck_worker_answers_409_and_changes_nothing(
    api, api_site, uuid, monkeypatch
):
    # given an attribution job leased by a worker that stopped answering
    friend_buys(api, api_site.slug, "H-1", uuid)
    Job.objects.filter(kind=ATTRIBUTE).update(
        claimed_until=now() + timedelta(minutes=1), claim_token="someone-else"
    )
    # (the 5 s wait runs on a clock that jumps, so the test does not sleep)
    ticks = iter(range(0, 1000, 3))
    monkeypatch.setattr(services.time, "monotonic", lambda: next(ticks))
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)

    # when the merchant approves the order
    response = put_status(api, api_site.slug, "H-1", "approved")

    # then they are told to retry; nothing was approved and the job is still there
    assert response.status_code == 409
    assert response.json() == {
        "ok": False,
        "error_message": (
            "The referral for this origin is still being screened; retry in a few seconds"
        ),
    }
    assert Referral.objects.count() == 0
    assert attribute_jobs().count() == 1
