"""Attribution in batches (referrals/jobs.py attribute_origins, services.referrals_for_origins):
a batch of attribute jobs makes exactly the referrals, events, resolution jobs and rewards that
running the same jobs one by one makes, in one transaction with the jobs' deletion; and its
statements stay few per job."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from goodword.core.clock import now
from goodword.referrals.models import Referral, ReferralEvent
from goodword.referrals.services import ATTRIBUTE
from goodword.rewards.models import Reward
from goodword.worker import queue
from goodword.worker.loop import load_handlers
from goodword.worker.models import Job
from tests.conftest import ApiClient, is_postgres
from tests.referrals.program import build_program, friend_clicks, join
from tests.roundtrips import listing, statements
from tests.worker.support import friend_buys, friend_program


@pytest.fixture
def api(api_site) -> ApiClient:
    """The API with no worker behind it: jobs stay queued until the test runs them."""
    return ApiClient(api_site.key, drain=False)


def outcome() -> list[tuple[Any, ...]]:
    """What attribution left, without ids or times: per origin its referral, the referral's
    events, its resolve jobs and its rewards."""
    rows = []
    for r in Referral.objects.select_related("origin").order_by("origin__order_number"):
        rows.append(
            (
                r.origin.order_number,
                r.advocate_id,
                r.friend_id,
                r.offer_id,
                r.claim_id,
                r.track_method,
                r.status,
                r.fraud_policies_status,
                r.fraud_details,
                [{k: v for k, v in e.items() if k != "seen_at"} for e in r.fraud_evidence],
                list(
                    ReferralEvent.objects.filter(referral=r).values_list(
                        "from_status", "to_status", "actor", "reason"
                    )
                ),
                list(Job.objects.filter(kind="resolve", ref_id=r.pk).values_list("run_after")),
                sorted(
                    Reward.objects.filter(referral=r).values_list(
                        "reason", "status", "status_reason"
                    )
                ),
            )
        )
    return rows


def mixed_backlog(api: ApiClient, site: Any) -> None:
    """Attribute jobs for: friends with the advocate's cookie, a purchase nobody referred, the
    advocate buying through their own link (self-referral), a friend's second purchase with no
    cookie (attributed through the first one's referral: event chain), and an advocate whose
    own friend referred them in the same batch (the fraud fact that looks at that referral), and
    a friend who bought with the advocate's phone number."""
    build_program(site)
    link = join(api, site.slug, phone_number="+1 202 555 1111")["offer"]["claim_url"]

    def clicked() -> str:
        return friend_clicks(link)[1]

    friend_buys(api, site.slug, "A-1", clicked(), email="ann@friends.example.org")
    friend_buys(api, site.slug, "B-1", None, email="nobody@friends.example.org")
    friend_buys(api, site.slug, "C-1", clicked(), email="advocate@example.com")
    friend_buys(api, site.slug, "A-2", None, email="ann@friends.example.org")
    friend_buys(api, site.slug, "D-1", clicked(), email="dan@friends.example.org")
    # Dan is an advocate too; the first advocate clicks his link and buys.
    dans = join(api, site.slug, email="dan@friends.example.org")
    _, back = friend_clicks(dans["offer"]["claim_url"])
    friend_buys(api, site.slug, "E-1", back, email="advocate@example.com")
    friend_buys(
        api,
        site.slug,
        "F-1",
        clicked(),
        email="fay@friends.example.org",
        ip_address="1.2.3.4",
        phone_number="(202) 555-1111",
    )


@pytest.mark.django_db
def test_a_batch_makes_what_the_single_path_makes(api, api_site, time_machine):
    # given a mixed backlog of attribute jobs, claimed by a worker
    time_machine.move_to(now(), tick=False)
    mixed_backlog(api, api_site.site)
    load_handlers()
    jobs = queue.claim(limit=100)
    assert {job.kind for job in jobs} == {ATTRIBUTE} and len(jobs) == 7

    # when they run one by one (and that is rolled back), then as one batch
    with transaction.atomic():
        singles = [queue.run_one(job) for job in jobs]
        one_by_one = outcome()
        assert singles == ["done"] * 7
        assert not Job.objects.filter(kind=ATTRIBUTE).exists()
        transaction.set_rollback(True)
    assert Job.objects.filter(kind=ATTRIBUTE).count() == 7 and not Referral.objects.exists()
    ran = queue.run_many(jobs)

    # then the batch ran as a batch and left exactly what the single path left
    assert singles == ["done"] * 7
    assert ran == {"done": 7}
    batched = outcome()
    assert batched == one_by_one
    by_order = {row[0]: row for row in batched}
    # the unreferred purchase has no referral; the others one each, with the expected method
    assert "B-1" not in by_order, {k: (v[5], v[6], v[8]) for k, v in by_order.items()}
    assert by_order["A-1"][5] == by_order["D-1"][5] == "cookie"
    assert by_order["A-2"][5] == "event_chain"
    assert by_order["A-2"][3] == by_order["A-1"][3]
    # the self-referral and the crossed referral were caught by the fraud policies
    assert by_order["C-1"][8] and by_order["C-1"][7] != by_order["A-1"][7]
    assert by_order["E-1"][8]
    assert by_order["F-1"][6] == "flagged"
    assert by_order["F-1"][7]["flagged"] == ["Matching Phone Number on Friend Purchase"]
    assert not Job.objects.filter(kind=ATTRIBUTE).exists()


@pytest.mark.django_db
def test_a_batch_whose_lease_was_lost_applies_nothing(api, api_site, time_machine):
    # given claimed attribute jobs, one of which another worker took since (its token changed)
    time_machine.move_to(now(), tick=False)
    mixed_backlog(api, api_site.site)
    load_handlers()
    jobs = queue.claim(limit=100)
    lost = jobs[-1]
    Job.objects.filter(pk=lost.id).update(claim_token="someone-else")

    # when the batch runs
    ran = queue.run_many(jobs)

    # then the batch was rolled back whole and each job ran on its own: the lost one applied
    # nothing, every other one exactly once
    assert ran == {"done": 6, "lost": 1}
    assert not Referral.objects.filter(origin_id=lost.ref_id).exists()
    assert Referral.objects.count() == 5
    assert ReferralEvent.objects.count() == 5
    assert list(Job.objects.filter(kind=ATTRIBUTE).values_list("id", flat=True)) == [lost.id]


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_attributions_sends_few_statements_per_job(api, api_site, time_machine):
    # given 40 friends' purchases waiting for their attribution, and a warm worker
    time_machine.move_to(now(), tick=False)
    uuid = friend_program(api, api_site.site)
    count = 40
    for i in range(count):
        friend_buys(api, api_site.slug, f"G-{i}", uuid)
    from tests.referrals.test_job_round_trips import warm

    warm(api_site.site.pk)

    # when the worker claims them and runs them as one batch
    with statements() as seen:
        jobs = queue.claim(limit=100)
        ran = queue.run_many(jobs)

    # then every purchase is referred
    assert ran == {"done": count}
    assert Referral.objects.count() == count
    # with, on PostgreSQL, one statement per job (its referral, the lot in one pipelined round
    # trip) and for the lot: the claim, the origins, one statement for the candidates of all
    # and one for the fraud facts of all, the rewards (three reads and an insert) and the
    # completions. On SQLite, one by one: its candidates, its fraud facts and the referral's
    # insert (three statements in a savepoint), plus the transaction's BEGIN and a rewards
    # insert in two parts (its batch size there).
    per_job, fixed = (0, 10) if is_postgres() else (7, 9)
    assert len(seen) == per_job * count + fixed, listing(seen)
