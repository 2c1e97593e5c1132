"""The referral explanation (referrals/trace.py): findings in words, stored facts, shared
values, and what happens next."""

from __future__ import annotations

import pytest

from goodword.fraud import policies as p
from goodword.referrals.trace import finding, referral_trace_by_id
from tests.referrals.program import build_program, buy, click, friend_clicks, join, referral_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.mark.parametrize(
    ("policy", "evidence", "sentence"),
    [
        (
            p.SELF_REFERRAL,
            {"friend_email": "a@x.com", "advocate_email": "a@x.com"},
            "The friend's email a@x.com is the advocate's own.",
        ),
        (
            p.SELF_REFERRAL,
            {"friend_cookie": "u-1", "advocate_cookie": "u-1"},
            "The friend's browser carries the advocate's cookie u-1.",
        ),
        (
            p.SIMILAR_EMAIL,
            {
                "friend_email": "j.d@gmail.com",
                "advocate_email": "jd@gmail.com",
                "mailbox": "jd@gmail.com",
            },
            "j.d@gmail.com and jd@gmail.com deliver to the same mailbox jd@gmail.com.",
        ),
        (
            p.SIMILAR_EMAIL,
            {
                "friend_mailbox": "jonh@x.com",
                "advocate_mailbox": "john@x.com",
                "edit_distance": "1",
            },
            "jonh@x.com is one typo away from the advocate's john@x.com.",
        ),
        (
            p.IP_AND_USER_AGENT,
            {
                "friend_ip": "1.2.3.4",
                "advocate_ip": "1.2.3.4",
                "friend_user_agent": "UA",
                "advocate_user_agent": "UA",
            },
            "The friend used the advocate's IP address 1.2.3.4 with the same browser (UA).",
        ),
        (
            p.IP_ONLY,
            {"friend_ip": "1.2.3.4", "advocate_ip": "1.2.3.4"},
            "The friend's IP address 1.2.3.4 is one the advocate used.",
        ),
        (
            p.PHONE_NUMBER,
            {
                "friend_phone": "(202) 555-1111",
                "advocate_phone": "+1 202 555 1111",
                "normalised_phone": "2025551111",
            },
            "The friend's phone number (202) 555-1111 is the advocate's +1 202 555 1111 (both "
            "read as 2025551111).",
        ),
        (
            p.CROSS_REFERRAL,
            {"advocate_referred_by_friend": "true"},
            "The advocate was referred by this friend before: they refer each other.",
        ),
    ],
)
def test_each_policys_evidence_reads_as_a_sentence(policy, evidence, sentence):
    assert finding(policy, evidence) == sentence


def test_a_blocklisted_friend_is_explained_with_the_entry(api, api_site):
    build_program(api_site.site, blocklist=("*@spam.example",))
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "BL-1", "bot@spam.example", uuid=uuid)
    referral = referral_of("BL-1")
    assert referral.status == "blocked"

    trace = referral_trace_by_id(site_id=api_site.site.pk, referral_id=referral.pk)

    assert trace["findings"] == [
        "The friend's email bot@spam.example is on the site's blocklist (entry *@spam.example)."
    ]
    assert trace["blocklist"] == [
        {"blocklist": "*@spam.example", "friend_email": "bot@spam.example"}
    ]
    assert trace["waits_because"] == (
        "Blocked referrals are never approved automatically: unblock it to review it."
    )


def test_the_shared_ip_and_browser_are_shown_from_the_stored_facts(api, api_site):
    # given the advocate looked at their offer from one IP and browser, and the "friend"
    # clicked and bought from the same
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    click(joined["offer"]["show_url"], ip="203.0.113.9", agent="SharedLaptop/2.0")
    _, uuid = friend_clicks(
        joined["offer"]["claim_url"], ip="203.0.113.9", agent="SharedLaptop/2.0"
    )
    buy(api, api_site.slug, "IPUA-1", "friend@example.org", uuid=uuid)
    referral = referral_of("IPUA-1")

    trace = referral_trace_by_id(site_id=api_site.site.pk, referral_id=referral.pk)

    assert trace["facts_source"] == "stored"
    assert trace["shared"]["ip_user_agents"] == [
        {"ip": "203.0.113.9", "user_agent": "SharedLaptop/2.0"}
    ]
    assert trace["shared"]["ips"] == ["203.0.113.9"]
    assert trace["shared"]["cookies"] == []
    assert trace["findings"] == [
        "Matching IP Address & User Agent (flagged): The friend used the advocate's IP address "
        "203.0.113.9 with the same browser (SharedLaptop/2.0)."
    ]
    # facts stored then do not change when the advocate shows up elsewhere later
    click(joined["offer"]["show_url"], ip="198.51.100.200", agent="Phone/1.0")
    again = referral_trace_by_id(site_id=api_site.site.pk, referral_id=referral.pk)
    assert again["advocate"]["facts"] == trace["advocate"]["facts"]


def test_a_referral_of_another_site_is_not_found(api, api_site):
    from goodword.core.errors import NotFound
    from tests.factories import SiteFactory

    build_program(api_site.site)
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "X-1", "friend@example.org", uuid=uuid)
    referral = referral_of("X-1")

    with pytest.raises(NotFound):
        referral_trace_by_id(site_id=SiteFactory().pk, referral_id=referral.pk)


def test_the_shared_phone_number_is_shown_from_the_stored_facts(api, api_site):
    # given a friend who bought with the advocate's phone number, written another way
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+1 202 555 1111")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "TEL-1", "friend@example.org", uuid=uuid, phone_number="202.555.1111")
    referral = referral_of("TEL-1")

    # when the referral is explained
    trace = referral_trace_by_id(site_id=api_site.site.pk, referral_id=referral.pk)

    # then both sides' numbers are shown as compared, the friend's marked as shared
    assert trace["advocate"]["facts"]["phones"] == ["+1 202 555 1111"]
    assert trace["friend"]["facts"]["phones"] == ["202.555.1111"]
    assert trace["shared"]["phones"] == ["202.555.1111"]
    assert trace["findings"] == [
        "Matching Phone Number (flagged): The friend's phone number 202.555.1111 is the "
        "advocate's +1 202 555 1111 (both read as 2025551111)."
    ]
    [phone] = [x for x in trace["policies"] if x["policy"] == p.PHONE_NUMBER]
    assert phone["result"] == "flagged"
    assert phone["evidence"]["normalised_phone"] == "2025551111"
