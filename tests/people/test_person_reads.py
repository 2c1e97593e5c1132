"""The reads behind a person in the People API, each asked of one site: another site's id finds
nothing of this site's person, whatever row points at them."""

from __future__ import annotations

import pytest

from goodword.offers.selectors import offer_first_for_advocate, share_count_for_advocate
from goodword.offers.services import advocate_claim_url
from goodword.origins.selectors import origin_event_count
from goodword.people.models import Person
from goodword.referrals.selectors import (
    referral_counts_for_advocate,
    referral_inviter,
    referrals_for_person,
)
from goodword.rewards.selectors import reward_count_for_person
from tests.factories import SiteFactory
from tests.referrals.program import EVENT_URL, build_program, buy, friend_clicks, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def referred(api, api_site):
    """An advocate who shared once, caused an event, and referred a friend's purchase."""
    build_program(api_site.site)
    joined = join(api, api_site.slug, email="adv@example.com")
    short = joined["offer"]["short_url_code"]
    shared = api.post(
        f"/api/v2/offers/{short}/shares/social", {"site_slug": api_site.slug, "channel": "facebook"}
    )
    assert shared.status_code == 200, shared.content
    event = {"email": "adv@example.com", "event_category": "review", "event_number": "R-1"}
    caused = api.post(EVENT_URL, {"site_slug": api_site.slug, "data": {**event, "subtotal": 0}})
    assert caused.status_code == 201, caused.content
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.com", uuid=uuid)
    return (
        api_site.site.pk,
        Person.objects.get(email="adv@example.com"),
        Person.objects.get(email="friend@example.com"),
        joined,
    )


def test_the_sites_own_reads_find_the_persons_activity(referred):
    site_id, advocate, friend, joined = referred

    assert referral_counts_for_advocate(site_id=site_id, advocate_id=advocate.pk) == {
        "total": 1,
        "approved": 0,
        "pending": 1,
    }
    assert referral_inviter(site_id=site_id, friend_id=friend.pk) == advocate
    assert origin_event_count(site_id=site_id, person_id=advocate.pk) == 1
    assert share_count_for_advocate(site_id=site_id, advocate_id=advocate.pk) == 1
    assert reward_count_for_person(site_id=site_id, person_id=friend.pk) == 0
    assert (
        advocate_claim_url(site_id=site_id, advocate_id=advocate.pk)
        == (joined["offer"]["claim_url"])
    )
    (as_friend,) = referrals_for_person(
        site_id=site_id, person_id=friend.pk, role="friend", limit=5
    )
    assert as_friend.advocate == advocate


def test_another_sites_id_finds_nothing_of_them(referred):
    _, advocate, friend, _ = referred
    other = SiteFactory().pk

    assert referral_counts_for_advocate(site_id=other, advocate_id=advocate.pk)["total"] == 0
    assert referral_inviter(site_id=other, friend_id=friend.pk) is None
    assert origin_event_count(site_id=other, person_id=advocate.pk) == 0
    assert share_count_for_advocate(site_id=other, advocate_id=advocate.pk) == 0
    assert offer_first_for_advocate(site_id=other, advocate_id=advocate.pk) is None
    assert advocate_claim_url(site_id=other, advocate_id=advocate.pk) is None
    assert referrals_for_person(site_id=other, person_id=friend.pk, role="friend", limit=5) == []
