"""Facts for the fraud tests, written the short way: sets and lists instead of frozensets."""

from __future__ import annotations

from collections.abc import Iterable

from goodword.fraud.policies import Party, ReferralFacts


def party(
    email: str | None = None,
    *,
    cookies: Iterable[str] = (),
    ips: Iterable[str] = (),
    ip_user_agents: Iterable[tuple[str, str]] = (),
    shipping_addresses: Iterable[tuple[str | None, str | None]] = (),
    phones: Iterable[str] = (),
) -> Party:
    return Party(
        email=email,
        cookies=frozenset(cookies),
        ips=frozenset(ips),
        ip_user_agents=frozenset(ip_user_agents),
        shipping_addresses=frozenset(shipping_addresses),
        phones=frozenset(phones),
    )


def facts(
    *,
    advocate: Party | None = None,
    friend: Party | None = None,
    advocate_referred_by_friend: bool | None = None,
) -> ReferralFacts:
    return ReferralFacts(
        advocate=advocate or Party(),
        friend=friend or Party(),
        advocate_referred_by_friend=advocate_referred_by_friend,
    )
