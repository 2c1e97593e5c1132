"""POST /people/{person_slug}/anonymize: the person's identifying data is gone from every table,
their referrals and rewards stay (pseudonymous), the answer is a receipt, a repeat changes
nothing."""

from __future__ import annotations

import pytest

from goodword.people.models import Person
from goodword.privacy.models import Erasure
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward
from goodword.sites.models import BlocklistEntry
from tests.conftest import NOW
from tests.privacy.support import (
    ADDRESS,
    AGENT,
    FIRST,
    IP,
    LAST,
    PHONE,
    SUBJECT,
    build_rich_person,
    find_everywhere,
)
from tests.referrals.program import build_program, buy, friend_clicks, join, referral_of
from tests.webhooks.support import receiver_fixture

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.usefixtures("frozen_now")]

NEEDLES = (SUBJECT, f"{FIRST}", LAST, PHONE, IP, AGENT, ADDRESS, "cust-zq-77", "Rocinante")


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def anonymize(api, slug: str, person_slug: str):
    return api.post(f"/api/v2/people/{person_slug}/anonymize", {"site_slug": slug})


def test_an_anonymize_leaves_no_trace_of_the_person_anywhere_in_the_database(
    api, api_site, receiver
):
    # given a person with origins, offers, shares, claims, referrals both ways, rewards,
    # webhook deliveries (one answered with their data), staff audit, a refused batch row, a
    # parked job and an admin log entry
    built = build_rich_person(api, api_site.site, receiver)
    before = find_everywhere(*NEEDLES)
    tables = {table for table, _, _ in before}
    assert {
        "people_person",
        "origins_origin",
        "offers_claim",
        "offers_advocateoffer",
        "referrals_referral",
        "webhooks_delivery",
        "webhooks_deliveryattempt",
        "portal_auditentry",
        "origins_originbatcherror",
        "worker_job",
        "django_admin_log",
    } <= tables, tables

    # when it is anonymized
    response = anonymize(api, api_site.slug, SUBJECT)

    # then no column of any table holds their email, names, phone, IP, user agent, address,
    # customer id or custom properties
    assert response.status_code == 200, response.content
    assert find_everywhere(*NEEDLES) == []
    # and the program's numbers are unchanged, tied to the same (now pseudonymous) person
    assert Referral.objects.filter(site=api_site.site).count() == built.referrals
    assert Reward.objects.filter(site=api_site.site).count() == built.rewards
    person = Person.objects.get(pk=built.person.pk)
    assert person.email.endswith("@anonymized.email")
    assert Referral.objects.filter(advocate=person).count() == 1
    assert Referral.objects.filter(friend=person).count() == 1


def test_the_answer_is_the_anonymized_person_with_a_receipt(api, api_site, receiver):
    build_rich_person(api, api_site.site, receiver)

    body = anonymize(api, api_site.slug, SUBJECT).json()

    person = body["result"]["person"]
    assert person["email"].endswith("@anonymized.email")
    for field in ("first_name", "last_name", "phone_number", "customer_id", "username"):
        assert person[field] is None, field
    assert person["custom_properties"] == {}
    assert person["referral_counts"]["total"] == 1
    receipt = body["result"]["erasure"]
    assert receipt["erased_at"] == "2026-07-07T18:00:00.000+00:00"
    assert receipt["kept"] == ["referrals", "rewards", "blocklist"]
    rows = receipt["rows"]
    assert rows["people"] == 1
    assert rows["origins"] == 2  # the purchase and the joining
    assert rows["webhook_deliveries"] >= 5  # counted when changed
    assert rows["webhook_attempts"] == 1  # the one response that echoed them
    assert rows["staff_actions"] == 1
    assert rows["origin_batch_errors"] == 1
    assert rows["jobs"] == 1
    assert rows["admin_log"] == 1
    assert Erasure.objects.get(person__site=api_site.site).rows == rows


def test_a_repeat_by_the_old_or_the_new_address_answers_the_same_receipt_and_changes_nothing(
    api, api_site, time_machine
):
    # given an erased person
    api.post(
        "/api/v2/origins/affiliate_member",
        {"site_slug": api_site.slug, "data": {"email": SUBJECT, "first_name": FIRST}},
    )
    first = anonymize(api, api_site.slug, SUBJECT).json()["result"]
    new_email = first["person"]["email"]
    time_machine.move_to(NOW.replace(hour=19), tick=False)

    # when the merchant asks again, by the old address and by the new one
    again = anonymize(api, api_site.slug, SUBJECT)
    by_new = anonymize(api, api_site.slug, new_email)

    # then both answer the first receipt, and there is still one person and one erasure
    assert again.status_code == 200 and by_new.status_code == 200
    assert again.json()["result"] == first
    assert by_new.json()["result"] == first
    assert Person.objects.filter(site=api_site.site).count() == 1
    assert Erasure.objects.count() == 1


def test_an_unknown_person_is_not_found(api, api_site):
    response = anonymize(api, api_site.slug, "nobody@example.com")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No person found by `person_slug`."}
    assert Erasure.objects.count() == 0


def test_the_blocklist_is_the_merchants_rule_and_stays(api, api_site):
    # given a blocklisted person
    BlocklistEntry.objects.create(site=api_site.site, value=SUBJECT)
    api.post(
        "/api/v2/origins/affiliate_member",
        {"site_slug": api_site.slug, "data": {"email": SUBJECT}},
    )

    anonymize(api, api_site.slug, SUBJECT)

    # then the blocklist still refuses the address (and that is the only trace of it)
    assert BlocklistEntry.objects.filter(site=api_site.site, value=SUBJECT).exists()
    assert {(t, c) for t, c, _ in find_everywhere(SUBJECT)} == {("sites_blocklistentry", "value")}


def test_another_sites_person_with_the_same_email_is_untouched(api, api_site):
    from tests.factories import PersonFactory, SiteFactory

    other = PersonFactory(site=SiteFactory(), email=SUBJECT, first_name=FIRST)
    api.post(
        "/api/v2/origins/affiliate_member",
        {"site_slug": api_site.slug, "data": {"email": SUBJECT}},
    )

    anonymize(api, api_site.slug, SUBJECT)

    other.refresh_from_db()
    assert other.email == SUBJECT and other.first_name == FIRST


def test_what_a_policy_derived_from_the_persons_phone_is_erased_too(api, api_site):
    # given a friend flagged because they bought with the advocate's phone number, so the
    # referral's evidence holds the number's digits as the policy read them
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+1 202 555 1111")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "TEL-1", "friend@example.org", uuid=uuid, phone_number="(202) 555-1111")
    evidence = str(referral_of("TEL-1").fraud_evidence)
    assert "2025551111" in evidence and "(202) 555-1111" in evidence

    # when the friend is anonymized
    response = anonymize(api, api_site.slug, "friend@example.org")

    # then neither their spelling nor the digits derived from it are left anywhere
    assert response.status_code == 200, response.content
    assert find_everywhere("2025551111", "(202) 555-1111") == []
    # and the referral keeps its verdict
    referral = referral_of("TEL-1")
    assert referral.fraud_policies_status["flagged"] == ["Matching Phone Number on Friend Purchase"]
