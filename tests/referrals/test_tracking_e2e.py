"""Each tracking method end to end over HTTP: the advocate joins (POST /origins/affiliate_member),
the friend follows the claim link (/x/<code>), the merchant reports the friend's purchase
(POST /origins/purchase), and the referral records how it was found."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from goodword.campaigns.program import forget_program
from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient
from goodword.referrals.models import Referral, ReferralEvent
from tests.conftest import NOW
from tests.referrals.program import (
    FRIEND_IP,
    build_program,
    buy,
    click,
    friend_clicks,
    join,
    landing,
    referral_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ADVOCATE = "advocate@example.com"
FRIEND = "friend@example.org"


def claim_url(joined: dict) -> str:
    return joined["offer"]["claim_url"]


def assert_referred(order: str, *, method: str, advocate: str = ADVOCATE) -> Referral:
    referral = referral_of(order)
    assert referral is not None, f"{order} was not referred"
    assert referral.track_method == method
    assert referral.advocate.email == advocate
    assert referral.status == "pending", referral.fraud_details
    return referral


# ---- cookie ---------------------------------------------------------------------------------


def test_cookie_the_purchase_carries_the_visitor_uuid_of_the_click(api, api_site):
    # given an advocate's claim link that a friend followed
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))

    # when the merchant reports the friend's purchase with the uuid it got as tkbl_cvuuid
    buy(api, api_site.slug, "C-1", FRIEND, uuid=uuid)

    # then it is referred by cookie, through that claim
    referral = assert_referred("C-1", method="cookie")
    assert referral.claim == Claim.objects.get(visitor_uuid=uuid)
    assert referral.fraud_evidence[0] == {
        "kind": "attribution",
        "method": "cookie",
        "matched": uuid,
        "seen_at": "2026-07-07T18:00:00+00:00",
    }


def test_cookie_a_uuid_that_never_clicked_attributes_nothing(api, api_site):
    build_program(api_site.site)
    join(api, api_site.slug)

    buy(api, api_site.slug, "C-2", FRIEND, uuid="0b7e5b1c-3d1f-4b55-9a0e-1a2b3c4d5e6f")

    assert referral_of("C-2") is None


def test_cookie_a_second_click_after_the_purchase_does_not_lose_the_referral(
    api, api_site, time_machine
):
    # given a friend who clicked at 18:00 and bought at 18:10
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    browser, uuid = friend_clicks(claim_url(joined))
    # and clicked the link again at 18:20, before the merchant reported the order
    time_machine.move_to(NOW + timedelta(minutes=20), tick=False)
    click(claim_url(joined), client=browser)

    # when the merchant reports the 18:10 purchase at 18:30
    time_machine.move_to(NOW + timedelta(minutes=30), tick=False)
    bought_at = (NOW + timedelta(minutes=10)).isoformat()
    buy(api, api_site.slug, "C-3", FRIEND, uuid=uuid, created_at=bought_at)

    # then it is still the advocate's: the friend had clicked before buying
    assert_referred("C-3", method="cookie")


def test_cookie_a_purchase_dated_before_the_click_is_not_attributed(api, api_site):
    # given a friend who clicked at 18:00
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))

    # when the merchant reports, with that uuid, an order placed at 17:00
    bought_at = (NOW - timedelta(hours=1)).isoformat()
    buy(api, api_site.slug, "C-4", FRIEND, uuid=uuid, created_at=bought_at)

    # then the click cannot have caused it
    assert referral_of("C-4") is None


# ---- coupon ---------------------------------------------------------------------------------


def test_coupon_the_friend_pool_code_from_the_click_attributes_without_a_uuid(api, api_site):
    # given a friend who got a single-use code when they clicked
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, response = click(claim_url(joined))
    code = landing(response)["tkbl_coupon"][0]
    assert code == "FRIEND-1"

    # when they buy on another device (no uuid) with that code
    buy(api, api_site.slug, "K-1", FRIEND, coupon_codes=[code])

    # then the purchase is referred by coupon, through the claim that handed out the code
    referral = assert_referred("K-1", method="coupon")
    assert referral.claim == Claim.objects.get(friend_coupon_code=code)


def test_coupon_a_static_code_shared_by_everyone_does_not_attribute(api, api_site):
    # given a campaign whose friends all get the same static code
    build_program(api_site.site, static_code="WELCOME10")
    joined = join(api, api_site.slug)
    _, response = click(claim_url(joined))
    assert landing(response)["tkbl_coupon"] == ["WELCOME10"]

    # when a buyer uses that code, with nothing else tying them to the advocate
    buy(api, api_site.slug, "K-2", FRIEND, coupon_codes="WELCOME10")

    # then nobody referred them: the code says nothing about who sent them
    assert referral_of("K-2") is None


def test_coupon_the_advocates_personal_code_attributes(api, api_site):
    # given an advocate with a personal coupon code
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    AdvocateOffer.objects.filter(short_url_code=joined["offer"]["short_url_code"]).update(
        coupon_code="ADA-10"
    )

    # when a buyer who never clicked anything uses it
    buy(api, api_site.slug, "K-3", FRIEND, coupon_codes="OTHER,ADA-10")

    # then the purchase is the advocate's, by coupon, with no claim behind it
    referral = assert_referred("K-3", method="coupon")
    assert referral.claim is None


def test_coupon_beats_the_cookie_of_another_advocate(api, api_site):
    # given the friend clicked Ada's link (getting a code) and later Bob's (getting a cookie)
    build_program(api_site.site)
    ada = join(api, api_site.slug)
    bob = join(api, api_site.slug, email="bob@example.com")
    _, response = click(claim_url(ada))
    code = landing(response)["tkbl_coupon"][0]
    _, uuid = friend_clicks(claim_url(bob))

    # when the purchase carries Ada's code and Bob's cookie
    buy(api, api_site.slug, "K-4", FRIEND, coupon_codes=[code], uuid=uuid)

    # then coupon, the higher method, wins
    assert_referred("K-4", method="coupon", advocate=ADVOCATE)


# ---- gated email ----------------------------------------------------------------------------


def test_gated_email_the_friend_enters_an_email_then_buys_with_it(api, api_site):
    # given a campaign that asks friends for their email before the offer
    build_program(api_site.site, gate_email=True)
    joined = join(api, api_site.slug)

    # when the friend opens the claim link in a real browser (CSRF checks on), they see a form
    # asking for their email
    browser, page = click(claim_url(joined), client=Client(enforce_csrf_checks=True))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<form method="post">' in html
    assert 'name="email"' in html and 'type="email"' in html
    assert Claim.objects.count() == 0

    # and submitting it sends them on to the shop
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    form = {"email": FRIEND, "csrfmiddlewaretoken": token.group(1)}
    _, sent = click(claim_url(joined), client=browser, method="post", data=form)
    assert sent["Location"].startswith("https://shop.example.com/landing?")
    assert "tkbl_cvuuid" in landing(sent)
    assert Claim.objects.get().gated_email == FRIEND

    # then a later purchase with that email and no uuid is theirs by gated email
    buy(api, api_site.slug, "G-1", FRIEND)
    assert_referred("G-1", method="gated_email")


def test_gated_email_matches_whatever_case_the_friend_typed(api, api_site):
    build_program(api_site.site, gate_email=True)
    joined = join(api, api_site.slug)
    click(claim_url(joined), method="post", data={"email": "  Friend@Example.ORG "})

    buy(api, api_site.slug, "G-2", "FRIEND@example.org")

    assert_referred("G-2", method="gated_email")


def test_gated_email_a_bad_email_shows_the_form_again_and_records_nothing(api, api_site):
    build_program(api_site.site, gate_email=True)
    joined = join(api, api_site.slug)

    _, page = click(claim_url(joined), method="post", data={"email": "not-an-email"})

    assert page.status_code == 400
    assert "Please enter a valid email address." in page.content.decode()
    assert Claim.objects.count() == 0


# ---- phone number ---------------------------------------------------------------------------


def test_phone_number_the_purchase_phone_matches_the_claims(api, api_site):
    # given a claim on which the friend left their phone number (no claim page asks yet)
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))
    Claim.objects.filter(visitor_uuid=uuid).update(gated_phone="+12025550123")

    # when they buy with that phone number and no uuid
    buy(api, api_site.slug, "P-1", FRIEND, phone_number="+12025550123")

    assert_referred("P-1", method="phone_number")


# ---- share email ----------------------------------------------------------------------------


def test_share_email_a_recipient_of_the_advocates_email_share_buys(api, api_site):
    # given the advocate emailed their offer to a friend (stored directly: no endpoint yet)
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    offer = AdvocateOffer.objects.get(short_url_code=joined["offer"]["short_url_code"])
    share = Share.objects.create(
        site=api_site.site, offer=offer, channel="email", created_at=NOW - timedelta(days=1)
    )
    ShareRecipient.objects.create(site=api_site.site, share=share, email="pal@example.org")
    ShareRecipient.objects.create(site=api_site.site, share=share, email="other@example.org")

    # when that friend buys without ever clicking
    buy(api, api_site.slug, "S-1", "pal@example.org")

    # then it is referred by share email
    referral = assert_referred("S-1", method="share_email")
    assert referral.claim is None


def test_share_email_someone_not_on_the_share_is_not_referred(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    offer = AdvocateOffer.objects.get(short_url_code=joined["offer"]["short_url_code"])
    share = Share.objects.create(site=api_site.site, offer=offer, channel="email", created_at=NOW)
    ShareRecipient.objects.create(site=api_site.site, share=share, email="pal@example.org")

    buy(api, api_site.slug, "S-2", "stranger@example.org")

    assert referral_of("S-2") is None


# ---- IP address -----------------------------------------------------------------------------


@pytest.mark.parametrize("after", [timedelta(minutes=59), timedelta(hours=1)], ids=["59m", "60m"])
def test_ip_address_a_purchase_from_the_clicks_ip_within_the_hour(
    api, api_site, time_machine, after
):
    # given a friend clicked from 198.51.100.7
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip=FRIEND_IP)

    # when a purchase from the same IP, with no uuid or coupon, arrives within the hour
    time_machine.move_to(NOW + after, tick=False)
    buy(api, api_site.slug, "I-1", FRIEND, ip_address=FRIEND_IP)

    # then it is attributed by IP address
    assert_referred("I-1", method="ip_address")


def test_ip_address_current_means_the_callers_ip(api, api_site, time_machine):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip=FRIEND_IP)
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)

    body = {
        "site_slug": api_site.slug,
        "data": {"email": FRIEND, "order_number": "I-2", "subtotal": 5, "ip_address": "current"},
    }
    assert api.post("/api/v2/origins/purchase", body, REMOTE_ADDR=FRIEND_IP).status_code == 201

    assert_referred("I-2", method="ip_address")


def test_ip_address_a_click_seen_on_a_dual_stack_socket_matches_the_ipv4_purchase(
    api, api_site, time_machine
):
    # given the server saw the friend's IPv4 click as an IPv4-mapped IPv6 address
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip="::ffff:198.51.100.7")

    # when the merchant reports the purchase from the friend's plain IPv4 address
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    buy(api, api_site.slug, "I-6", FRIEND, ip_address="198.51.100.7")

    # then it is the same address, attributed by IP
    assert_referred("I-6", method="ip_address")


def test_ip_address_61_minutes_after_the_click_is_too_late(api, api_site, time_machine):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip=FRIEND_IP)

    time_machine.move_to(NOW + timedelta(minutes=61), tick=False)
    buy(api, api_site.slug, "I-3", FRIEND, ip_address=FRIEND_IP)

    assert referral_of("I-3") is None


def test_ip_address_the_window_counts_from_the_latest_click(api, api_site, time_machine):
    # given a friend who clicked at 18:00 and again at 18:50 from the same IP
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    browser, _ = click(claim_url(joined), ip=FRIEND_IP)
    time_machine.move_to(NOW + timedelta(minutes=50), tick=False)
    click(claim_url(joined), client=browser, ip=FRIEND_IP)

    # when a purchase from that IP arrives at 19:40, 100 minutes after the first click
    time_machine.move_to(NOW + timedelta(minutes=100), tick=False)
    buy(api, api_site.slug, "I-7", FRIEND, ip_address=FRIEND_IP)

    # then it is within the hour of the latest click
    assert_referred("I-7", method="ip_address")


def test_ip_address_another_ip_is_not_attributed(api, api_site, time_machine):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip=FRIEND_IP)

    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    buy(api, api_site.slug, "I-4", FRIEND, ip_address="198.51.100.8")

    assert referral_of("I-4") is None


def test_ip_address_a_blocklisted_ip_never_attributes_by_ip(api, api_site, time_machine):
    # given the buyer's IP is on the site's blocklist
    build_program(api_site.site, blocklist=("198.51.100.0/24",))
    joined = join(api, api_site.slug)
    click(claim_url(joined), ip=FRIEND_IP)

    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    buy(api, api_site.slug, "I-5", FRIEND, ip_address=FRIEND_IP)

    assert referral_of("I-5") is None


# ---- event chain ----------------------------------------------------------------------------


def test_event_chain_a_referred_friends_next_purchase_goes_to_the_same_advocate(
    api, api_site, time_machine
):
    # given a friend referred by cookie
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))
    buy(api, api_site.slug, "E-1", FRIEND, uuid=uuid)
    first = assert_referred("E-1", method="cookie")

    # when they buy again a week later, with nothing tying the order to a click
    time_machine.move_to(NOW + timedelta(days=7), tick=False)
    buy(api, api_site.slug, "E-2", FRIEND)

    # then the new purchase is a new referral of the same offer, by event chain
    second = assert_referred("E-2", method="event_chain")
    assert second.pk != first.pk
    assert (second.offer_id, second.claim_id) == (first.offer_id, None)
    assert Referral.objects.filter(friend=first.friend).count() == 2


def test_event_chain_does_not_follow_a_blocked_referral(api, api_site):
    # given a self-referral the engine blocked
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))
    buy(api, api_site.slug, "E-3", ADVOCATE, uuid=uuid)
    assert referral_of("E-3").status == "blocked"

    # when the same person buys again with no tracking
    buy(api, api_site.slug, "E-4", ADVOCATE)

    # then nothing chains to it
    assert referral_of("E-4") is None


# ---- sticky advocate ------------------------------------------------------------------------


def refer_then_click_another(api, api_site, time_machine) -> str:
    """The friend was referred by Ada (advocate@example.com), then a minute later clicks Bob's
    link in the same browser; the uuid they carry is now Bob's most recent click."""
    ada = join(api, api_site.slug)
    bob = join(api, api_site.slug, email="bob@example.com")
    browser, uuid = friend_clicks(claim_url(ada))
    buy(api, api_site.slug, "T-1", FRIEND, uuid=uuid)
    assert_referred("T-1", method="cookie")
    time_machine.move_to(NOW + timedelta(minutes=1), tick=False)
    _, response = click(claim_url(bob), client=browser)
    assert landing(response)["tkbl_cvuuid"] == [uuid]
    return uuid


