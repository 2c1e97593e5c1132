"""The Referrals API: PUT /api/v2/origins/{origin_slug}/referral (ENGINE.md, statuses)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from goodword.referrals.models import Referral, ReferralEvent
from goodword.rewards.models import Reward
from tests.conftest import NOW, ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import (
    EVENT_URL,
    build_program,
    buy,
    friend_clicks,
    join,
    put_status,
    referral_of,
)
from tests.referrals.statuses import FINALS, LEGAL, SETTABLE

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=1)
LEGAL_CASES = sorted((a, b) for a, b in LEGAL if a in SETTABLE)
ILLEGAL_CASES = [(a, b) for a in SETTABLE for b in SETTABLE if a != b and (a, b) not in LEGAL]
STATUS_ERROR = '`status` must be within ["pending", "flagged", "approved", "voided", "blocked"]'


def case_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


@pytest.fixture
def referred(api, api_site, frozen_now) -> Referral:
    """Order F-1: a friend's purchase referred by cookie, pending, made at NOW."""
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "F-1", "friend@example.org", uuid=uuid)
    referral = referral_of("F-1")
    assert referral is not None and referral.status == "pending"
    return referral


def put_later(api: ApiClient, slug: str, origin_slug: str, status: Any, time_machine) -> Any:
    """The merchant calls an hour after the referral was made, so `updated_at` shows a change."""
    time_machine.move_to(LATER, tick=False)
    return put_status(api, slug, origin_slug, status)


def start_in(referral: Referral, status: str) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(status=status)
    referral.refresh_from_db()
    return referral


def snapshot(referral: Referral) -> tuple[str, Any, int]:
    referral.refresh_from_db()
    return referral.status, referral.updated_at, referral.events.count()


def contract_referral(openapi: dict[str, Any]) -> dict[str, Any]:
    put = openapi["paths"]["/api/v2/origins/{origin_slug}/referral"]["put"]
    return put["responses"]["200"]["content"]["application/json"]["example"]["result"]["referral"]


# ---- the approve / void matrix -------------------------------------------------------------


@pytest.mark.parametrize("move", LEGAL_CASES, ids=[case_id(m) for m in LEGAL_CASES])
def test_a_legal_move_changes_the_status_and_records_who_did_it(
    api, api_site, referred, time_machine, move
):
    # given a referral in the starting status
    start, target = move
    start_in(referred, start)
    events_before = referred.events.count()

    # when the merchant sets the target status an hour later
    response = put_later(api, api_site.slug, "F-1", target, time_machine)

    # then the answer carries the referral in its new status
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["referral"]["status"] == target
    assert body["result"]["referral"]["updated_at"] == "2026-07-07T19:00:00.000+00:00"
    # and the database agrees, with one event saying the API did it
    referred.refresh_from_db()
    assert referred.status == target
    assert referred.updated_at == LATER
    assert referred.events.count() == events_before + 1
    event = referred.events.order_by("-id").first()
    assert (event.from_status, event.to_status) == (start, target)
    assert (event.actor, event.actor_detail, event.reason) == ("api", "api key", "Referrals API")
    assert event.created_at == LATER
    assert event.site_id == api_site.site.id


@pytest.mark.parametrize("status", SETTABLE)
def test_setting_the_current_status_again_is_a_no_op_success(
    api, api_site, referred, time_machine, status
):
    # given a referral already in this status
    start_in(referred, status)
    before = snapshot(referred)

    # when the merchant sets the same status
    response = put_later(api, api_site.slug, "F-1", status, time_machine)

    # then it succeeds, and nothing is written: no event, no new updated_at
    assert response.status_code == 200, response.content
    assert response.json()["result"]["referral"]["status"] == status
    assert snapshot(referred) == before


@pytest.mark.parametrize("move", ILLEGAL_CASES, ids=[case_id(m) for m in ILLEGAL_CASES])
def test_an_illegal_move_answers_400_and_changes_nothing(
    api, api_site, referred, time_machine, move
):
    # given a referral in the starting status
    start, target = move
    start_in(referred, start)
    before = snapshot(referred)

    # when the merchant asks for a move the table refuses
    response = put_later(api, api_site.slug, "F-1", target, time_machine)

    # then the answer is a clear 400 and nothing changed
    assert response.status_code == 400
    if start in FINALS:
        message = f"Referral is already {start} and cannot be changed to {target}"
    else:
        message = f"Referral cannot be changed from {start} to {target}"
    assert response.json() == {"ok": False, "error_message": message}
    assert snapshot(referred) == before


