"""Fraud screening of real referrals over HTTP (ENGINE.md, fraud policies), and refunds."""

from __future__ import annotations

import pytest
from django.test import Client

from goodword.offers.models import Claim
from goodword.offers.views import visitor_cookie
from goodword.referrals.models import Referral
from tests.referrals.program import (
    build_program,
    buy,
    click,
    friend_clicks,
    join,
    put_status,
    referral_of,
    set_fraud_actions,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

# The wire strings, written out: merchants' code matches on them.
SELF = "Matching Email or Cookie on Friend Purchase"
SIMILAR = "Similar Email Match"
SHIPPING = "Matching Shipping Address"
IP_UA = "Matching by Combination of IP Address & User Agent"
IP_ONLY = "Matching by IP Address only"
PHONE = "Matching Phone Number on Friend Purchase"
CROSS = "Friend and Advocate Refer Each Other"
ALL = [SELF, SIMILAR, SHIPPING, IP_UA, IP_ONLY, PHONE, CROSS]

ADVOCATE = "advocate@example.com"
FRIEND = "friend@example.org"


def refer(api, api_site, order: str, email: str = FRIEND, *, joined=None, **data) -> Referral:
    """A friend clicks the advocate's claim link (from their own device) and buys."""
    joined = joined or join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, order, email, uuid=uuid, **data)
    referral = referral_of(order)
    assert referral is not None, f"{order} was not referred"
    return referral


def policies(referral: Referral) -> dict[str, list[str]]:
    return referral.fraud_policies_status


def evidence_of(referral: Referral, policy: str) -> dict[str, str]:
    return next(e for e in referral.fraud_evidence if e.get("policy") == policy)


def test_a_clean_referral_lists_every_policy_by_its_exact_name(api, api_site):
    # given an honest friend, on their own device, with a different email
    build_program(api_site.site)

    referral = refer(api, api_site, "OK-1")

    # then it is pending, and every policy sits in exactly one list, in the wire order
    assert referral.status == "pending"
    assert referral.fraud_details is None
    assert policies(referral) == {
        "blocked": [],
        "flagged": [],
        # no shipping address on either side, no advocate device known, IP only is off
        # no phone number on either side
        "skipped": [SHIPPING, IP_UA, IP_ONLY, PHONE],
        "passed": [SELF, SIMILAR, CROSS],
    }


def test_the_api_returns_the_stored_policy_lists(api, api_site):
    build_program(api_site.site)
    refer(api, api_site, "OK-2", "john.doe@example.com", joined=join(api, api_site.slug))

    body = put_status(api, api_site.slug, "OK-2", "pending").json()

    assert body["result"]["referral"]["fraud_policies_status"] == policies(referral_of("OK-2"))


# ---- self referral --------------------------------------------------------------------------


def test_self_referral_by_the_same_email_is_blocked(api, api_site):
    build_program(api_site.site)

    referral = refer(api, api_site, "SELF-1", ADVOCATE)

    assert referral.status == "blocked"
    assert policies(referral)["blocked"] == [SELF]
    assert referral.fraud_details == "Self Referral"
    assert evidence_of(referral, SELF) == {
        "policy": SELF,
        "friend_email": ADVOCATE,
        "advocate_email": ADVOCATE,
    }


def test_self_referral_by_the_advocates_own_cookie_is_blocked(api, api_site):
    # given the advocate opened their own show link in their browser
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    browser, show = click(joined["offer"]["show_url"], ip="203.0.113.1")
    assert show.status_code == 200
    advocate_cookie = browser.cookies[visitor_cookie(api_site.site.id)].value
    # and then followed their own claim link in the same browser, from another network
    _, uuid = friend_clicks(joined["offer"]["claim_url"], client=browser, ip="192.0.2.50")
    assert uuid == advocate_cookie

    # when a "friend" purchase under another email carries that uuid
    buy(api, api_site.slug, "SELF-2", "someone.else@example.net", uuid=uuid)

    # then it is blocked as a self-referral, the cookie being the evidence
    referral = referral_of("SELF-2")
    assert referral.status == "blocked"
    assert policies(referral)["blocked"] == [SELF]
    assert referral.fraud_details == "Self Referral"
    assert evidence_of(referral, SELF) == {
        "policy": SELF,
        "friend_cookie": uuid,
        "advocate_cookie": uuid,
    }


