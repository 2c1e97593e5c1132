"""Screening: every policy under the site's actions, plus the blocklist, as one verdict."""

from __future__ import annotations

import re

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from goodword.fraud.blocklist import Blocklist
from goodword.fraud.policies import (
    ALL_POLICIES,
    CROSS_REFERRAL,
    IP_AND_USER_AGENT,
    IP_ONLY,
    PHONE_NUMBER,
    SELF_REFERRAL,
    SHIPPING_ADDRESS,
    SIMILAR_EMAIL,
    Party,
    ReferralFacts,
)
from goodword.fraud.screening import DEFAULT_ACTIONS, screen, validate_actions
from tests.fraud.builders import facts, party

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ADDRESS = ("1 Elm Rd", "62701")


def _honest() -> ReferralFacts:
    """Two strangers, with data for every policy and nothing in common."""
    return facts(
        advocate=party(
            "ann.lee@example.com",
            cookies={"cookie-a"},
            ips={"198.51.100.1"},
            ip_user_agents={("198.51.100.1", UA)},
            shipping_addresses={ADDRESS},
            phones={"+1 202 555 1111"},
        ),
        friend=party(
            "bob.stone@example.org",
            cookies={"cookie-b"},
            ips={"203.0.113.9"},
            ip_user_agents={("203.0.113.9", UA)},
            shipping_addresses={("9 Oak Ave", "10001")},
            phones={"+1 303 555 2222"},
        ),
        advocate_referred_by_friend=False,
    )


def _guilty_of_everything() -> ReferralFacts:
    """A friend who matches the advocate on every policy (the email similar, not equal)."""
    advocate = party(
        "ann.lee@gmail.com",
        cookies={"cookie-a"},
        ips={"198.51.100.1"},
        ip_user_agents={("198.51.100.1", UA)},
        shipping_addresses={ADDRESS},
        phones={"+1 202 555 1111"},
    )
    friend = party(
        "annlee@gmail.com",
        cookies={"cookie-a"},
        ips={"198.51.100.1"},
        ip_user_agents={("198.51.100.1", UA)},
        shipping_addresses={ADDRESS},
        phones={"(202) 555-1111"},
    )
    return facts(advocate=advocate, friend=friend, advocate_referred_by_friend=True)


def test_an_honest_referral_is_pending_and_every_policy_passed():
    # given strangers and the default actions with every policy switched on
    actions = dict.fromkeys(ALL_POLICIES, "flag")

    # when the referral is screened
    verdict = screen(_honest(), actions=actions)

    # then it waits for approval, nothing to report
    assert verdict.status == "pending"
    assert verdict.passed == ALL_POLICIES
    assert verdict.blocked == verdict.flagged == verdict.skipped == ()
    assert verdict.details is None
    assert verdict.evidence == ()


def test_the_default_actions():
    # given strangers, screened with the site's defaults
    verdict = screen(_honest())

    # then IP-only is off (skipped) and everything else ran
    assert verdict.status == "pending"
    assert verdict.skipped == (IP_ONLY,)
    assert verdict.passed == tuple(p for p in ALL_POLICIES if p != IP_ONLY)
    assert DEFAULT_ACTIONS == {
        SELF_REFERRAL: "block",
        SIMILAR_EMAIL: "flag",
        SHIPPING_ADDRESS: "flag",
        IP_AND_USER_AGENT: "flag",
        IP_ONLY: "off",
        PHONE_NUMBER: "flag",
        CROSS_REFERRAL: "block",
    }


def test_a_matched_block_policy_blocks_with_its_evidence():
    # given a friend who bought with the advocate's email
    given = facts(advocate=party("ann@example.com"), friend=party("ann@example.com"))

    # when the referral is screened with self-referral on block (the default)
    verdict = screen(given)

    # then it is blocked, and says why
    assert verdict.status == "blocked"
    assert verdict.blocked == (SELF_REFERRAL,)
    assert verdict.flagged == ()
    assert verdict.details == "Self Referral"
    assert verdict.evidence == (
        {
            "policy": SELF_REFERRAL,
            "friend_email": "ann@example.com",
            "advocate_email": "ann@example.com",
        },
    )


def test_a_matched_flag_policy_flags():
    # given a friend with a Gmail spelling of the advocate's mailbox
    given = facts(advocate=party("ann.lee@gmail.com"), friend=party("annlee@gmail.com"))

    # when the referral is screened with similar email on flag (the default)
    verdict = screen(given)

    # then it goes to review
    assert verdict.status == "flagged"
    assert verdict.flagged == (SIMILAR_EMAIL,)
    assert verdict.blocked == ()
    assert verdict.details == "Similar Email"
    assert verdict.evidence[0]["policy"] == SIMILAR_EMAIL