@pytest.mark.parametrize(("final", "opposite"), [("approved", "voided"), ("voided", "approved")])
def test_a_final_state_refuses_its_opposite(api, api_site, referred, final, opposite):
    # given the merchant approved (or voided) the referral through the API
    assert put_status(api, api_site.slug, "F-1", final).status_code == 200
    before = snapshot(referred)

    # when they ask for the opposite
    response = put_status(api, api_site.slug, "F-1", opposite)

    # then it is refused and the referral stays final
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert final in response.json()["error_message"]
    assert snapshot(referred) == before
    assert referred.status == final


# ---- real flows into blocked and flagged ---------------------------------------------------


def test_a_self_referral_blocked_by_screening_can_be_unblocked(api, api_site, frozen_now):
    # given a referral the engine blocked (the advocate bought through their own link)
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "SELF-1", "advocate@example.com", uuid=uuid)
    referral = referral_of("SELF-1")
    assert referral is not None and referral.status == "blocked"

    # when staff's integration unblocks it
    response = put_status(api, api_site.slug, "SELF-1", "pending")

    # then it is pending, and the audit trail shows the engine then the API
    assert response.status_code == 200, response.content
    assert response.json()["result"]["referral"]["status"] == "pending"
    trail = list(referral.events.order_by("id").values_list("from_status", "to_status", "actor"))
    assert trail == [("in_progress", "blocked", "engine"), ("blocked", "pending", "api")]


def test_a_flagged_referral_can_be_approved(api, api_site, frozen_now):
    # given a referral flagged for a similar email
    build_program(api_site.site)
    joined = join(api, api_site.slug, email="john.doe@gmail.com")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "SIM-1", "johndoe+x@gmail.com", uuid=uuid)
    assert referral_of("SIM-1").status == "flagged"

    response = put_status(api, api_site.slug, "SIM-1", "approved")

    assert response.status_code == 200, response.content
    assert referral_of("SIM-1").status == "approved"


# ---- origins the API cannot or need not change ----------------------------------------------


def test_an_unknown_origin_slug_answers_the_talkable_error(api, api_site, referred):
    response = put_status(api, api_site.slug, "NO-SUCH-ORDER", "approved")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No origin found by `origin_slug`."}
    assert referral_of("F-1").status == "pending"


def test_an_origin_of_another_site_is_unknown(api_site, referred):
    # given another merchant's key
    other = SiteFactory()
    other_api = ApiClient(make_key(other).raw_key)

    # when it names this site's order
    response = put_status(other_api, other.slug, "F-1", "approved")

    # then it finds nothing and changes nothing
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No origin found by `origin_slug`."}
    assert referral_of("F-1").status == "pending"


def test_an_origin_without_a_referral_answers_ok_and_changes_nothing(api, api_site, frozen_now):
    # given an ordinary purchase that nobody referred
    build_program(api_site.site)
    buy(api, api_site.slug, "PLAIN-1", "shopper@example.org")

    # when the merchant calls the Referrals API for it, as they do for every order
    response = put_status(api, api_site.slug, "PLAIN-1", "approved")

    # then it is a success whose result says there is no referral, and none appears
    assert response.status_code == 200
    assert response.json() == {"ok": True, "result": {"referral": None}}
    assert Referral.objects.count() == 0
    assert ReferralEvent.objects.count() == 0


@pytest.mark.parametrize("status", ["approve", "in_progress", "", "APPROVED"])
def test_a_status_outside_the_contract_enum_is_refused(api, api_site, referred, status):
    before = snapshot(referred)

    response = put_status(api, api_site.slug, "F-1", status)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": STATUS_ERROR}
    assert snapshot(referred) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "`data` is required"),
        ({"data": {}}, "`data.status` is required"),
        ({"data": {"status": 5}}, "`data.status` must be a string"),
        ({"data": {"status": None}}, "`data.status` must be a string"),
    ],
    ids=["no-data", "no-status", "number", "null"],
)
def test_a_malformed_body_is_refused(api, api_site, referred, body, message):
    before = snapshot(referred)

    response = api.put("/api/v2/origins/F-1/referral", {"site_slug": api_site.slug, **body})

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": message}
    assert snapshot(referred) == before