def test_self_referral_by_the_uuid_the_advocate_joined_with_is_blocked(api, api_site):
    # given the advocate joined from a browser the merchant knows by its visitor uuid
    build_program(api_site.site)
    known = "5a0c6f4e-8d1b-4c2a-9e3f-7b6d5c4a3b2c"
    joined = join(api, api_site.slug, uuid=known)
    # and that browser follows the advocate's own claim link
    browser = Client()
    browser.cookies[visitor_cookie(api_site.site.id)] = known
    _, uuid = friend_clicks(joined["offer"]["claim_url"], client=browser)
    assert uuid == known

    # when a purchase under another email carries that uuid
    buy(api, api_site.slug, "SELF-3", "pal@example.org", uuid=uuid)

    # then it is a self-referral by cookie
    referral = referral_of("SELF-3")
    assert referral.status == "blocked"
    assert policies(referral)["blocked"] == [SELF]
    assert evidence_of(referral, SELF)["advocate_cookie"] == known


# ---- the other policies ---------------------------------------------------------------------


def test_cross_referral_is_caught(api, api_site, time_machine):
    # given Ada referred Bob
    build_program(api_site.site)
    ada = join(api, api_site.slug, email="ada@example.com")
    first = refer(api, api_site, "X-1", "bob@example.com", joined=ada)
    assert first.status == "pending"

    # when Bob joins and Ada buys through Bob's link
    bob = join(api, api_site.slug, email="bob@example.com")
    second = refer(api, api_site, "X-2", "ada@example.com", joined=bob)

    # then the second referral is blocked: they refer each other
    assert second.advocate.email == "bob@example.com"
    assert second.status == "blocked"
    assert policies(second)["blocked"] == [CROSS]
    assert second.fraud_details == "Cross Referral"
    assert evidence_of(second, CROSS)["advocate_referred_by_friend"] == "true"


def test_a_similar_email_is_flagged(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site.slug, email="john.doe@gmail.com")

    referral = refer(api, api_site, "SIM-1", "johndoe+x@gmail.com", joined=joined)

    assert referral.status == "flagged"
    assert policies(referral)["flagged"] == [SIMILAR]
    assert policies(referral)["blocked"] == []
    assert referral.fraud_details == "Similar Email"
    assert evidence_of(referral, SIMILAR)["mailbox"] == "johndoe@gmail.com"


def test_a_matching_shipping_address_is_flagged(api, api_site):
    # given the advocate once shipped an order to their home
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    buy(
        api,
        api_site.slug,
        "ADV-1",
        ADVOCATE,
        shipping_address="12 North Main Street, Apt. 4",
        shipping_zip="02134",
    )

    # when the friend ships to the same address, written differently
    referral = refer(
        api,
        api_site,
        "SHIP-1",
        joined=joined,
        shipping_address="12 n main st apt 4",
        shipping_zip="02134",
    )

    assert referral.status == "flagged"
    assert policies(referral)["flagged"] == [SHIPPING]
    assert referral.fraud_details == "Matching Shipping Address"


def test_the_advocates_phone_number_on_the_friends_purchase_is_flagged(api, api_site):
    # given an advocate who joined with their phone number
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+1 202 555 1111")

    # when the friend buys with the same number, written the national way
    referral = refer(api, api_site, "TEL-1", joined=joined, phone_number="(202) 555-1111")

    # then the referral is flagged by the phone policy (its default), with what matched
    assert referral.status == "flagged"
    assert policies(referral)["flagged"] == [PHONE]
    assert referral.fraud_details == "Matching Phone Number"
    assert evidence_of(referral, PHONE) == {
        "policy": PHONE,
        "friend_phone": "(202) 555-1111",
        "advocate_phone": "+1 202 555 1111",
        "normalised_phone": "2025551111",
    }
    # and the API names the policy by its wire string
    body = put_status(api, api_site.slug, "TEL-1", "flagged").json()
    assert PHONE in body["result"]["referral"]["fraud_policies_status"]["flagged"]


def test_a_phone_number_the_friend_entered_on_the_claim_counts_as_theirs(api, api_site):
    # given an advocate with a phone number, and a friend who left that number on the claim
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+44 20 7946 0958")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    Claim.objects.filter(visitor_uuid=uuid).update(gated_phone="020 7946 0958")

    # when the friend buys with no phone number at all
    buy(api, api_site.slug, "TEL-2", FRIEND, uuid=uuid)

    # then the claim's number is compared, and matches
    referral = referral_of("TEL-2")
    assert referral is not None
    assert policies(referral)["flagged"] == [PHONE]
    assert evidence_of(referral, PHONE)["friend_phone"] == "020 7946 0958"


def test_a_friend_with_another_phone_number_passes(api, api_site):
    # given an advocate with a phone number
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+1 202 555 1111")

    # when a friend buys with their own number
    referral = refer(api, api_site, "TEL-3", joined=joined, phone_number="+1 303 555 2222")

    # then the phone policy ran and passed
    assert referral.status == "pending"
    assert PHONE in policies(referral)["passed"]