def test_sticky_advocate_on_keeps_the_friend_with_their_first_advocate(api, api_site, time_machine):
    # given a site with sticky advocates, and a referred friend who then clicked Bob's link
    build_program(api_site.site, sticky=True)
    uuid = refer_then_click_another(api, api_site, time_machine)

    # when the friend buys again carrying Bob's cookie
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    buy(api, api_site.slug, "T-2", FRIEND, uuid=uuid)

    # then the purchase stays Ada's, by sticky advocate
    assert_referred("T-2", method="sticky_advocate", advocate=ADVOCATE)


def test_sticky_advocate_off_lets_the_newer_cookie_win(api, api_site, time_machine):
    build_program(api_site.site, sticky=False)
    uuid = refer_then_click_another(api, api_site, time_machine)

    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    buy(api, api_site.slug, "T-2", FRIEND, uuid=uuid)

    assert_referred("T-2", method="cookie", advocate="bob@example.com")


# ---- liveness and uniqueness ---------------------------------------------------------------


def test_an_expired_offer_does_not_attribute(api, api_site, time_machine):
    # given offers that expire seven days after the advocate joins, and a friend's click
    build_program(api_site.site, offer_expiry_days=7)
    joined = join(api, api_site.slug)
    time_machine.move_to(NOW + timedelta(days=1), tick=False)
    _, uuid = friend_clicks(claim_url(joined))

    # when the friend buys on day 8
    time_machine.move_to(NOW + timedelta(days=8), tick=False)
    buy(api, api_site.slug, "X-1", FRIEND, uuid=uuid)

    # then the expired offer refers nobody
    assert referral_of("X-1") is None


