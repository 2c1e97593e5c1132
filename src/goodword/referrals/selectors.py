"""Reads for attribution and screening, in as few round trips as the rules allow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from goodword.campaigns.models import Campaign, Coupon
from goodword.fraud.policies import Party, ReferralFacts
from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient
from goodword.origins.models import Origin
from goodword.referrals.attribution import IP_WINDOW, Candidate, OfferFacts
from goodword.referrals.models import Referral, ReferralStatus

_PER_METHOD = 20  # candidates per method; the most recent win anyway

_OFFER_COLS = "o.id, o.campaign_id, o.advocate_id, o.expires_at, c.status, c.starts_at, c.ends_at"


def _dt(value: Any) -> datetime | None:
    """Raw cursors hand SQLite datetimes back as text."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _part(method: str, source: str, where: str, seen: str, claim: str, matched: str) -> str:
    return (
        f"SELECT * FROM (SELECT '{method}' AS method, {_OFFER_COLS}, {claim} AS claim_id, "
        f"{seen} AS seen_at, {matched} AS matched FROM {source} "
        f"JOIN {Campaign._meta.db_table} c ON c.id = o.campaign_id "
        f"WHERE {where} ORDER BY seen_at DESC LIMIT {_PER_METHOD}) AS p_{method}"
    )


def attribution_candidates(*, site_id: int, origin: Origin) -> list[Candidate]:
    """Every offer the origin could belong to, by every tracking method, in one query."""
    o_t, cl_t = AdvocateOffer._meta.db_table, Claim._meta.db_table
    claims = f"{cl_t} cl JOIN {o_t} o ON o.id = cl.offer_id"
    parts: list[str] = []
    params: list[Any] = []
    ops = connection.ops

    codes = list(origin.coupon_codes or [])
    if codes:
        marks = ", ".join(["%s"] * len(codes))
        parts.append(
            _part(
                "coupon",
                f"{o_t} o",
                f"o.site_id = %s AND o.coupon_code IN ({marks})",
                "o.created_at",
                "CAST(NULL AS BIGINT)",
                "o.coupon_code",
            )
        )
        params += [site_id, *codes]
        # A friend coupon attributes only when it is a single-use pool code: a static code is
        # shared by everyone and says nothing about who referred the buyer.
        parts.append(
            _part(
                "coupon",
                claims,
                f"cl.site_id = %s AND cl.friend_coupon_code IN ({marks}) AND EXISTS (SELECT 1 "
                f"FROM {Coupon._meta.db_table} cp WHERE cp.site_id = cl.site_id "
                f"AND cp.code = cl.friend_coupon_code)",
                "cl.created_at",
                "cl.id",
                "cl.friend_coupon_code",
            )
        )
        params += [site_id, *codes]
    if origin.uuid is not None:
        parts.append(
            _part(
                "cookie",
                claims,
                "cl.site_id = %s AND cl.visitor_uuid = %s",
                "cl.created_at",
                "cl.id",
                "CAST(NULL AS TEXT)",
            )
        )
        uuid_field = Claim._meta.get_field("visitor_uuid")
        params += [site_id, uuid_field.get_db_prep_value(origin.uuid, connection)]
    parts.append(
        _part(
            "gated_email",
            claims,
            "cl.site_id = %s AND cl.gated_email = %s",
            "cl.created_at",
            "cl.id",
            "cl.gated_email",
        )
    )
    params += [site_id, origin.email]
    phone = origin.person.phone_number if origin.person_id else None
    if phone:
        parts.append(
            _part(
                "phone_number",
                claims,
                "cl.site_id = %s AND cl.gated_phone = %s",
                "cl.created_at",
                "cl.id",
                "cl.gated_phone",
            )
        )
        params += [site_id, phone]
    s_t, r_t = Share._meta.db_table, ShareRecipient._meta.db_table
    parts.append(
        _part(
            "share_email",
            f"{r_t} r JOIN {s_t} s ON s.id = r.share_id JOIN {o_t} o ON o.id = s.offer_id",
            "r.site_id = %s AND r.email = %s",
            "s.created_at",
            "CAST(NULL AS BIGINT)",
            "r.email",
        )
    )
    params += [site_id, origin.email]
    if origin.ip_address:
        parts.append(
            _part(
                "ip_address",
                claims,
                "cl.site_id = %s AND cl.ip_address = %s AND cl.created_at >= %s "
                "AND cl.created_at <= %s",
                "cl.created_at",
                "cl.id",
                "CAST(NULL AS TEXT)",
            )
        )
        params += [
            site_id,
            origin.ip_address,
            ops.adapt_datetimefield_value(origin.occurred_at - IP_WINDOW),
            ops.adapt_datetimefield_value(origin.occurred_at),
        ]
    ref_t = Referral._meta.db_table
    parts.append(
        _part(
            "event_chain",
            f"{ref_t} r JOIN {o_t} o ON o.id = r.offer_id",
            "r.site_id = %s AND r.friend_id = %s AND r.origin_id <> %s AND r.status <> %s",
            "r.created_at",
            "CAST(NULL AS BIGINT)",
            "''",
        )
    )
    params += [site_id, origin.person_id, origin.pk, ReferralStatus.BLOCKED]

    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    candidates: list[Candidate] = []
    for method, oid, cid, aid, exp, status, starts, ends, claim_id, seen, matched in rows:
        facts = OfferFacts(
            offer_id=oid,
            campaign_id=cid,
            advocate_id=aid,
            expires_at=_dt(exp),
            campaign_status=status,
            campaign_starts_at=_dt(starts),
            campaign_ends_at=_dt(ends),
        )
        candidates.append(
            Candidate(
                method=method,
                offer=facts,
                claim_id=claim_id,
                seen_at=_dt(seen),
                matched=str(matched or _FILLED.get(method, lambda o: "")(origin)),
            )
        )
        if method == "event_chain":
            # The same earlier referral is what a sticky advocate follows (when the site
            # turns that on, attribution tries it first).
            candidates.append(
                Candidate(method="sticky_advocate", offer=facts, seen_at=_dt(seen), matched="")
            )
    return candidates


