"""The fraud policies: pure functions from what is known about an advocate and a friend to a
result with evidence. No database here; `fraud.services` gathers the facts.

Every policy answers one of three ways: `matched` (with evidence saying what matched what),
`passed`, or `skipped` when either side lacks the data the policy needs, so that "we could not
tell" is never reported as "clean".
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

SELF_REFERRAL = "Matching Email or Cookie on Friend Purchase"
SIMILAR_EMAIL = "Similar Email Match"
SHIPPING_ADDRESS = "Matching Shipping Address"
IP_AND_USER_AGENT = "Matching by Combination of IP Address & User Agent"
IP_ONLY = "Matching by IP Address only"
PHONE_NUMBER = "Matching Phone Number on Friend Purchase"
CROSS_REFERRAL = "Friend and Advocate Refer Each Other"

# The order of the wire lists in `fraud_policies_status`.
ALL_POLICIES: tuple[str, ...] = (
    SELF_REFERRAL,
    SIMILAR_EMAIL,
    SHIPPING_ADDRESS,
    IP_AND_USER_AGENT,
    IP_ONLY,
    PHONE_NUMBER,
    CROSS_REFERRAL,
)

Outcome = Literal["matched", "passed", "skipped"]


@dataclass(frozen=True)
class Party:
    """What is known about the advocate or the friend."""

    email: str | None = None
    cookies: frozenset[str] = frozenset()  # visitor uuids
    ips: frozenset[str] = frozenset()  # origin and claim-click IPs
    ip_user_agents: frozenset[tuple[str, str]] = frozenset()  # (ip, user agent)
    shipping_addresses: frozenset[tuple[str | None, str | None]] = frozenset()  # (address, zip)
    phones: frozenset[str] = frozenset()  # phone numbers as sent or entered


@dataclass(frozen=True)
class ReferralFacts:
    advocate: Party
    friend: Party
    advocate_referred_by_friend: bool | None  # None: unknown, the policy is skipped


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    outcome: Outcome
    evidence: dict[str, str] = field(default_factory=dict)  # empty unless matched


def _passed(policy: str) -> PolicyResult:
    return PolicyResult(policy, "passed")


def _skipped(policy: str) -> PolicyResult:
    return PolicyResult(policy, "skipped")


def _matched(policy: str, evidence: dict[str, str]) -> PolicyResult:
    return PolicyResult(policy, "matched", evidence)


# ---------------------------------------------------------------- emails


def _clean(email: str | None) -> str | None:
    """The email stripped and case-folded, or None when there is none."""
    if email is None:
        return None
    email = email.strip().casefold()
    return email or None


# Providers that deliver `j.o.hn@` to `john@`; every provider we know of honours `+tags`, and the
# rare one that does not only makes a false positive a human reviews (the default is flag).
_DOTLESS_DOMAINS = frozenset({"gmail.com"})
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


def normalise_email(email: str) -> str | None:
    """The mailbox an address delivers to, as `local@domain`; None when it has no usable local
    part or domain."""
    cleaned = _clean(email)
    if cleaned is None:
        return None
    local, at, domain = cleaned.rpartition("@")
    if not at or not local or not domain:
        return None
    domain = _DOMAIN_ALIASES.get(domain, domain)
    untagged = local.split("+", 1)[0]
    # `+tag@x.com` has no mailbox before the tag; keep it whole rather than collapse it to `@`.
    local = untagged or local
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
    if not local:
        return None
    return f"{local}@{domain}"


def within_one_edit(a: str, b: str) -> bool:
    """The two strings are at most one insertion, deletion, substitution or swap of two
    adjacent characters apart, decided in linear time: screening runs for every referral and
    emails come from the merchant unchecked for length."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if i == len(a):
        return True  # equal, or one character appended
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]  # one character inserted
    if a[i + 1 :] == b[i + 1 :]:
        return True  # one character substituted
    return a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]  # adjacent swap


# Below this many characters, one edit turns a name into someone else's (`ann` / `anna`).
NEAR_IDENTICAL_MIN_LOCAL = 5