def test_a_policy_that_is_off_does_not_run():
    # given a self-referral, on a site that switched that policy off
    given = facts(advocate=party("ann@example.com"), friend=party("ann@example.com"))

    # when the referral is screened
    verdict = screen(given, actions={SELF_REFERRAL: "off"})

    # then the policy is reported skipped and the referral is clean
    assert SELF_REFERRAL in verdict.skipped
    assert verdict.status == "pending"
    assert verdict.details is None


def test_a_policy_without_data_is_skipped_whatever_its_action():
    # given no shipping address for the friend, and the shipping policy on block
    given = facts(
        advocate=party("ann@example.com", shipping_addresses={ADDRESS}),
        friend=party("bob@example.com"),
    )

    # when the referral is screened
    verdict = screen(given, actions={SHIPPING_ADDRESS: "block"})

    # then the policy is skipped, not passed
    assert SHIPPING_ADDRESS in verdict.skipped
    assert SHIPPING_ADDRESS not in verdict.passed
    assert verdict.status == "pending"


def test_block_wins_over_flag_and_details_put_blocked_policies_first():
    # given a friend who is guilty of everything, with cross referral on block and the rest on flag
    actions = dict.fromkeys(ALL_POLICIES, "flag") | {CROSS_REFERRAL: "block"}

    # when the referral is screened
    verdict = screen(_guilty_of_everything(), actions=actions)

    # then it is blocked; details and evidence list the blocked policy before the flagged ones
    assert verdict.status == "blocked"
    assert verdict.blocked == (CROSS_REFERRAL,)
    assert verdict.flagged == ALL_POLICIES[:-1]
    assert verdict.details == (
        "Cross Referral, Self Referral, Similar Email, Matching Shipping Address, "
        "Matching IP Address & User Agent, Matching IP Address, Matching Phone Number"
    )
    assert [e["policy"] for e in verdict.evidence] == [CROSS_REFERRAL, *ALL_POLICIES[:-1]]


def test_the_lists_keep_the_order_of_all_policies():
    # given every policy matching, and actions chosen so each list gets several policies
    actions = {
        SELF_REFERRAL: "flag",
        SIMILAR_EMAIL: "block",
        SHIPPING_ADDRESS: "off",
        IP_AND_USER_AGENT: "block",
        IP_ONLY: "flag",
        PHONE_NUMBER: "off",
        CROSS_REFERRAL: "block",
    }

    # when the referral is screened
    verdict = screen(_guilty_of_everything(), actions=actions)

    # then each list is in ALL_POLICIES order, whatever order the actions came in
    assert verdict.blocked == (SIMILAR_EMAIL, IP_AND_USER_AGENT, CROSS_REFERRAL)
    assert verdict.flagged == (SELF_REFERRAL, IP_ONLY)
    assert verdict.skipped == (SHIPPING_ADDRESS, PHONE_NUMBER)
    assert verdict.policies_status() == {
        "blocked": [SIMILAR_EMAIL, IP_AND_USER_AGENT, CROSS_REFERRAL],
        "flagged": [SELF_REFERRAL, IP_ONLY],
        "skipped": [SHIPPING_ADDRESS, PHONE_NUMBER],
        "passed": [],
    }


def test_a_blocklisted_friend_email_blocks_an_otherwise_clean_referral():
    # given strangers, and a blocklist that names the friend's domain
    blocklist = Blocklist.parse(["*@example.org", "10.0.0.0/8"])

    # when the referral is screened
    verdict = screen(_honest(), blocklist=blocklist)

    # then it is blocked by the blocklist, which no policy list mentions
    assert verdict.status == "blocked"
    assert verdict.blocked == ()
    assert verdict.details == "Blocklisted friend email (*@example.org)"
    assert verdict.evidence == (
        {"blocklist": "*@example.org", "friend_email": "bob.stone@example.org"},
    )


def test_a_blocklisted_ip_on_either_side_blocks_and_comes_before_the_policies():
    # given a flagged similar email, a blocklisted friend IP and a blocklisted advocate IP
    given = facts(
        advocate=party(
            "ann.lee@gmail.com", ip_user_agents={("2001:db8::7", UA)}, ips={"192.0.2.1"}
        ),
        friend=party("annlee@gmail.com", ips={"203.0.113.9", "198.51.100.20"}),
    )
    blocklist = Blocklist.parse(["203.0.113.0/24", "2001:db8::/32"])

    # when the referral is screened
    verdict = screen(given, blocklist=blocklist)

    # then the friend's hit, then the advocate's, then the policy are reported
    assert verdict.status == "blocked"
    assert verdict.flagged == (SIMILAR_EMAIL,)
    assert verdict.details == (
        "Blocklisted friend IP (203.0.113.0/24), "
        "Blocklisted advocate IP (2001:db8::/32), Similar Email"
    )
    assert verdict.evidence[:2] == (
        {"blocklist": "203.0.113.0/24", "friend_ip": "203.0.113.9"},
        {"blocklist": "2001:db8::/32", "advocate_ip": "2001:db8::7"},
    )