# Typed columns (uuid, inet) do not mix in a UNION; what they matched is the origin's own value.
_FILLED = {
    "cookie": lambda o: str(o.uuid),
    "ip_address": lambda o: str(o.ip_address),
}


def _s(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def fraud_facts(*, origin: Origin, offer_id: int, claim_id: int | None) -> ReferralFacts:
    offer = AdvocateOffer.objects.select_related("advocate").get(pk=offer_id)
    advocate = offer.advocate
    adv_cookies: set[str] = set()
    adv_ips: set[str] = set()
    adv_pairs: set[tuple[str, str]] = set()
    adv_ship: set[tuple[str | None, str | None]] = set()
    if offer.advocate_visitor_uuid:
        adv_cookies.add(str(offer.advocate_visitor_uuid))
    if offer.advocate_ip:
        adv_ips.add(offer.advocate_ip)
        if offer.advocate_user_agent:
            adv_pairs.add((offer.advocate_ip, offer.advocate_user_agent))
    for ip, uuid, address, zip_code in (
        Origin.objects.filter(site_id=origin.site_id, person_id=advocate.pk)
        .exclude(pk=origin.pk)
        .order_by("-id")
        .values_list("ip_address", "uuid", "shipping_address", "shipping_zip")[:50]
    ):
        if ip:
            adv_ips.add(ip)
        if uuid:
            adv_cookies.add(str(uuid))
        if address or zip_code:
            adv_ship.add((_s(address), _s(zip_code)))

    friend_cookies: set[str] = {str(origin.uuid)} if origin.uuid else set()
    friend_ips: set[str] = {origin.ip_address} if origin.ip_address else set()
    friend_pairs: set[tuple[str, str]] = set()
    if claim_id is not None:
        claim = Claim.objects.filter(pk=claim_id).values_list(
            "visitor_uuid", "ip_address", "user_agent"
        )
        for uuid, ip, agent in claim:
            friend_cookies.add(str(uuid))
            if ip:
                friend_ips.add(ip)
                if agent:
                    friend_pairs.add((ip, agent))
    friend_ship = (
        {(_s(origin.shipping_address), _s(origin.shipping_zip))}
        if origin.shipping_address or origin.shipping_zip
        else set()
    )
    crossed = Referral.objects.filter(
        site_id=origin.site_id, advocate_id=origin.person_id, friend_id=advocate.pk
    ).exists()
    return ReferralFacts(
        advocate=Party(
            email=advocate.email,
            cookies=frozenset(adv_cookies),
            ips=frozenset(adv_ips),
            ip_user_agents=frozenset(adv_pairs),
            shipping_addresses=frozenset(adv_ship),
        ),
        friend=Party(
            email=origin.email,
            cookies=frozenset(friend_cookies),
            ips=frozenset(friend_ips),
            ip_user_agents=frozenset(friend_pairs),
            shipping_addresses=frozenset(friend_ship),
        ),
        advocate_referred_by_friend=crossed,
    )
