"""Manual referrals: made by an agent from a friend's origin and an advocate; screened, or with
force not; refused, with the reason, when the origin is already referred."""

from __future__ import annotations

import pytest

from goodword.offers.models import AdvocateOffer, ShortLink
from goodword.portal.models import AuditEntry
from goodword.referrals.models import Referral, ReferralEvent
from goodword.rewards.models import Reward
from tests.portal.support import ADVOCATE, flagged_referral
from tests.referrals.program import build_program, buy, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ALL_POLICIES = [
    "Matching Email or Cookie on Friend Purchase",
    "Similar Email Match",
    "Matching Shipping Address",
    "Matching by Combination of IP Address & User Agent",
    "Matching by IP Address only",
    "Matching Phone Number on Friend Purchase",
    "Friend and Advocate Refer Each Other",
]


@pytest.fixture
def unreferred(api, api_site):
    """An advocate with an offer, and a friend's order nothing tied to them."""
    build_program(api_site.site)
    joined = join(api, api_site.slug, email="ada@example.com")
    buy(api, api_site.slug, "LOST-1", "friend@example.org")
    assert not Referral.objects.exists()
    return joined


def create(client, site, **data):
    return client.post(f"/portal/{site.slug}/referrals/new/", data)


def test_a_manual_referral_is_screened_and_recorded(api_site, unreferred, agent, agent_client):
    response = create(
        agent_client,
        api_site.site,
        origin="LOST-1",
        advocate="ADA@example.com",
        note="friend bought on another phone",
    )

    referral = Referral.objects.get(origin__order_number="LOST-1")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{api_site.slug}/referrals/{referral.pk}/"
    assert referral.track_method == "manually_generated"
    assert referral.status == "pending"
    assert referral.advocate.email == "ada@example.com"
    assert referral.fraud_policies_status["passed"]  # the policies ran
    event = ReferralEvent.objects.get(referral=referral)
    assert (event.actor, event.actor_detail) == ("staff", agent.email)
    assert event.reason == "created by hand: friend bought on another phone"
    assert Reward.objects.filter(referral=referral, reason="referrer", status="Pending").exists()
    entry = AuditEntry.objects.get(object_type="referral", object_id=referral.pk)
    assert (entry.action, entry.note) == ("referral.create", "friend bought on another phone")
    # the referral page explains it
    page = agent_client.get(response["Location"]).content.decode()
    assert f"Created by hand by {agent.email}, then screened for fraud" in page


def test_screening_still_flags_a_suspicious_manual_referral(api, api_site, agent_client):
    build_program(api_site.site)
    join(api, api_site.slug, email="john.doe@gmail.com")
    buy(api, api_site.slug, "SIM-9", "johndoe+y@gmail.com")

    create(agent_client, api_site.site, origin="SIM-9", advocate="john.doe@gmail.com")

    referral = Referral.objects.get(origin__order_number="SIM-9")
    assert referral.status == "flagged"
    assert referral.fraud_details == "Similar Email"


def test_force_skips_screening_and_says_so(api, api_site, agent_client):
    build_program(api_site.site)
    join(api, api_site.slug, email="john.doe@gmail.com")
    buy(api, api_site.slug, "SIM-10", "johndoe+y@gmail.com")

    create(
        agent_client,
        api_site.site,
        origin="SIM-10",
        advocate="john.doe@gmail.com",
        force="on",
        note="verified by phone",
    )

    referral = Referral.objects.get(origin__order_number="SIM-10")
    assert referral.track_method == "force_manually_generated"
    assert referral.status == "pending"
    assert referral.fraud_policies_status == {
        "blocked": [],
        "flagged": [],
        "skipped": ALL_POLICIES,
        "passed": [],
    }
    assert referral.fraud_evidence[0]["screening"] == "skipped (force)"
    event = ReferralEvent.objects.get(referral=referral)
    assert event.reason == (
        "created by hand with force: fraud screening skipped: verified by phone"
    )
    assert AuditEntry.objects.get(object_id=referral.pk).action == "referral.create_forced"