def self_referral(facts: ReferralFacts) -> PolicyResult:
    """The friend's email is the advocate's, or they share a visitor cookie."""
    friend, advocate = facts.friend, facts.advocate
    friend_email, advocate_email = _clean(friend.email), _clean(advocate.email)
    friend_cookies, advocate_cookies = _index_cookies(friend), _index_cookies(advocate)
    can_compare_emails = friend_email is not None and advocate_email is not None
    can_compare_cookies = bool(friend_cookies) and bool(advocate_cookies)
    if not can_compare_emails and not can_compare_cookies:
        return _skipped(SELF_REFERRAL)

    evidence: dict[str, str] = {}
    if friend.email and advocate.email and friend_email == advocate_email:
        evidence["friend_email"] = friend.email
        evidence["advocate_email"] = advocate.email
    shared = sorted(friend_cookies.keys() & advocate_cookies.keys())
    if shared:
        evidence["friend_cookie"] = friend_cookies[shared[0]]
        evidence["advocate_cookie"] = advocate_cookies[shared[0]]
    return _matched(SELF_REFERRAL, evidence) if evidence else _passed(SELF_REFERRAL)


def _index_cookies(party: Party) -> dict[str, str]:
    """Normalised visitor uuid → its first raw spelling. Uuids arrive upper- or lower-case
    depending on the merchant's JavaScript."""
    index: dict[str, str] = {}
    for value in sorted(party.cookies):
        key = value.strip().lower()
        if key:
            index.setdefault(key, value)
    return index


def similar_email(facts: ReferralFacts) -> PolicyResult:
    """Both emails deliver to the same mailbox, or are one typo apart at the same domain.
    An identical email is the self-referral policy's finding, not this one's."""
    friend_raw, advocate_raw = facts.friend.email or "", facts.advocate.email or ""
    friend_mailbox, advocate_mailbox = normalise_email(friend_raw), normalise_email(advocate_raw)
    if friend_mailbox is None or advocate_mailbox is None:
        return _skipped(SIMILAR_EMAIL)
    if _clean(friend_raw) == _clean(advocate_raw):
        return _passed(SIMILAR_EMAIL)

    emails = {"friend_email": friend_raw, "advocate_email": advocate_raw}
    if friend_mailbox == advocate_mailbox:
        return _matched(SIMILAR_EMAIL, {**emails, "mailbox": friend_mailbox})
    friend_local, _, friend_domain = friend_mailbox.rpartition("@")
    advocate_local, _, advocate_domain = advocate_mailbox.rpartition("@")
    if (
        friend_domain == advocate_domain
        and min(len(friend_local), len(advocate_local)) >= NEAR_IDENTICAL_MIN_LOCAL
        and within_one_edit(friend_local, advocate_local)
    ):
        return _matched(
            SIMILAR_EMAIL,
            {
                **emails,
                "friend_mailbox": friend_mailbox,
                "advocate_mailbox": advocate_mailbox,
                "edit_distance": "1",
            },
        )
    return _passed(SIMILAR_EMAIL)


# ---------------------------------------------------------------- shipping addresses

