"""The public pages behind /x/<code>: the friend's claim link and the advocate's show link."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from goodword.campaigns.models import Campaign
from goodword.campaigns.program import forget_program
from goodword.coupons.models import Coupon
from goodword.offers.models import AdvocateOffer, Claim, Visitor
from goodword.offers.views import visitor_cookie
from tests.conftest import NOW, ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import (
    FRIEND_AGENT,
    FRIEND_IP,
    build_program,
    click,
    join,
    landing,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def joined(api, api_site) -> dict:
    build_program(api_site.site, offer_expiry_days=10)
    return join(api, api_site.slug)


def claim_url(joined: dict) -> str:
    return joined["offer"]["claim_url"]


def joined_site(joined: dict) -> int:
    """The id of the site whose offer this is (each site has its own visitor cookie)."""
    return AdvocateOffer.objects.get(short_url_code=joined["offer"]["short_url_code"]).site_id


# ---- unknown and dead links -----------------------------------------------------------------


def assert_friendly_404(response) -> None:
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "This offer is no longer available" in html
    assert "Traceback" not in html


def test_an_unknown_code_is_a_friendly_404_page(joined):
    _, response = click("/x/nope42")

    assert_friendly_404(response)
    assert Claim.objects.count() == 0


def test_an_expired_offers_link_is_a_friendly_404_page(joined, time_machine):
    time_machine.move_to(NOW + timedelta(days=10), tick=False)

    _, response = click(claim_url(joined))

    assert_friendly_404(response)
    assert Claim.objects.count() == 0
    assert Coupon.objects.filter(claimed_at__isnull=False).count() == 0


def test_a_disabled_campaigns_link_is_a_friendly_404_page(api_site, joined):
    Campaign.objects.filter(site=api_site.site).update(status="Disabled")
    forget_program(api_site.site.id)

    _, response = click(claim_url(joined))

    assert_friendly_404(response)
    assert Claim.objects.count() == 0


# ---- the claim redirect ---------------------------------------------------------------------


def test_the_redirect_keeps_the_destinations_query_and_adds_the_visitor(api, api_site):
    # given a destination with its own query: repeated keys, blank values, a stale visitor id
    build_program(
        api_site.site,
        destination_url=(
            "https://shop.example.com/landing?src=ref&tag=a&tag=b&empty=&tkbl_cvuuid=stale#top"
        ),
    )
    joined = join(api, api_site.slug)

    # when a friend follows the claim link
    _, response = click(claim_url(joined))

    # then they land on the destination with its own query intact, in order
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path, target.fragment) == (
        "https",
        "shop.example.com",
        "/landing",
        "top",
    )
    claim = Claim.objects.get()
    assert parse_qsl(target.query, keep_blank_values=True) == [
        ("src", "ref"),
        ("tag", "a"),
        ("tag", "b"),
        ("empty", ""),
        # plus their own visitor uuid (replacing the stale one) and their coupon
        ("tkbl_cvuuid", str(claim.visitor_uuid)),
        ("tkbl_coupon", "FRIEND-1"),
    ]


def test_a_click_records_the_claim_and_sets_the_visitor_cookie(joined):
    _, response = click(claim_url(joined), ip=FRIEND_IP, agent=FRIEND_AGENT)

    uuid = landing(response)["tkbl_cvuuid"][0]
    cookie = response.cookies[visitor_cookie(joined_site(joined))]
    assert cookie.value == uuid
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 365 * 24 * 3600
    claim = Claim.objects.get()
    assert (str(claim.visitor_uuid), claim.ip_address, claim.user_agent, claim.created_at) == (
        uuid,
        FRIEND_IP,
        FRIEND_AGENT,
        NOW,
    )
    assert claim.offer.short_url_code == joined["offer"]["short_url_code"]
    assert Visitor.objects.filter(uuid=uuid).exists()


def test_a_second_click_reuses_the_visitor_cookie_and_the_claim(joined, time_machine):
    # given a friend who clicked once
    browser, first = click(claim_url(joined))
    uuid = landing(first)["tkbl_cvuuid"][0]

    # when they click again later from the same browser, from another network
    time_machine.move_to(NOW + timedelta(minutes=30), tick=False)
    _, second = click(claim_url(joined), client=browser, ip="192.0.2.77")

    # then they are the same visitor, with one claim and one coupon
    assert landing(second)["tkbl_cvuuid"] == [uuid]
    assert landing(second)["tkbl_coupon"] == landing(first)["tkbl_coupon"] == ["FRIEND-1"]
    claim = Claim.objects.get()
    assert claim.ip_address == "192.0.2.77"
    assert Coupon.objects.filter(claimed_at__isnull=False).count() == 1
    assert Visitor.objects.count() == 1


def test_a_garbage_visitor_cookie_gets_a_fresh_visitor(joined):
    browser = Client()
    browser.cookies[visitor_cookie(joined_site(joined))] = "not-a-uuid"

    _, response = click(claim_url(joined), client=browser)

    uuid = landing(response)["tkbl_cvuuid"][0]
    assert uuid != "not-a-uuid"
    assert str(Claim.objects.get().visitor_uuid) == uuid


def test_one_browser_on_two_advocates_links_is_one_visitor_with_two_claims(api, api_site, joined):
    other = join(api, api_site.slug, email="bob@example.com")
    browser, first = click(claim_url(joined))

    _, second = click(claim_url(other), client=browser)

    assert landing(first)["tkbl_cvuuid"] == landing(second)["tkbl_cvuuid"]
    assert Claim.objects.count() == 2
    assert Visitor.objects.count() == 1


# ---- single-use pool codes ------------------------------------------------------------------


def test_pool_codes_go_out_once_each_and_the_last_friend_gets_none(api, api_site):
    # given a pool of four codes and five friends
    codes = ("P-1", "P-2", "P-3", "P-4")
    build_program(api_site.site, pool_codes=codes)
    joined = join(api, api_site.slug)

    # when each friend clicks from their own browser, at home
    handed = []
    for n in range(len(codes) + 1):
        _, response = click(claim_url(joined), ip=f"198.51.100.{10 + n}")
        handed.append(landing(response).get("tkbl_coupon", [None])[0])

    # then four distinct codes went out and one friend got none
    assert sorted(c for c in handed if c) == sorted(codes)
    assert handed.count(None) == 1
    assert Claim.objects.filter(friend_coupon_code__isnull=True).count() == 1
    assert sorted(
        Claim.objects.exclude(friend_coupon_code=None).values_list("friend_coupon_code", flat=True)
    ) == sorted(codes)
    assert not Coupon.objects.filter(claimed_at__isnull=True).exists()


def test_a_static_code_goes_to_every_friend(api, api_site):
    build_program(api_site.site, static_code="WELCOME10")
    joined = join(api, api_site.slug)

    handed = [landing(click(claim_url(joined))[1])["tkbl_coupon"] for _ in range(3)]

    assert handed == [["WELCOME10"]] * 3


# ---- the advocate's show link ---------------------------------------------------------------


def test_the_show_link_shows_the_offer_and_remembers_the_advocates_device(joined):
    _, response = click(joined["offer"]["show_url"], ip="203.0.113.4", agent="Adv/1.0")

    assert response.status_code == 200
    assert joined["offer"]["claim_url"] in response.content.decode()
    offer = AdvocateOffer.objects.get()
    assert (offer.advocate_ip, offer.advocate_user_agent) == ("203.0.113.4", "Adv/1.0")
    assert (
        str(offer.advocate_visitor_uuid)
        == response.cookies[visitor_cookie(joined_site(joined))].value
    )
    assert Claim.objects.count() == 0


def test_the_show_link_takes_no_post(joined):
    _, response = click(joined["offer"]["show_url"], method="post", data={"email": "x@y.zz"})

    assert response.status_code == 405


# ---- one visitor uuid per site ---------------------------------------------------------------


def test_one_browser_is_a_different_visitor_on_each_site(api, api_site, joined):
    # given a second site with its own campaign and advocate
    other = SiteFactory()
    other_api = ApiClient(make_key(other).raw_key)
    build_program(other)
    other_joined = join(other_api, other.slug)

    # when one browser follows a claim link of each site, and the first site's again
    browser, first = click(claim_url(joined))
    _, second = click(claim_url(other_joined), client=browser)
    _, again = click(claim_url(joined), client=browser)

    # then each merchant receives a uuid of its own, which the other cannot match...
    mine, theirs = landing(first)["tkbl_cvuuid"][0], landing(second)["tkbl_cvuuid"][0]
    assert mine != theirs
    # ...each kept in a cookie of its own site, and stable on that site
    assert landing(again)["tkbl_cvuuid"] == [mine]
    assert browser.cookies[visitor_cookie(api_site.site.id)].value == mine
    assert browser.cookies[visitor_cookie(other.id)].value == theirs
    assert set(Visitor.objects.values_list("site_id", "uuid")) == {
        (api_site.site.id, uuid.UUID(mine)),
        (other.id, uuid.UUID(theirs)),
    }


# ---- the email-gated claim form (docs/offers.md) ---------------------------------------------


@pytest.fixture
def gated(api, api_site) -> dict:
    build_program(api_site.site, gate_email=True)
    return join(api, api_site.slug)


def test_the_gated_form_refuses_a_post_without_its_csrf_token(gated):
    # given a browser that enforces CSRF like a real one, and has not loaded the form
    browser = Client(enforce_csrf_checks=True)

    # when it posts an email straight to the claim link
    _, response = click(
        claim_url(gated), client=browser, method="post", data={"email": "f@example.com"}
    )

    # then it is refused and nothing is recorded
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_the_gated_form_posts_with_the_token_it_carries(gated):
    # given a browser that loaded the form (its token and the CSRF cookie)
    browser = Client(enforce_csrf_checks=True)
    _, form = click(claim_url(gated), client=browser)
    token = form.context["csrf_token"]

    # when it posts the friend's email with the token, and fields the form does not have
    _, response = click(
        claim_url(gated),
        client=browser,
        method="post",
        data={
            "email": "  Friend@Example.COM ",
            "csrfmiddlewaretoken": token,
            "phone_number": "+1 202 555 0123",
        },
    )

    # then the claim has the address as stored (trimmed, lower case), the device of the post,
    # no phone number, and the friend goes on to the store with their code
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.gated_email == "friend@example.com"
    assert (claim.ip_address, claim.user_agent) == (FRIEND_IP, FRIEND_AGENT)
    assert claim.gated_phone is None
    assert landing(response)["tkbl_coupon"] == [claim.friend_coupon_code]


def test_posting_the_gated_form_again_updates_the_one_claim(gated):
    # given a friend who claimed with one address
    browser, first = click(claim_url(gated), method="post", data={"email": "one@example.com"})
    code = landing(first)["tkbl_coupon"][0]

    # when the same browser posts another address from another place
    _, second = click(
        claim_url(gated),
        client=browser,
        method="post",
        data={"email": "two@example.com"},
        ip="198.51.100.99",
        agent="Other/2.0",
    )

    # then there is still one claim, with the new address and device and the same code
    claim = Claim.objects.get()
    assert (claim.gated_email, claim.ip_address, claim.user_agent) == (
        "two@example.com",
        "198.51.100.99",
        "Other/2.0",
    )
    assert claim.friend_coupon_code == code
    assert landing(second)["tkbl_coupon"] == [code]


def test_the_show_link_keeps_only_the_latest_view(joined):
    # given the advocate opened their show link on one device
    click(joined["offer"]["show_url"], ip="203.0.113.4", agent="Adv/1.0")

    # when they open it again on another
    click(joined["offer"]["show_url"], ip="203.0.113.5", agent="Adv/2.0")

    # then the offer holds the latest device only
    offer = AdvocateOffer.objects.get()
    assert (offer.advocate_ip, offer.advocate_user_agent) == ("203.0.113.5", "Adv/2.0")
