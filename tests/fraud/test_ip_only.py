"""IP address only: the friend and the advocate were seen at one IP."""

from __future__ import annotations

import pytest

from goodword.fraud.policies import IP_ONLY, PolicyResult, ip_only
from tests.fraud.builders import facts, party

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_a_shared_ip_matches():
    # given a friend who ordered from an IP the advocate was seen at
    given = facts(
        advocate=party(ips={"198.51.100.1", "203.0.113.7"}),
        friend=party(ips={"203.0.113.7", "192.0.2.44"}),
    )

    # when the policy runs
    result = ip_only(given)

    # then it matches, naming the IP
    assert result == PolicyResult(
        IP_ONLY, "matched", {"friend_ip": "203.0.113.7", "advocate_ip": "203.0.113.7"}
    )


def test_of_several_shared_ips_the_evidence_names_the_first_in_sorted_order():
    # given parties that share two IPs (sets: no order of their own)
    given = facts(
        advocate=party(ips={"203.0.113.9", "203.0.113.7"}),
        friend=party(ips={"203.0.113.7", "203.0.113.9"}),
    )

    # when the policy runs
    result = ip_only(given)

    # then the evidence is the same on every run
    assert result.evidence == {"friend_ip": "203.0.113.7", "advocate_ip": "203.0.113.7"}


def test_ipv6_addresses_are_compared_as_addresses():
    # given one IPv6 address, spelled compressed and expanded
    given = facts(
        advocate=party(ips={"2001:0DB8:0000:0000:0000:0000:0000:0001"}),
        friend=party(ips={"2001:db8::1"}),
    )

    # when the policy runs
    result = ip_only(given)

    # then it matches and each side keeps its spelling in the evidence
    assert result.evidence == {
        "friend_ip": "2001:db8::1",
        "advocate_ip": "2001:0DB8:0000:0000:0000:0000:0000:0001",
    }


def test_of_two_spellings_of_one_ip_the_evidence_quotes_the_first_in_sorted_order():
    # given the advocate's IP recorded twice, spelled differently by two sources
    given = facts(
        advocate=party(ips={"2001:db8::1", "2001:DB8::1"}), friend=party(ips={"2001:db8::1"})
    )

    # when the policy runs
    result = ip_only(given)

    # then the evidence is the same on every run, whatever order the set iterates in
    assert result.evidence["advocate_ip"] == "2001:DB8::1"


def test_the_ips_of_ip_and_user_agent_pairs_count_too():
    # given an IP known to the advocate only from a (IP, user agent) pair
    given = facts(
        advocate=party(ip_user_agents={("203.0.113.7", FIREFOX)}),
        friend=party(ips={"203.0.113.7"}),
    )

    # when the policy runs
    result = ip_only(given)

    # then it matches: a visit from that IP is a visit from that IP
    assert result.outcome == "matched"


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param({"203.0.113.7"}, {"203.0.113.8"}, id="neighbours"),
        pytest.param({"192.0.2.1"}, {"::ffff:192.0.2.2"}, id="mapped-but-different"),
        pytest.param({"203.0.113.7", "unknown"}, {"203.0.113.8", "unknown"}, id="garbage-shared"),
    ],
)
def test_different_ips_pass(advocate, friend):
    # given no IP in common
    given = facts(advocate=party(ips=advocate), friend=party(ips=friend))

    # when the policy runs
    result = ip_only(given)

    # then it passes
    assert result == PolicyResult(IP_ONLY, "passed", {})


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(set(), {"203.0.113.7"}, id="advocate-has-none"),
        pytest.param({"203.0.113.7"}, set(), id="friend-has-none"),
        pytest.param({"unknown"}, {"unknown"}, id="not-ips"),
        pytest.param({""}, {""}, id="empty-strings"),
    ],
)
def test_without_an_ip_on_both_sides_it_is_skipped(advocate, friend):
    # given no parseable IP on one side
    given = facts(advocate=party(ips=advocate), friend=party(ips=friend))

    # when the policy runs
    result = ip_only(given)

    # then it cannot decide
    assert result == PolicyResult(IP_ONLY, "skipped", {})
