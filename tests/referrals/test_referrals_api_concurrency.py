"""Racing Referrals API calls on one referral: the row lock makes one final status win, and the
losers are refused without writing anything (PostgreSQL, real HTTP, one thread per call)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from goodword.referrals.models import Referral
from tests.conftest import ApiClient, postgres_only
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program, buy, friend_clicks, join, referral_of

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

CALLS_PER_STATUS = 10


def test_concurrent_approve_and_void_leave_one_final_status(live_server):
    # given a pending referral
    site = SiteFactory()
    key = make_key(site).raw_key
    api = ApiClient(key)
    build_program(site)
    joined = join(api, site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, site.slug, "RACE-1", "friend@example.org", uuid=uuid)
    referral = referral_of("RACE-1")
    assert referral is not None and referral.status == "pending"

    # when ten clients approve it and ten void it, all at the same moment
    statuses = ["approved", "voided"] * CALLS_PER_STATUS
    barrier = threading.Barrier(len(statuses))
    url = f"{live_server.url}/api/v2/origins/RACE-1/referral"

    def send(status: str) -> tuple[str, int]:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            response = session.put(
                url,
                json={"site_slug": site.slug, "data": {"status": status}},
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
            return status, response.status_code

    with ThreadPoolExecutor(max_workers=len(statuses)) as pool:
        answers = list(pool.map(send, statuses))

    # then one status won: every call asking for it succeeded, every other call was refused
    final = Referral.objects.get(pk=referral.pk).status
    assert final in {"approved", "voided"}
    for status, code in answers:
        assert code == (200 if status == final else 400), answers
    # and exactly one transition was recorded after the engine's
    trail = list(
        Referral.objects.get(pk=referral.pk)
        .events.order_by("id")
        .values_list("from_status", "to_status", "actor")
    )
    assert trail == [("in_progress", "pending", "engine"), ("pending", final, "api")]