_ABBREVIATIONS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "apartment": "apt",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
_APOSTROPHES = re.compile(r"['\u2019]")
_SEPARATORS = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    # Full-width digits and ligatures as their plain forms; casefolding can undo NFKC, so twice.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def normalise_address(text: str) -> str:
    """Case, punctuation, spacing and the common street words written one way, so that
    `12 North Main Street, Apt. 4` equals `12 n main st apt 4`."""
    text = _fold(text)
    # `O'Brien` and `OBrien` are one street; other punctuation separates words (`St.,Apt 4`).
    text = _APOSTROPHES.sub("", text)
    words = _SEPARATORS.sub(" ", text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _normalise_zip(text: str) -> str:
    return _SEPARATORS.sub("", _fold(text))


@dataclass(frozen=True)
class _Address:
    raw: tuple[str | None, str | None]
    full: str
    first_line: str
    zip: str


def _addresses(party: Party) -> list[_Address]:
    """The party's addresses that have a street to compare, in a stable order."""
    out = []
    for raw in sorted(party.shipping_addresses, key=lambda a: (a[0] or "", a[1] or "")):
        address, zip_code = raw
        full = normalise_address(address or "")
        if full:
            first_line = normalise_address((address or "").split(",", 1)[0])
            out.append(_Address(raw, full, first_line, _normalise_zip(zip_code or "")))
    return out


def shipping_address(facts: ReferralFacts) -> PolicyResult:
    """The friend ships to an address the advocate used: the whole normalised address, or the
    same zip and the same first line (flat numbers and city spellings vary after the comma)."""
    friend, advocate = _addresses(facts.friend), _addresses(facts.advocate)
    if not friend or not advocate:
        return _skipped(SHIPPING_ADDRESS)

    def raw(prefix: str, address: _Address) -> dict[str, str]:
        return {f"{prefix}_address": address.raw[0] or "", f"{prefix}_zip": address.raw[1] or ""}

    for f in friend:
        for a in advocate:
            if f.full == a.full:
                evidence = {**raw("friend", f), **raw("advocate", a), "normalised_address": f.full}
                return _matched(SHIPPING_ADDRESS, evidence)
    for f in friend:
        for a in advocate:
            if f.zip and f.zip == a.zip and f.first_line and f.first_line == a.first_line:
                evidence = {
                    **raw("friend", f),
                    **raw("advocate", a),
                    "normalised_street": a.first_line,
                }
                return _matched(SHIPPING_ADDRESS, evidence)
    return _passed(SHIPPING_ADDRESS)


# ---------------------------------------------------------------- IP addresses


def normalise_ip(value: str) -> str | None:
    """One spelling per address (`2001:DB8::1` is `2001:db8::1`, `::ffff:1.2.3.4` is
    `1.2.3.4`), or None for what is not an IP: two origins reported with `unknown` were not
    seen at the same place."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def party_ips(party: Party) -> frozenset[str]:
    """Every IP the party was seen at: its own list and the IPs of its (ip, user agent) pairs,
    so that a pair match is never reported as an IP that does not match."""
    return party.ips | {ip for ip, _ in party.ip_user_agents}


def _index(values: Iterable[str], normalise: Callable[[str], str | None]) -> dict[str, str]:
    """Normalised value → the first raw spelling of it (in sorted order, for stable evidence);
    values that do not normalise are left out."""
    index: dict[str, str] = {}
    for value in sorted(values):
        key = normalise(value)
        if key is not None:
            index.setdefault(key, value)
    return index


def _index_pairs(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    index: dict[tuple[str, str], tuple[str, str]] = {}
    for ip, user_agent in sorted(pairs):
        key_ip, key_ua = normalise_ip(ip), user_agent.strip()
        if key_ip is not None and key_ua:
            index.setdefault((key_ip, key_ua), (ip, user_agent))
    return index


def ip_and_user_agent(facts: ReferralFacts) -> PolicyResult:
    """The friend was seen at an IP with a user agent that the advocate was also seen with."""
    friend, advocate = (
        _index_pairs(facts.friend.ip_user_agents),
        _index_pairs(facts.advocate.ip_user_agents),
    )
    if not friend or not advocate:
        return _skipped(IP_AND_USER_AGENT)
    shared = sorted(friend.keys() & advocate.keys())
    if not shared:
        return _passed(IP_AND_USER_AGENT)
    (friend_ip, friend_ua), (advocate_ip, advocate_ua) = friend[shared[0]], advocate[shared[0]]
    return _matched(
        IP_AND_USER_AGENT,
        {
            "friend_ip": friend_ip,
            "advocate_ip": advocate_ip,
            "friend_user_agent": friend_ua,
            "advocate_user_agent": advocate_ua,
        },
    )


def ip_only(facts: ReferralFacts) -> PolicyResult:
    """The friend and the advocate were seen at the same IP."""
    friend = _index(party_ips(facts.friend), normalise_ip)
    advocate = _index(party_ips(facts.advocate), normalise_ip)
    if not friend or not advocate:
        return _skipped(IP_ONLY)
    shared = sorted(friend.keys() & advocate.keys())
    if not shared:
        return _passed(IP_ONLY)
    return _matched(IP_ONLY, {"friend_ip": friend[shared[0]], "advocate_ip": advocate[shared[0]]})


# ---------------------------------------------------------------- phone numbers

# A national significant number has at least this many digits in the countries we know of
# (France 9, most others 10); a shorter suffix would let a local number (`555 1111`) stand for
# any area's. Fewer digits than PHONE_MIN_DIGITS is no phone number at all (a short code, a
# typo), and more than E.164's 15 is not one either.
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
PHONE_MIN_SHARED_DIGITS = 9
COUNTRY_CODE_MAX_DIGITS = 3
# What starts an extension: `ext. 12`, `x12`, `#12`, `;ext=12` (RFC 3966).
_EXTENSION = re.compile(r"(?:;?ext=?|\bext\.?|\bx|#).*$")
_NON_DIGITS = re.compile(r"\D")


def normalise_phone(value: str) -> str | None:
    """The digits that identify a phone number, or None when it is not one.

    Punctuation, spaces, letters and an extension are dropped (full-width digits read as
    digits, `(0)` in an international number is skipped); an international prefix (`+` or
    `00`) is dropped and so is a national trunk `0`
    (`020 7946 0958` and `+44 20 7946 0958` become `2079460958` and `442079460958`). Whether two
    such numbers are one is `same_phone`'s question: with no country of the site to assume,
    the country code is matched loosely there, not guessed here."""
    text = _fold(value).strip()
    # `+44 (0)20 ...`: the trunk `0` written inside an international number is not dialled.
    text = _EXTENSION.sub("", text).replace("(0)", "")
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        return None
    return digits


def same_phone(a: str, b: str) -> bool:
    """Two normalised numbers are one phone: equal, or one is the other with a country code in
    front (1 to 3 more digits) and the shorter is long enough to be a whole national number."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return (
        len(short) >= PHONE_MIN_SHARED_DIGITS
        and 0 < len(long) - len(short) <= COUNTRY_CODE_MAX_DIGITS
        and long.endswith(short)
    )