def test_an_offer_still_live_attributes(api, api_site, time_machine):
    build_program(api_site.site, offer_expiry_days=7)
    joined = join(api, api_site.slug)
    time_machine.move_to(NOW + timedelta(days=1), tick=False)
    _, uuid = friend_clicks(claim_url(joined))

    time_machine.move_to(NOW + timedelta(days=6, hours=23), tick=False)
    buy(api, api_site.slug, "X-2", FRIEND, uuid=uuid)

    assert_referred("X-2", method="cookie")


def test_a_disabled_campaign_does_not_attribute(api, api_site):
    # given a friend clicked while the campaign was live, then the merchant disabled it
    campaign = build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))
    campaign.status = "Disabled"
    campaign.save()
    forget_program(api_site.site.id)

    buy(api, api_site.slug, "X-3", FRIEND, uuid=uuid)

    assert referral_of("X-3") is None


def test_a_test_campaigns_referrals_are_marked_qa_generated(api, api_site):
    build_program(api_site.site, status="Test")
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))

    buy(api, api_site.slug, "Q-1", FRIEND, uuid=uuid)

    assert assert_referred("Q-1", method="cookie").qa_generated is True


def test_a_live_campaigns_referrals_are_not_qa_generated(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))

    buy(api, api_site.slug, "Q-2", FRIEND, uuid=uuid)

    assert assert_referred("Q-2", method="cookie").qa_generated is False


def test_an_origin_is_referred_at_most_once(api, api_site):
    # given a referred purchase
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))
    first = buy(api, api_site.slug, "U-1", FRIEND, uuid=uuid)

    # when the merchant re-sends exactly the same purchase
    again = buy(api, api_site.slug, "U-1", FRIEND, uuid=uuid)

    # then it is the same origin, with still one referral and one event
    assert again["origin"]["id"] == first["origin"]["id"]
    assert Referral.objects.count() == 1
    assert ReferralEvent.objects.count() == 1


def test_the_advocates_own_join_is_not_a_referral(api, api_site):
    # given a friend's visitor uuid, and that friend then joining as an advocate with it
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(claim_url(joined))

    join(api, api_site.slug, email=FRIEND, uuid=uuid)

    assert Referral.objects.count() == 0
