"""The site blocklist: email patterns with `*`, IP addresses and CIDR ranges."""

from __future__ import annotations

import re

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from goodword.fraud.blocklist import Blocklist, validate_entry


@pytest.mark.parametrize(
    ("entry", "normalised"),
    [
        ("Spammer@Example.COM", "spammer@example.com"),
        ("  *@spam.example ", "*@spam.example"),
        ("@spam.example", "*@spam.example"),
        ("bad***@x.com", "bad*@x.com"),
        ("203.0.113.7", "203.0.113.7"),
        ("2001:0DB8:0000::0001", "2001:db8::1"),
        ("::ffff:192.0.2.5", "192.0.2.5"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("192.0.2.5/32", "192.0.2.5/32"),
    ],
)
def test_entries_are_normalised_to_one_spelling(entry, normalised):
    assert validate_entry(entry) == normalised


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "   ",
        "spam",
        "*spam*",
        "256.1.1.1",
        "10.0.0.0/33",
        "2001:db8::/129",
        "203.0.113.07",
        "not an@example.com",
        "a@b@c.com",
        "spammer@",
        "10.0.0.0/8/8",
    ],
)
def test_what_is_not_an_email_pattern_ip_or_range_is_rejected_by_name(entry):
    with pytest.raises(ValueError) as error:
        validate_entry(entry)
    assert str(error.value) == (f"{entry!r} is not an email pattern, IP address or CIDR range")


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("*@*", "email address"),
        ("**@*.*", "email address"),
        ("0.0.0.0/0", "IP address"),
        ("::/0", "IP address"),
    ],
)
def test_an_entry_that_would_block_everyone_is_rejected(entry, kind):
    with pytest.raises(ValueError, match=re.escape(f"{entry!r} would block every {kind}")):
        validate_entry(entry)


def test_parse_names_the_first_bad_entry():
    # given a list with one bad entry among good ones
    entries = ["*@spam.example", "10.0.0.0/8", "10.0.0.300", "bad@example.com"]

    # when it is parsed, then the error names the bad entry
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300' is not an email pattern")):
        Blocklist.parse(entries)


def test_parse_keeps_each_normalised_entry_once_in_order():
    blocklist = Blocklist.parse(["B@x.com", "10.0.0.1", "b@X.com", "@spam.example"])
    assert blocklist.entries == ("b@x.com", "10.0.0.1", "*@spam.example")
    assert blocklist == Blocklist.parse(["b@x.com", "10.0.0.1", "*@spam.example"])


@pytest.mark.parametrize(
    ("entry", "email"),
    [
        ("*@spam.example", "anyone@spam.example"),
        ("*@spam.example", "Anyone@SPAM.example"),
        ("*@spam.example", " anyone@spam.example "),
        ("bad*@x.com", "bad@x.com"),
        ("bad*@x.com", "badguy@x.com"),
        ("*bad@x.com", "verybad@x.com"),
        ("a*z@x.com", "a-to-z@x.com"),
        ("*@*.spam.example", "a@mail.spam.example"),
        ("spammer@*", "spammer@anywhere.org"),
        ("fraud+*@x.com", "fraud+1@x.com"),
        ("Fraud@Example.com", "fraud@example.com"),
    ],
)
def test_emails_match_their_pattern(entry, email):
    # given a blocklist with the entry among unrelated ones
    blocklist = Blocklist.parse(["other@x.com", "*@elsewhere.example", entry, "10.0.0.0/8"])

    # when the email is checked
    hit = blocklist.match(email=email, ips=[])

    # then the entry and the email as given are the evidence
    assert hit == {"entry": validate_entry(entry), "email": email}


@pytest.mark.parametrize(
    ("entry", "email"),
    [
        pytest.param("*@spam.example", "x@notspam.example", id="longer-domain"),
        pytest.param("*@spam.example", "x@sub.spam.example", id="subdomain"),
        pytest.param("*@spam.example", "x@spam.example.com", id="domain-prefix"),
        pytest.param("*@*.spam.example", "x@spam.example", id="needs-a-subdomain"),
        pytest.param("bad*@x.com", "notbad@x.com", id="prefix"),
        pytest.param("a.b@x.com", "axb@x.com", id="dot-is-literal"),
        pytest.param("*@spam.example", "x@spamxexample", id="dot-in-pattern-is-literal"),
        pytest.param("a+b@x.com", "aab@x.com", id="plus-is-literal"),
        pytest.param("ann+*@x.com", "annn1@x.com", id="plus-in-pattern-is-literal"),
        pytest.param("spammer@*", "nospammer@x.com", id="local-prefix"),
        pytest.param("ann@x.com", "ann@x.co", id="exact"),
        pytest.param("spammer*@x.io", "spammer1@x.io.evil.org", id="whole-address"),
        pytest.param("*@x.io", "a@x.io.evil.org", id="whole-domain"),
    ],
)
def test_similar_emails_are_not_false_positives(entry, email):
    # given a blocklist with the entry
    blocklist = Blocklist.parse([entry])

    # when a near miss is checked, then nothing matches
    assert blocklist.match(email=email, ips=[]) is None