def test_the_phone_policy_follows_the_sites_action(api, api_site):
    # given phone matching set to block
    build_program(api_site.site, policy_actions={PHONE: "block"})
    joined = join(api, api_site.slug, phone_number="+1 202 555 1111")

    # when the friend buys with the advocate's number
    referral = refer(api, api_site, "TEL-4", joined=joined, phone_number="12025551111")

    # then the referral is blocked
    assert referral.status == "blocked"
    assert policies(referral)["blocked"] == [PHONE]


def test_the_same_ip_and_user_agent_is_flagged(api, api_site):
    # given the advocate looked at their offer from one IP and browser
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(joined["offer"]["show_url"], ip="203.0.113.9", agent="SharedLaptop/2.0")

    # when the "friend" clicks from that same IP and browser (a fresh cookie) and buys
    _, uuid = friend_clicks(
        joined["offer"]["claim_url"], ip="203.0.113.9", agent="SharedLaptop/2.0"
    )
    buy(api, api_site.slug, "IPUA-1", FRIEND, uuid=uuid)

    # then it is flagged for IP & user agent; IP only is off by default
    referral = referral_of("IPUA-1")
    assert referral.status == "flagged"
    assert policies(referral) == {
        "blocked": [],
        "flagged": [IP_UA],
        "skipped": [SHIPPING, IP_ONLY, PHONE],
        "passed": [SELF, SIMILAR, CROSS],
    }
    assert referral.fraud_details == "Matching IP Address & User Agent"
    assert evidence_of(referral, IP_UA) == {
        "policy": IP_UA,
        "friend_ip": "203.0.113.9",
        "advocate_ip": "203.0.113.9",
        "friend_user_agent": "SharedLaptop/2.0",
        "advocate_user_agent": "SharedLaptop/2.0",
    }


def test_several_policies_firing_are_all_reported_blocks_first(api, api_site):
    # given the advocate viewed their offer, then bought through their own link, same device
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    browser, _ = click(joined["offer"]["show_url"], ip="203.0.113.9", agent="Own/1.0")
    _, uuid = friend_clicks(
        joined["offer"]["claim_url"], client=browser, ip="203.0.113.9", agent="Own/1.0"
    )

    buy(api, api_site.slug, "MULTI-1", ADVOCATE, uuid=uuid)

    # then self-referral blocks, IP & user agent flags, and both are in the details
    referral = referral_of("MULTI-1")
    assert referral.status == "blocked"
    assert policies(referral) == {
        "blocked": [SELF],
        "flagged": [IP_UA],
        "skipped": [SHIPPING, IP_ONLY, PHONE],
        "passed": [SIMILAR, CROSS],
    }
    assert referral.fraud_details == "Self Referral, Matching IP Address & User Agent"


def test_the_same_ip_with_another_browser_passes(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(joined["offer"]["show_url"], ip="203.0.113.9", agent="AdvocatePhone/1.0")
    _, uuid = friend_clicks(joined["offer"]["claim_url"], ip="203.0.113.9", agent="Other/3.0")

    buy(api, api_site.slug, "IPUA-2", FRIEND, uuid=uuid)

    referral = referral_of("IPUA-2")
    assert referral.status == "pending"
    assert IP_UA in policies(referral)["passed"]


# ---- policy actions from the site's fraud settings -----------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "listed_in"),
    [
        ("flag", "flagged", "flagged"),
        ("block", "blocked", "blocked"),
        ("off", "pending", "skipped"),
    ],
)
def test_the_sites_action_decides_what_a_firing_policy_does(
    api, api_site, action, status, listed_in
):
    # given the site's action for Similar Email Match
    build_program(api_site.site, policy_actions={SIMILAR: action})
    joined = join(api, api_site.slug, email="john.doe@gmail.com")

    # when a friend with a similar email is referred
    referral = refer(api, api_site, "ACT-1", "johndoe+x@gmail.com", joined=joined)

    # then the referral's status and the policy's list follow the action
    assert referral.status == status
    assert SIMILAR in policies(referral)[listed_in]
    for other in {"blocked", "flagged", "skipped", "passed"} - {listed_in}:
        assert SIMILAR not in policies(referral)[other]


def test_ip_only_can_be_switched_on(api, api_site):
    # given a site that blocks on a shared IP alone
    build_program(api_site.site)
    set_fraud_actions(api_site.site, {IP_ONLY: "block"})
    joined = join(api, api_site.slug)
    click(joined["offer"]["show_url"], ip="203.0.113.9", agent="AdvocatePhone/1.0")
    _, uuid = friend_clicks(joined["offer"]["claim_url"], ip="203.0.113.9", agent="Other/3.0")

    buy(api, api_site.slug, "IPO-1", FRIEND, uuid=uuid)

    referral = referral_of("IPO-1")
    assert referral.status == "blocked"
    assert policies(referral)["blocked"] == [IP_ONLY]
    assert referral.fraud_details == "Matching IP Address"


