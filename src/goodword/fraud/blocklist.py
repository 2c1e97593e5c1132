"""A site's blocklist, compiled once for matching: email patterns with `*` wildcards, single
IPv4/IPv6 addresses and CIDR ranges.

Matching runs for every referral against blocklists of thousands of entries, so it never
scans the entries: exact emails and single IPs are set look-ups; a wildcard pattern is filed
under its literal start or end (`*@spam.example` under `@spam.example`) so an address only tries
the few patterns filed under its own ends; a network is found by masking the IP with each
prefix length in use.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_WILDCARDS = re.compile(r"\*+")
_SPACE = re.compile(r"\s")


def _invalid(value: str) -> ValueError:
    return ValueError(f"{value!r} is not an email pattern, IP address or CIDR range")


def validate_entry(value: str) -> str:
    """The entry in its one normalised spelling, or ValueError naming it."""
    entry = value.strip()
    if not entry:
        raise _invalid(value)
    if "@" in entry:
        return _validate_email_pattern(value, entry)
    if "/" not in entry:
        try:
            ip = ipaddress.ip_address(entry)
        except ValueError:
            raise _invalid(value) from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)  # what a dual-stack socket reports for an IPv4 client
        return str(ip)
    try:
        # `10.0.0.7/24` means the network it lies in; the stored spelling shows it.
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise _invalid(value) from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} would block every IP address")
    return str(network)


def _validate_email_pattern(value: str, entry: str) -> str:
    pattern = _WILDCARDS.sub("*", entry.casefold())
    if pattern.startswith("@"):
        pattern = "*" + pattern  # `@spam.example` is how people write "the whole domain"
    local, _, domain = pattern.partition("@")
    if not local or not domain or "@" in domain or _SPACE.search(pattern):
        raise _invalid(value)
    if local == "*" and domain.strip("*.") == "":
        raise ValueError(f"{value!r} would block every email address")
    return pattern


@dataclass(frozen=True)
class _Patterns:
    """Wildcard patterns that share an anchor, as one expression: `lastindex` names the entry."""

    regex: re.Pattern[str]
    entries: tuple[str, ...]

    @classmethod
    def compile(cls, entries: list[str]) -> _Patterns:
        alternatives = "|".join(f"({_to_regex(entry)})" for entry in entries)
        return cls(re.compile(alternatives, re.DOTALL), tuple(entries))

    def match(self, address: str) -> str | None:
        hit = self.regex.fullmatch(address)
        if hit is None or hit.lastindex is None:
            return None
        return self.entries[hit.lastindex - 1]


def _netmask(version: int, prefixlen: int) -> int:
    bits = 32 if version == 4 else 128
    return ((1 << prefixlen) - 1) << (bits - prefixlen)


def _longest(item: tuple[tuple[int, int], object]) -> int:
    return -item[0][1]


def _to_regex(pattern: str) -> str:
    return ".*".join(re.escape(part) for part in pattern.split("*"))


@dataclass(frozen=True)
class _AnchorIndex:
    """Patterns keyed by their literal prefix (or suffix): an address looks up only its own
    prefixes of the lengths in use, so a miss costs a few dictionary look-ups, not a scan."""

    by_anchor: dict[str, _Patterns]
    lengths: tuple[int, ...]
    suffix: bool

    @classmethod
    def build(cls, grouped: dict[str, list[str]], *, suffix: bool) -> _AnchorIndex:
        by_anchor = {anchor: _Patterns.compile(entries) for anchor, entries in grouped.items()}
        return cls(by_anchor, tuple(sorted({len(a) for a in by_anchor}, reverse=True)), suffix)

    def match(self, address: str) -> str | None:
        for length in self.lengths:
            if length > len(address):
                continue
            anchor = address[len(address) - length :] if self.suffix else address[:length]
            patterns = self.by_anchor.get(anchor)
            if patterns is not None:
                entry = patterns.match(address)
                if entry is not None:
                    return entry
        return None


_EMPTY_INDEX = _AnchorIndex({}, (), suffix=False)


@dataclass(frozen=True)
class Blocklist:
    """Build with `Blocklist.parse`; equal when the normalised entries are equal."""

    entries: tuple[str, ...] = ()
    _emails: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    _by_prefix: _AnchorIndex = field(default=_EMPTY_INDEX, compare=False, repr=False)
    _by_suffix: _AnchorIndex = field(default=_EMPTY_INDEX, compare=False, repr=False)
    _ips: dict[IPAddress, str] = field(default_factory=dict, compare=False, repr=False)
    # (IP version, netmask as an int) → network address as an int → entry, longest prefix first.
    _networks: dict[tuple[int, int], dict[int, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Blocklist:
        normalised = list(dict.fromkeys(validate_entry(entry) for entry in entries))
        emails: set[str] = set()
        by_prefix: dict[str, list[str]] = {}
        by_suffix: dict[str, list[str]] = {}
        ips: dict[IPAddress, str] = {}
        by_prefixlen: dict[tuple[int, int], dict[int, str]] = {}
        for entry in normalised:
            if "@" not in entry:
                if "/" in entry:
                    network = ipaddress.ip_network(entry)
                    key = (network.version, network.prefixlen)
                    by_prefixlen.setdefault(key, {})[int(network.network_address)] = entry
                else:
                    ips[ipaddress.ip_address(entry)] = entry
            elif "*" not in entry:
                emails.add(entry)
            else:
                # Anchor on the longer literal end: `*@spam.example` on its domain,
                # `spammer*@*` on `spammer`. Every pattern has one (`*@*` is rejected).
                head, tail = entry[: entry.index("*")], entry[entry.rindex("*") + 1 :]
                if len(tail) >= len(head):
                    by_suffix.setdefault(tail, []).append(entry)
                else:
                    by_prefix.setdefault(head, []).append(entry)
        return cls(
            entries=tuple(normalised),
            _emails=frozenset(emails),
            _by_prefix=_AnchorIndex.build(by_prefix, suffix=False),
            _by_suffix=_AnchorIndex.build(by_suffix, suffix=True),
            _ips=ips,
            _networks={
                (version, _netmask(version, prefixlen)): networks
                for (version, prefixlen), networks in sorted(by_prefixlen.items(), key=_longest)
            },
        )

    def match(self, *, email: str | None, ips: Iterable[str]) -> dict[str, str] | None:
        """Evidence `{"entry": ..., "email": ...}` or `{"entry": ..., "ip": ...}` for the first
        hit (the email before the IPs, in the order given), or None."""
        if email:
            entry = self._match_email(email)
            if entry is not None:
                return {"entry": entry, "email": email}
        for ip in ips:
            entry = self._match_ip(ip)
            if entry is not None:
                return {"entry": entry, "ip": ip}
        return None

    def _match_email(self, email: str) -> str | None:
        address = email.strip().casefold()
        if address in self._emails:
            return address
        return self._by_suffix.match(address) or self._by_prefix.match(address)

    def _match_ip(self, value: str) -> str | None:
        if not self._ips and not self._networks:
            return None  # nothing to match: no need to parse the address (the worker's hot path)
        try:
            ip = ipaddress.ip_address(value.strip())
        except ValueError:
            return None
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)  # `::ffff:1.2.3.4` is 1.2.3.4 behind a v6 socket
        for candidate in candidates:
            entry = self._ips.get(candidate)
            if entry is not None:
                return entry
            address = int(candidate)
            for (version, netmask), networks in self._networks.items():
                if version == candidate.version:
                    entry = networks.get(address & netmask)
                    if entry is not None:
                        return entry
        return None