@pytest.mark.parametrize(
    ("entry", "ip"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7", "::ffff:203.0.113.7"),
        ("2001:db8::1", "2001:DB8:0:0:0:0:0:1"),
        ("10.0.0.0/8", "10.255.1.2"),
        ("192.0.2.5/32", "192.0.2.5"),
        ("2001:db8::/32", "2001:db8:ffff::1"),
        ("203.0.113.0/24", "::ffff:203.0.113.200"),
    ],
)
def test_ips_match_addresses_and_ranges(entry, ip):
    # given a blocklist with the entry among unrelated ones
    blocklist = Blocklist.parse(["198.51.100.1", "172.16.0.0/12", entry, "*@spam.example"])

    # when the IP is checked
    hit = blocklist.match(email="someone@example.com", ips=["192.0.2.200", ip])

    # then the entry and the IP as given are the evidence
    assert hit == {"entry": validate_entry(entry), "ip": ip}


@pytest.mark.parametrize(
    ("entry", "ip"),
    [
        ("203.0.113.7", "203.0.113.8"),
        ("10.0.0.0/8", "11.0.0.1"),
        ("10.0.0.0/8", "9.255.255.255"),
        ("2001:db8::/32", "2001:db9::1"),
        ("::ffff:0:0/96", "10.0.0.1"),  # an IPv6 range does not cover an IPv4 address
        ("10.0.0.0/8", "not-an-ip"),
        ("10.0.0.0/8", ""),
    ],
)
def test_ips_outside_the_entries_do_not_match(entry, ip):
    assert Blocklist.parse([entry]).match(email=None, ips=[ip]) is None


def test_the_most_specific_range_is_the_evidence():
    blocklist = Blocklist.parse(["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.0/25"])
    assert blocklist.match(email=None, ips=["10.1.2.200"]) == {
        "entry": "10.1.2.0/24",
        "ip": "10.1.2.200",
    }


def test_the_email_is_reported_before_the_ips():
    blocklist = Blocklist.parse(["10.0.0.0/8", "*@spam.example"])
    hit = blocklist.match(email="x@spam.example", ips=["10.0.0.1"])
    assert hit == {"entry": "*@spam.example", "email": "x@spam.example"}


def test_an_empty_blocklist_matches_nothing():
    assert Blocklist().match(email="x@spam.example", ips=["10.0.0.1"]) is None
    assert Blocklist.parse([]).match(email="x@spam.example", ips=["10.0.0.1"]) is None


def test_thousands_of_entries_still_find_the_right_one():
    # given a blocklist of many entries of every kind
    entries = (
        [f"user{i}@mail{i}.example" for i in range(2000)]
        + [f"*@spam{i}.example" for i in range(2000)]
        + [f"bad{i}*@x{i}.example" for i in range(2000)]
        + [f"10.{i // 256}.{i % 256}.1" for i in range(2000)]
        + [f"172.{i % 256}.{i // 256}.0/24" for i in range(2000)]
    )
    blocklist = Blocklist.parse(entries)

    # when members and near misses are checked, then each finds its own entry or none
    assert blocklist.match(email="x@spam1234.example", ips=[]) == {
        "entry": "*@spam1234.example",
        "email": "x@spam1234.example",
    }
    assert blocklist.match(email="bad1999zz@x1999.example", ips=[])["entry"] == (
        "bad1999*@x1999.example"
    )
    assert blocklist.match(email="bad1999zz@x1998.example", ips=[]) is None
    assert blocklist.match(email=None, ips=["172.7.3.99"])["entry"] == "172.7.3.0/24"
    assert blocklist.match(email=None, ips=["10.7.207.1"])["entry"] == "10.7.207.1"
    assert blocklist.match(email=None, ips=["10.7.208.1", "10.7.207.2", "172.7.8.1"]) is None


# Small alphabets so that random patterns and emails often meet.
_PATTERN_PART = st.text(alphabet="ab.*", max_size=4)
_EMAIL_PART = st.text(alphabet="ab.", max_size=5)


def _reference(pattern: str, email: str) -> bool:
    """What `*` means, said the slow way."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, email, re.DOTALL) is not None


@for_all(
    st.lists(st.tuples(_PATTERN_PART, _PATTERN_PART), min_size=1, max_size=6),
    _EMAIL_PART,
    _EMAIL_PART,
)
def test_the_index_finds_exactly_what_a_scan_of_the_patterns_finds(parts, local, domain):
    entries = []
    for pattern_local, pattern_domain in parts:
        try:
            entries.append(validate_entry(f"{pattern_local or 'a'}@{pattern_domain or 'b'}"))
        except ValueError:
            continue  # `*@*` and friends
    email = f"{local}@{domain}"

    hit = Blocklist.parse(entries).match(email=email, ips=[])

    matching = {entry for entry in entries if _reference(entry, email)}
    if matching:
        assert hit is not None and hit["entry"] in matching
    else:
        assert hit is None
