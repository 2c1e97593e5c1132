"""IP address and user agent: the friend was seen from the advocate's IP, in the same browser."""

from __future__ import annotations

import pytest

from goodword.fraud.policies import IP_AND_USER_AGENT, PolicyResult, ip_and_user_agent
from tests.fraud.builders import facts, party

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1"


def test_the_same_ip_and_user_agent_match():
    # given a friend seen from the advocate's IP with the advocate's browser
    given = facts(
        advocate=party(ip_user_agents={("203.0.113.7", FIREFOX), ("198.51.100.1", SAFARI)}),
        friend=party(ip_user_agents={("203.0.113.7", FIREFOX)}),
    )

    # when the policy runs
    result = ip_and_user_agent(given)

    # then it matches, quoting the pair from each side
    assert result == PolicyResult(
        IP_AND_USER_AGENT,
        "matched",
        {
            "friend_ip": "203.0.113.7",
            "advocate_ip": "203.0.113.7",
            "friend_user_agent": FIREFOX,
            "advocate_user_agent": FIREFOX,
        },
    )


@pytest.mark.parametrize(
    ("advocate_ip", "friend_ip"),
    [
        pytest.param("2001:DB8::1", "2001:db8:0:0::1", id="ipv6-spellings"),
        pytest.param("192.0.2.5", "::ffff:192.0.2.5", id="ipv4-mapped"),
        pytest.param("192.0.2.5", " 192.0.2.5 ", id="whitespace"),
    ],
)
def test_one_ip_spelled_two_ways_is_the_same_ip(advocate_ip, friend_ip):
    # given one address written differently by two sources
    given = facts(
        advocate=party(ip_user_agents={(advocate_ip, FIREFOX)}),
        friend=party(ip_user_agents={(friend_ip, FIREFOX)}),
    )

    # when the policy runs
    result = ip_and_user_agent(given)

    # then it matches, and the evidence keeps each spelling
    assert result.outcome == "matched"
    assert result.evidence["friend_ip"] == friend_ip
    assert result.evidence["advocate_ip"] == advocate_ip


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param({("203.0.113.7", FIREFOX)}, {("203.0.113.7", SAFARI)}, id="same-ip-only"),
        pytest.param({("203.0.113.7", FIREFOX)}, {("203.0.113.8", FIREFOX)}, id="same-ua-only"),
        pytest.param(
            {("203.0.113.7", SAFARI)},
            {("203.0.113.7", FIREFOX), ("198.51.100.1", SAFARI)},
            id="ip-and-ua-from-different-visits",
        ),
    ],
)
def test_an_ip_or_a_user_agent_alone_passes(advocate, friend):
    # given parties that share an IP or a browser but never both on one visit
    given = facts(advocate=party(ip_user_agents=advocate), friend=party(ip_user_agents=friend))

    # when the policy runs
    result = ip_and_user_agent(given)

    # then it passes
    assert result == PolicyResult(IP_AND_USER_AGENT, "passed", {})


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(set(), {("203.0.113.7", FIREFOX)}, id="advocate-has-none"),
        pytest.param({("203.0.113.7", FIREFOX)}, set(), id="friend-has-none"),
        pytest.param({("203.0.113.7", "")}, {("203.0.113.7", "")}, id="no-user-agents"),
        pytest.param({("unknown", FIREFOX)}, {("unknown", FIREFOX)}, id="no-real-ips"),
    ],
)
def test_without_a_usable_pair_on_both_sides_it_is_skipped(advocate, friend):
    # given no (IP, user agent) pair on one side, or pairs missing half
    given = facts(advocate=party(ip_user_agents=advocate), friend=party(ip_user_agents=friend))

    # when the policy runs
    result = ip_and_user_agent(given)

    # then it cannot decide
    assert result == PolicyResult(IP_AND_USER_AGENT, "skipped", {})


def test_ips_without_user_agents_do_not_count():
    # given the same bare IP on both sides, but no pairs
    given = facts(advocate=party(ips={"203.0.113.7"}), friend=party(ips={"203.0.113.7"}))

    # when the policy runs
    result = ip_and_user_agent(given)

    # then this policy has nothing to compare (the IP-only policy does)
    assert result.outcome == "skipped"