def phone_number(facts: ReferralFacts) -> PolicyResult:
    """The friend's phone number (sent with the purchase, stored on the friend, or entered on
    the claim page) is the advocate's."""
    friend = _index(facts.friend.phones, normalise_phone)
    advocate = _index(facts.advocate.phones, normalise_phone)
    if not friend or not advocate:
        return _skipped(PHONE_NUMBER)
    for f in sorted(friend):
        for a in sorted(advocate):
            if same_phone(f, a):
                return _matched(
                    PHONE_NUMBER,
                    {
                        "friend_phone": friend[f],
                        "advocate_phone": advocate[a],
                        "normalised_phone": min(f, a, key=len),
                    },
                )
    return _passed(PHONE_NUMBER)


# ---------------------------------------------------------------- cross referral


def cross_referral(facts: ReferralFacts) -> PolicyResult:
    """The advocate was earlier referred by this friend."""
    if facts.advocate_referred_by_friend is None:
        return _skipped(CROSS_REFERRAL)
    if not facts.advocate_referred_by_friend:
        return _passed(CROSS_REFERRAL)
    evidence = {"advocate_referred_by_friend": "true"}
    if facts.friend.email:
        evidence["friend_email"] = facts.friend.email
    if facts.advocate.email:
        evidence["advocate_email"] = facts.advocate.email
    return _matched(CROSS_REFERRAL, evidence)


POLICIES: dict[str, Callable[[ReferralFacts], PolicyResult]] = {
    SELF_REFERRAL: self_referral,
    SIMILAR_EMAIL: similar_email,
    SHIPPING_ADDRESS: shipping_address,
    IP_AND_USER_AGENT: ip_and_user_agent,
    IP_ONLY: ip_only,
    PHONE_NUMBER: phone_number,
    CROSS_REFERRAL: cross_referral,
}