def test_an_already_referred_origin_is_refused_with_whose_it_is(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site, "TAKEN-1")
    join(api, api_site.slug, email="other.advocate@example.com")

    response = create(
        agent_client,
        api_site.site,
        origin="TAKEN-1",
        advocate="other.advocate@example.com",
        force="on",
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert (
        f"Refused: TAKEN-1 is already referred by {ADVOCATE} (referral {referral.pk}, flagged); "
        "an origin is referred only once."
    ) in page
    assert Referral.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_the_advocate_can_be_given_by_offer_code_or_claim_link(api_site, unreferred, agent_client):
    offer = AdvocateOffer.objects.get(advocate__email="ada@example.com")
    link = ShortLink.objects.filter(offer=offer, kind="claim").first()

    create(agent_client, api_site.site, origin="LOST-1", advocate=f"https://x.test/x/{link.code}")

    assert Referral.objects.get(origin__order_number="LOST-1").offer_id == offer.pk


@pytest.mark.parametrize(
    ("origin", "advocate", "message"),
    [
        ("NOPE", "ada@example.com", "No origin found by `origin_slug`."),
        ("LOST-1", "nobody@example.com", "No person with the email nobody@example.com"),
        ("LOST-1", "friend@example.org", "friend@example.org has no offer"),
        ("LOST-1", "ZZZZZZ", "No offer or link with the code &#x27;ZZZZZZ&#x27;"),
    ],
)
def test_refusals_say_why(api_site, unreferred, agent_client, origin, advocate, message):
    response = create(agent_client, api_site.site, origin=origin, advocate=advocate)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Referral.objects.exists()


def test_an_advocate_cannot_be_credited_with_their_own_order(
    api, api_site, unreferred, agent_client
):
    buy(api, api_site.slug, "OWN-1", "ada@example.com")

    response = create(agent_client, api_site.site, origin="OWN-1", advocate="ada@example.com")

    assert response.status_code == 422
    assert "cannot refer their own origin" in response.content.decode()


def test_another_sites_offer_is_not_found(api_site, unreferred, other_site, agent_client):
    from tests.factories import CampaignFactory, PersonFactory

    campaign = CampaignFactory(site=other_site)
    stranger = PersonFactory(site=other_site)
    from goodword.core.clock import now

    offer = AdvocateOffer.objects.create(
        site=other_site,
        campaign=campaign,
        advocate=stranger,
        short_url_code="OTHER1",
        created_at=now(),
    )

    response = create(agent_client, api_site.site, origin="LOST-1", advocate=offer.short_url_code)

    assert response.status_code == 422
    assert not Referral.objects.exists()


def test_a_viewer_cannot_create_a_referral(api_site, unreferred, viewer_client):
    response = create(viewer_client, api_site.site, origin="LOST-1", advocate="ada@example.com")

    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_the_service_refuses_a_viewer_too(api_site, unreferred, viewer):
    from goodword.portal.access import Forbidden
    from goodword.portal.services import referral_create_by_staff
    from tests.portal.support import staff_of

    with pytest.raises(Forbidden):
        referral_create_by_staff(
            staff=staff_of(viewer, api_site.site), origin_slug="LOST-1", advocate="ada@example.com"
        )
    assert not Referral.objects.exists()


def test_an_event_is_referred_by_its_category_and_number(api, api_site, unreferred, agent_client):
    from tests.referrals.program import EVENT_URL

    response = api.post(
        EVENT_URL,
        {
            "site_slug": api_site.slug,
            "data": {
                "email": "newsletter@example.org",
                "event_category": "newsletter",
                "event_number": "N-1",
                "subtotal": 0,
            },
        },
    )
    assert response.status_code == 201, response.content

    created = create(
        agent_client, api_site.site, origin="newsletter:N-1", advocate="ada@example.com"
    )

    assert created.status_code == 302
    referral = Referral.objects.get(origin__event_number="N-1")
    assert (referral.track_method, referral.friend.email) == (
        "manually_generated",
        "newsletter@example.org",
    )