def test_self_referral_switched_off_lets_it_through_as_skipped(api, api_site):
    build_program(api_site.site, policy_actions={SELF: "off"})

    referral = refer(api, api_site, "OFF-1", ADVOCATE)

    assert referral.status == "pending"
    assert SELF in policies(referral)["skipped"]


# ---- blocklist ------------------------------------------------------------------------------


def test_a_wildcard_email_on_the_blocklist_blocks(api, api_site):
    build_program(api_site.site, blocklist=("*@spam.example",))

    referral = refer(api, api_site, "BL-1", "mallory@spam.example")

    assert referral.status == "blocked"
    assert referral.fraud_details == "Blocklisted friend email (*@spam.example)"
    # the blocklist is not a policy: the policy lists stay as they were
    assert policies(referral)["blocked"] == []


def test_a_cidr_range_on_the_blocklist_blocks_the_friends_click_ip(api, api_site):
    build_program(api_site.site, blocklist=("198.51.100.0/24",))

    referral = refer(api, api_site, "BL-2")  # the friend clicks from 198.51.100.7

    assert referral.status == "blocked"
    assert referral.fraud_details == "Blocklisted friend IP (198.51.100.0/24)"


def test_a_blocklisted_advocate_blocks_their_referrals(api, api_site):
    build_program(api_site.site, blocklist=("advocate@example.com",))

    referral = refer(api, api_site, "BL-3")

    assert referral.status == "blocked"
    assert referral.fraud_details == "Blocklisted advocate email (advocate@example.com)"


def test_an_unlisted_friend_is_not_blocked(api, api_site):
    build_program(api_site.site, blocklist=("*@spam.example", "10.0.0.0/8"))

    referral = refer(api, api_site, "BL-4", "honest@example.org")

    assert referral.status == "pending"


# ---- refunds --------------------------------------------------------------------------------


def refund(api, api_site, order: str, **data):
    body = {"site_slug": api_site.slug}
    if data:
        body["data"] = data
    return api.post(f"/api/v2/origins/{order}/refund", body)


@pytest.mark.parametrize("status", ["pending", "flagged"])
def test_a_full_refund_voids_a_referral_still_under_review(api, api_site, status):
    # given a referral pending or flagged
    build_program(api_site.site)
    referral = refer(api, api_site, "R-1")
    Referral.objects.filter(pk=referral.pk).update(status=status)

    # when the friend's order is refunded
    response = refund(api, api_site, "R-1")

    # then the referral is voided by the engine, with the reason on record
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.status == "voided"
    event = referral.events.order_by("-id").first()
    assert (event.from_status, event.to_status, event.actor) == (status, "voided", "engine")
    assert event.reason == "friend's origin refunded"


@pytest.mark.parametrize("status", ["approved", "blocked", "voided"])
def test_a_refund_leaves_other_statuses_alone(api, api_site, status):
    build_program(api_site.site)
    referral = refer(api, api_site, "R-2")
    Referral.objects.filter(pk=referral.pk).update(status=status)
    events = referral.events.count()

    assert refund(api, api_site, "R-2").status_code == 200

    referral.refresh_from_db()
    assert referral.status == status
    assert referral.events.count() == events


def test_an_approved_referral_survives_a_refund(api, api_site):
    # given the merchant approved the referral through the API
    build_program(api_site.site)
    refer(api, api_site, "R-3")
    assert put_status(api, api_site.slug, "R-3", "approved").status_code == 200

    refund(api, api_site, "R-3")

    assert referral_of("R-3").status == "approved"


def test_a_partial_refund_does_not_void(api, api_site):
    # given an 80.00 order referred and pending
    build_program(api_site.site)
    refer(api, api_site, "R-4")

    # when 25.00 of it is refunded
    response = refund(api, api_site, "R-4", refund_subtotal=25)

    # then the origin is partially refunded and the referral stands
    assert response.status_code == 200, response.content
    origin = response.json()["result"]["origin"]
    assert (origin["partially_refunded"], origin["refund_subtotal"]) == (True, 25.0)
    assert referral_of("R-4").status == "pending"


def test_a_refund_of_the_whole_subtotal_voids(api, api_site):
    build_program(api_site.site)
    refer(api, api_site, "R-5")

    refund(api, api_site, "R-5", refund_subtotal=80)

    assert referral_of("R-5").status == "voided"


def test_a_site_can_keep_referrals_standing_on_refund(api, api_site):
    build_program(api_site.site, void_on_refund=False)
    refer(api, api_site, "R-6")

    assert refund(api, api_site, "R-6").status_code == 200

    assert referral_of("R-6").status == "pending"
