"""GET /api/v2/origins/{slug}/referral/trace: the referral page's explanation as JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.api.v2.envelope import format_time
from goodword.referrals.models import Referral
from tests.conftest import ApiClient
from tests.factories import SiteFactory, make_key
from tests.portal.support import ADVOCATE, FRIEND, client_for, flagged_referral
from tests.referrals.program import build_program, buy, put_status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

SIMILAR = "Similar Email Match"


def trace_of(api, site, slug: str):
    return api.get(f"/api/v2/origins/{slug}/referral/trace", {"site_slug": site.slug})


def test_the_trace_explains_a_flagged_referral(api, api_site, agent):
    referral = flagged_referral(api, api_site.site, "T-1")
    client_for(agent).post(
        f"/portal/{api_site.slug}/referrals/{referral.pk}/approve/", {"note": "ok by phone"}
    )

    response = trace_of(api, api_site.site, "T-1")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    trace = body["result"]["trace"]
    assert trace["referral"]["id"] == referral.pk
    assert trace["referral"]["status"] == "approved"
    assert trace["referral"]["screened_status"] == "flagged"
    assert trace["referral"]["fraud_details"] == "Similar Email"
    assert trace["origin"]["slug"] == "T-1"
    assert trace["advocate"]["email"] == ADVOCATE
    assert trace["friend"]["email"] == FRIEND
    assert trace["facts_source"] == "stored"
    assert trace["friend"]["facts"]["email"] == FRIEND
    similar = next(p for p in trace["policies"] if p["policy"] == SIMILAR)
    assert similar["result"] == "flagged"
    assert similar["evidence"] == {
        "friend_email": FRIEND,
        "advocate_email": ADVOCATE,
        "mailbox": "johndoe@gmail.com",
    }
    assert [p["result"] for p in trace["policies"]].count("flagged") == 1
    assert trace["attribution"]["method"] == "cookie"
    assert trace["attribution"]["claim"]["visitor_uuid"] == trace["attribution"]["matched"]
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in trace["history"]] == [
        ("in_progress", "flagged", "engine"),
        ("flagged", "approved", "staff"),
    ]
    assert trace["history"][1]["actor_detail"] == agent.email
    assert trace["history"][1]["reason"] == "ok by phone"
    assert [(r["reason"], r["status"]) for r in trace["rewards"]] == [("referrer", "Paid")]
    assert trace["automatic_resolution"] is None
    assert trace["waits_because"] == "The referral is approved: nothing more happens to it."


def test_a_pending_referral_says_when_it_is_approved(api, api_site):
    referral = flagged_referral(api, api_site.site, "T-2")
    put_status(api, api_site.slug, "T-2", "pending")

    trace = trace_of(api, api_site.site, "T-2").json()["result"]["trace"]

    # the site's default: approved a day after the friend's order
    origin_at = Referral.objects.get(pk=referral.pk).origin.occurred_at
    assert trace["automatic_resolution"] == {
        "to_status": "approved",
        "due_at": format_time(origin_at + timedelta(days=1)),
        "reason": "approval delay passed",
    }
    assert trace["waits_because"] is None


def test_an_older_referral_without_stored_facts_shows_the_current_ones(api, api_site):
    referral = flagged_referral(api, api_site.site, "T-3")
    referral.fraud_evidence = [e for e in referral.fraud_evidence if e.get("kind") != "facts"]
    referral.save(update_fields=["fraud_evidence"])

    trace = trace_of(api, api_site.site, "T-3").json()["result"]["trace"]

    assert trace["facts_source"] == "current"
    assert trace["advocate"]["facts"]["email"] == ADVOCATE
    assert trace["friend"]["facts"]["email"] == FRIEND


def test_an_origin_without_referral_and_an_unknown_origin_are_not_found(api, api_site):
    build_program(api_site.site)
    buy(api, api_site.slug, "LONE-1", "lone@example.com")

    lone = trace_of(api, api_site.site, "LONE-1")
    unknown = trace_of(api, api_site.site, "NOPE")

    # the status the Referrals API answers for an unknown origin
    assert lone.status_code == 400
    assert lone.json() == {"ok": False, "error_message": "No referral found for this origin."}
    assert unknown.status_code == 400
    assert unknown.json() == {"ok": False, "error_message": "No origin found by `origin_slug`."}


def test_the_key_of_another_site_sees_nothing(api, api_site):
    flagged_referral(api, api_site.site, "T-4")
    other = SiteFactory()
    stranger = ApiClient(make_key(other).raw_key)

    response = stranger.get("/api/v2/origins/T-4/referral/trace", {"site_slug": other.slug})
    wrong_site = stranger.get("/api/v2/origins/T-4/referral/trace", {"site_slug": api_site.slug})

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No origin found by `origin_slug`."}
    assert wrong_site.status_code == 401
    assert wrong_site.json() == {
        "ok": False,
        "error_message": "The API key does not belong to this site.",
    }


def test_a_missing_key_is_refused(api, api_site):
    flagged_referral(api, api_site.site, "T-5")

    response = ApiClient(None).get("/api/v2/origins/T-5/referral/trace")

    assert response.status_code == 401
    assert response.json()["ok"] is False


def test_the_openapi_description_marks_it_a_goodword_extension(api):
    spec = api.get("/api/v2/openapi.json").json()

    operation = spec["paths"]["/api/v2/origins/{origin_slug}/referral/trace"]["get"]
    assert "Goodword extension" in operation["summary"]
    assert operation["description"].startswith("**Goodword extension** (not part of Talkable")