# ---- event slugs ---------------------------------------------------------------------------


def refer_event(api, api_site, category: str, number: str) -> Referral:
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    body = {
        "site_slug": api_site.slug,
        "data": {
            "email": "friend@example.org",
            "event_category": category,
            "event_number": number,
            "subtotal": 15,
            "uuid": uuid,
        },
    }
    created = api.post(EVENT_URL, body)
    assert created.status_code == 201, created.content
    referral = Referral.objects.get(origin__event_number=number)
    assert referral.track_method == "cookie"
    return referral


def test_an_event_is_named_by_category_colon_number(api, api_site, frozen_now):
    # given a referred event
    referral = refer_event(api, api_site, "subscription", "42")

    # when the merchant approves it by `event_category:event_number`
    response = put_status(api, api_site.slug, "subscription:42", "approved")

    # then that event's referral is approved
    assert response.status_code == 200, response.content
    assert response.json()["result"]["referral"]["id"] == referral.pk
    referral.refresh_from_db()
    assert referral.status == "approved"


def test_an_event_number_alone_is_not_a_slug(api, api_site, frozen_now):
    refer_event(api, api_site, "subscription", "42")

    response = put_status(api, api_site.slug, "42", "approved")

    assert response.json() == {"ok": False, "error_message": "No origin found by `origin_slug`."}


def test_an_order_number_with_a_colon_is_still_a_purchase(api, api_site, frozen_now):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "web:1001", "friend@example.org", uuid=uuid)

    response = put_status(api, api_site.slug, "web:1001", "voided")

    assert response.status_code == 200, response.content
    assert referral_of("web:1001").status == "voided"


def test_an_event_number_containing_a_colon_is_found(api, api_site, frozen_now):
    # given an event whose number is a URN-like id
    referral = refer_event(api, api_site, "subscription", "urn:sub:7")

    # when the merchant names it the documented way
    response = put_status(api, api_site.slug, "subscription:urn:sub:7", "approved")

    # then it is found
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.status == "approved"


# ---- the referral object -------------------------------------------------------------------


def test_the_referral_has_exactly_the_contracts_keys_and_values(
    api, api_site, referred, openapi, time_machine
):
    response = put_later(api, api_site.slug, "F-1", "approved", time_machine)

    referral = response.json()["result"]["referral"]
    example = contract_referral(openapi)
    assert set(referral) == set(example)
    assert set(referral["advocate_person"]) == set(example["advocate_person"])
    assert set(referral["friend_person"]) == set(example["friend_person"])
    assert set(referral["fraud_policies_status"]) == {"blocked", "flagged", "skipped", "passed"}
    stored = Referral.objects.get(pk=referred.pk)
    reward = Reward.objects.get(referral=stored, reason="referrer")
    assert referral == {
        # the campaign's referrer incentive: a $10 rebate, paid on approval
        "ad_rewarded": True,
        "advocate_person": {
            "email": "advocate@example.com",
            "first_name": "Ada",
            "id": stored.advocate_id,
            "last_name": None,
            "phone_number": None,
        },
        "advocate_rewards": [
            {
                "amount": 10.0,
                "coupon": None,
                "coupon_code": None,
                "id": reward.pk,
                "incentive_custom_description": "$10 back",
                "incentive_description": "$10 back",
                "incentive_type": "rebate",
                "reason": "referrer",
                "status": "Paid",
            }
        ],
        "campaign_id": stored.campaign_id,
        "created_at": "2026-07-07T18:00:00.000+00:00",
        "fraud_details": None,
        "fraud_policies_status": stored.fraud_policies_status,
        "friend_person": {
            "email": "friend@example.org",
            "first_name": None,
            "id": stored.friend_id,
            "last_name": None,
            "phone_number": None,
        },
        "friend_rewards": [],
        "id": stored.pk,
        "offer_id": stored.offer_id,
        "qa_generated": False,
        "referred_origin_id": stored.origin_id,
        "referred_subtotal": 80.0,
        "status": "approved",
        "track_method": "cookie",
        "updated_at": "2026-07-07T19:00:00.000+00:00",
    }