def test_a_blocklist_that_matches_nobody_changes_nothing():
    verdict = screen(_honest(), blocklist=Blocklist.parse(["*@spam.example", "10.0.0.0/8"]))
    assert verdict == screen(_honest())
    assert verdict.status == "pending"


def test_policies_status_is_a_fresh_copy_each_time():
    verdict = screen(_honest())
    verdict.policies_status()["passed"].clear()
    assert verdict.policies_status()["passed"] == list(verdict.passed)
    assert verdict.passed


def test_validate_actions_fills_in_the_defaults():
    assert validate_actions({}) == DEFAULT_ACTIONS
    assert validate_actions({IP_ONLY: "flag"}) == DEFAULT_ACTIONS | {IP_ONLY: "flag"}
    assert validate_actions({IP_ONLY: "flag"}) is not DEFAULT_ACTIONS


def test_validate_actions_does_not_change_the_defaults():
    validate_actions({IP_ONLY: "block"})["Similar Email Match"] = "off"
    assert DEFAULT_ACTIONS[IP_ONLY] == "off"
    assert DEFAULT_ACTIONS[SIMILAR_EMAIL] == "flag"


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({"Self Referral": "block"}, "unknown fraud policy 'Self Referral'"),
        ({"matching by ip address only": "flag"}, "unknown fraud policy"),
        ({IP_ONLY: "Block"}, f"'Block' is not an action for {IP_ONLY!r}"),
        ({IP_ONLY: "review"}, f"'review' is not an action for {IP_ONLY!r}"),
        ({IP_ONLY: None}, f"None is not an action for {IP_ONLY!r}"),
        ({IP_ONLY: True}, f"True is not an action for {IP_ONLY!r}"),
        ({IP_ONLY: ["block"]}, f"['block'] is not an action for {IP_ONLY!r}"),
    ],
)
def test_validate_actions_names_what_is_wrong(actions, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_actions(actions)


def test_screen_refuses_unknown_actions():
    with pytest.raises(ValueError, match="unknown fraud policy"):
        screen(_honest(), actions={"Velocity": "block"})


# Few values, so that random parties often share some.
_EMAILS = st.sampled_from([None, "", "ann.lee@gmail.com", "annlee@gmail.com", "bob@x.org"])
_IPS = st.frozensets(st.sampled_from(["192.0.2.1", "192.0.2.2", "::ffff:192.0.2.1", "junk"]))
_PARTIES = st.builds(
    Party,
    email=_EMAILS,
    cookies=st.frozensets(st.sampled_from(["c1", "C1", "c2"])),
    ips=_IPS,
    ip_user_agents=st.frozensets(
        st.tuples(st.sampled_from(["192.0.2.1", "192.0.2.2"]), st.sampled_from(["ua1", "ua2", ""]))
    ),
    shipping_addresses=st.frozensets(
        st.tuples(
            st.sampled_from([None, "1 Elm Rd", "1 Elm Road, Apt 2"]),
            st.sampled_from([None, "62701"]),
        )
    ),
)
_FACTS = st.builds(
    ReferralFacts,
    advocate=_PARTIES,
    friend=_PARTIES,
    advocate_referred_by_friend=st.sampled_from([None, True, False]),
)
_ACTIONS = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(ALL_POLICIES, st.sampled_from(["block", "flag", "off"]))
)


@for_all(_FACTS, _ACTIONS, st.booleans())
def test_every_policy_lands_in_exactly_one_list_in_order(given, actions, with_blocklist):
    blocklist = Blocklist.parse(["bob@x.org", "192.0.2.2"]) if with_blocklist else None

    verdict = screen(given, actions=actions, blocklist=blocklist)

    lists = (verdict.blocked, verdict.flagged, verdict.skipped, verdict.passed)
    assert sorted(p for listed in lists for p in listed) == sorted(ALL_POLICIES)
    for listed in lists:
        assert list(listed) == [p for p in ALL_POLICIES if p in listed]
    resolved = validate_actions(actions)
    assert all(resolved[p] == "block" for p in verdict.blocked)
    assert all(resolved[p] == "flag" for p in verdict.flagged)
    blocklisted = any("blocklist" in e for e in verdict.evidence)
    expected = (
        "blocked"
        if verdict.blocked or blocklisted
        else ("flagged" if verdict.flagged else "pending")
    )
    assert verdict.status == expected
    assert (verdict.details is None) == (verdict.status == "pending")
    assert len(verdict.evidence) == len(verdict.blocked) + len(verdict.flagged) + sum(
        1 for e in verdict.evidence if "blocklist" in e
    )
