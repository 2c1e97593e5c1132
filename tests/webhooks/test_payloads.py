"""Every webhook the engine emits, caused through the API and pages as a merchant would, arrives
with a body that validates against talkable-webhooks.openapi.yml; every builder does too."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest

from goodword.campaigns.models import Campaign
from goodword.coupons.models import CouponList
from goodword.offers.models import AdvocateOffer, Claim
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.webhooks import payloads
from goodword.webhooks.models import Delivery
from goodword.webhooks.services import payload_render, webhook_emit
from goodword.worker.loop import drain
from tests.referrals.program import BASE_URL, EVENT_URL, build_program, click, join
from tests.webhooks.contract import assert_valid
from tests.webhooks.support import SECURITY_KEY, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def received(receiver, hook_type):
    return [r.document for r in receiver.received if r.document["type"] == hook_type]


def test_an_event_origin_sends_event_web_hook(api, api_site, receiver):
    subscribe(api_site.site, receiver.url, "event_web_hook")
    response = api.post(
        EVENT_URL,
        {
            "site_slug": api_site.slug,
            "data": {
                "email": "ev@example.com",
                "first_name": "Eve",
                "event_category": "app_installed",
                "event_number": "E-1",
                "subtotal": 12.5,
                "utm_source": "newsletter",
            },
        },
    )
    assert response.status_code == 201, response.content
    (body,) = received(receiver, "event_web_hook")
    assert_valid(body, "event_web_hook")
    assert body["key"] == SECURITY_KEY and body["site"] == api_site.slug
    origin = body["payload"]["origin"]
    assert (origin["type"], origin["event_category"], origin["event_number"]) == (
        "Event",
        "app_installed",
        "E-1",
    )
    assert origin["subtotal"] == 12.5 and origin["utm_source"] == "newsletter"
    assert body["payload"]["person"]["first_name"] == "Eve"
    # a repeat of the same event is the same origin: no second webhook
    api.post(
        EVENT_URL,
        {
            "site_slug": api_site.slug,
            "data": {
                "email": "ev@example.com",
                "first_name": "Eve",
                "event_category": "app_installed",
                "event_number": "E-1",
                "subtotal": 12.5,
                "utm_source": "newsletter",
            },
        },
    )
    assert len(received(receiver, "event_web_hook")) == 1


def test_an_event_origin_refused_as_a_duplicate_leaves_no_delivery(api, api_site, receiver):
    subscribe(api_site.site, receiver.url, "event_web_hook")
    data = {"email": "a@example.com", "event_category": "c", "event_number": "1", "subtotal": 1}
    api.post(EVENT_URL, {"site_slug": api_site.slug, "data": data})
    response = api.post(EVENT_URL, {"site_slug": api_site.slug, "data": {**data, "subtotal": 2}})
    assert response.status_code == 400
    assert Delivery.objects.count() == 1


def test_without_a_subscription_an_event_costs_no_webhook_statement(
    api, api_site, django_assert_num_queries
):
    from goodword.campaigns.program import program_for
    from goodword.origins.intake import origin_ingest
    from goodword.origins.schemas import EventData
    from goodword.sites.auth import SiteRef
    from goodword.webhooks.services import site_subscribes

    site_subscribes(site_id=api_site.site.pk, hook_type="event_web_hook")  # snapshot warm
    program_for(api_site.site.pk)  # snapshot warm
    ref = SiteRef(id=api_site.site.pk, slug=api_site.slug, currency="USD")
    data = EventData(email="q@example.com", event_category="c", event_number="n1", subtotal=1)
    from tests.conftest import is_postgres

    # PostgreSQL: the one CTE statement, on its own psycopg cursor (Django counts none, and
    # would count a savepoint or a snapshot query); SQLite: savepoint, person, origin, release
    with django_assert_num_queries(0 if is_postgres() else 4):
        ingested = origin_ingest(
            site=ref, kind="Event", data=data, current_ip=None, with_offer=False
        )
    assert ingested.origin.pk is not None
    assert not Delivery.objects.exists()


def test_joining_sends_offer_signup_web_hook(api, api_site, receiver):
    build_program(api_site.site)
    subscribe(api_site.site, receiver.url, "offer_signup_web_hook")
    result = join(api, api_site.slug, email="ada@example.com", last_name="Lovelace")
    (body,) = received(receiver, "offer_signup_web_hook")
    assert_valid(body, "offer_signup_web_hook")
    payload = body["payload"]
    assert payload["email"] == "ada@example.com" and payload["last_name"] == "Lovelace"
    assert payload["offer"]["short_url_code"] == result["offer"]["short_url_code"]
    assert payload["campaign"]["tag_names"] == ["invite"]
    # joining again finds the offer: no second signup
    join(api, api_site.slug, email="ada@example.com")
    assert len(received(receiver, "offer_signup_web_hook")) == 1


def test_a_social_share_sends_post_share_web_hook(api, api_site, receiver):
    build_program(api_site.site)
    subscribe(api_site.site, receiver.url, "post_share_web_hook")
    offer = join(api, api_site.slug)["offer"]
    response = api.post(
        f"/api/v2/offers/{offer['short_url_code']}/shares/social",
        {"site_slug": api_site.slug, "channel": "facebook"},
    )
    assert response.status_code in (200, 201), response.content
    (body,) = received(receiver, "post_share_web_hook")
    assert_valid(body, "post_share_web_hook")
    payload = body["payload"]
    assert payload["share_type"] == "facebook"
    assert payload["share_link"].startswith(f"{BASE_URL}/x/")
    assert payload["sharer_info"]["email"] == "advocate@example.com"
    assert payload["origin"]["type"] == "AffiliateMember"


def test_an_email_gated_claim_sends_claim_signup_web_hook(api, api_site, receiver):
    build_program(api_site.site, gate_email=True)
    subscribe(api_site.site, receiver.url, "claim_signup_web_hook")
    offer = join(api, api_site.slug)["offer"]
    _, page = click(offer["claim_url"])
    assert page.status_code == 200 and not receiver.received
    _, done = click(offer["claim_url"], method="post", data={"email": "friend@example.com"})
    assert done.status_code == 302
    drain()
    (body,) = received(receiver, "claim_signup_web_hook")
    assert_valid(body, "claim_signup_web_hook")
    payload = body["payload"]
    assert payload["email"] == "friend@example.com"
    assert payload["offer"]["email"] == "advocate@example.com"
    assert payload["ip_address"] == "198.51.100.7"


def test_every_builder_validates_against_the_contract(api, api_site):
    build_program(api_site.site, gate_email=True)
    join(api, api_site.slug)
    offer = AdvocateOffer.objects.select_related("advocate", "campaign", "origin").get()
    person = offer.advocate
    campaign = Campaign.objects.get()
    origin = Origin.objects.get()
    coupon_list = CouponList.objects.first() or CouponList.objects.create(
        site=api_site.site, identifier="pool", created_at=origin.created_at
    )
    claim = Claim(
        site_id=api_site.site.pk,
        offer=offer,
        visitor_uuid="6f1c1f38-7c7f-4a8b-9d8e-0d1f2a3b4c5d",
        gated_email="pal@example.com",
        ip_address="192.0.2.1",
        created_at=origin.created_at,
        clicked_at=origin.created_at,
    )
    reward = {
        "id": 5,
        "reason": "referrer",
        "status": "Paid",
        "incentive_type": "discount_coupon",
        "incentive_identifier": "advocate-coupon",
        "incentive_description": "$10 off",
        "incentive_custom_description": None,
        "amount": Decimal("10.00"),
        "coupon_code": "ADV-1",
        "coupon": {
            "active": True,
            "amount": Decimal("10.00"),
            "code": "ADV-1",
            "description": "$10",
            "id": 9,
            "percentage_discount": False,
            "single_use": True,
            "usages": 0,
            "used": False,
            "expires_at": None,
            "valid_until": None,
            "not_in_contract": 1,
        },
        "internal": "dropped",
    }
    built = {
        "event_web_hook": payloads.event_payload(origin),
        "offer_signup_web_hook": payloads.offer_signup_payload(offer),
        "claim_signup_web_hook": payloads.claim_signup_payload(claim),
        "unsubscribe_web_hook": payloads.unsubscribe_payload(person),
        "check_unsubscribe_web_hook": payloads.check_unsubscribe_payload(
            campaign=campaign, recipient=person, email_type="notifier_offers_email"
        ),
        "create_coupon_web_hook": payloads.create_coupon_payload(
            coupon_list, person=person, discount_amount=Decimal("10.0"), usage_limit=1
        ),
        "reward_web_hook": payloads.reward_payload(
            reward,
            person=person,
            offer=offer,
            campaign=campaign,
            origin=origin,
            advocate_origin=origin,
            friend_origin=origin,
        ),
    }
    for hook_type, payload in built.items():
        webhook_emit(site_id=api_site.site.pk, hook_type=hook_type, payload=payload)
        document = {"key": "k", "site": "s", "type": hook_type, "extras": {}, "payload": payload}
        import json

        from goodword.webhooks.services import payload_render

        assert_valid(json.loads(json.dumps(payload_render(document, zone=UTC))), hook_type)
    assert built["reward_web_hook"]["reward"]["amount"] == 10
    assert "internal" not in built["reward_web_hook"]["reward"]


def test_the_referral_builder_validates_against_the_contract(api, api_site):
    from goodword.referrals.models import Referral
    from tests.referrals.program import buy, visitor_of

    build_program(api_site.site)
    offer = join(api, api_site.slug)["offer"]
    _, response = click(offer["claim_url"])
    buy(api, api_site.slug, "ORDER-1", "friend@example.com", uuid=visitor_of(response))
    referral = Referral.objects.select_related("campaign", "offer__advocate", "origin").get()
    reward = payloads.referral_reward_payload(
        {"id": 1, "amount": Decimal("10.00"), "incentive_type": "rebate"},
        person=referral.advocate,
        origin=referral.origin,
    )
    payload = payloads.referral_payload(referral, advocate_rewards=[reward])
    document = {"key": "k", "site": "s", "type": "referral_web_hook", "extras": {}}
    assert_valid(payload_render({**document, "payload": payload}, zone=UTC), "referral_web_hook")
    assert payload["referrer"]["amount"] == "10.00"
    assert payload["referred"] is None


def test_unsubscribe_emitter_sends_when_subscribed(api_site, receiver):
    from goodword.webhooks.emitters import unsubscribe_emit

    person = Person.objects.create(
        site=api_site.site,
        email="gone@example.com",
        created_at=api_site.site.created_at,
        updated_at=api_site.site.created_at,
    )
    assert unsubscribe_emit(person=person) == 0
    subscribe(api_site.site, receiver.url, "unsubscribe_web_hook")
    assert unsubscribe_emit(person=person) == 1
    drain()
    (body,) = received(receiver, "unsubscribe_web_hook")
    assert_valid(body, "unsubscribe_web_hook")


def test_a_person_payload_carries_the_real_unsubscribed_at(api_site, frozen_now):
    # given a person who unsubscribed
    person = Person.objects.create(
        site=api_site.site,
        email="gone@example.com",
        unsubscribed_at=frozen_now,
        created_at=frozen_now,
        updated_at=frozen_now,
    )

    # when a webhook describes them / then it says when, as Talkable formats times
    body = payloads.person_payload(person)
    assert body is not None
    assert body["unsubscribed_at"] == frozen_now
    rendered = payload_render(body, zone=UTC)
    assert rendered["unsubscribed_at"] == "2026-07-07T18:00:00.000+00:00"
    assert rendered["subscribed_at"] is None


@pytest.mark.parametrize(
    ("incentive_type", "amount"),
    [("rebate", "10.00"), ("discount_coupon", None), ("other", None)],
)
def test_a_referral_rewards_amount_is_money_paid_only(incentive_type, amount):
    # given a reward of each kind, all valued at 10
    reward = {"id": 1, "amount": Decimal("10.00"), "incentive_type": incentive_type}

    # when a referral webhook lists it / then only a rebate carries an amount of money
    entry = payloads.referral_reward_payload(reward, person=None, origin=None)
    assert entry["amount"] == amount
