"""Reads for attribution and screening, in as few round trips as the rules allow."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q
from django.utils.dateparse import parse_datetime

from goodword.campaigns.models import Campaign
from goodword.core.db import cast, fetch, fetch_many, is_postgres
from goodword.coupons.models import Coupon
from goodword.fraud.policies import Party, ReferralFacts
from goodword.offers.models import NOT_MAILED, AdvocateOffer, Claim, Share, ShareRecipient
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.referrals.attribution import IP_WINDOW, Candidate, OfferFacts
from goodword.referrals.models import Referral, ReferralStatus

_NOT_MAILED = ", ".join(f"'{status}'" for status in NOT_MAILED)
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


def attribution_candidates(*, site_id: int, origin: Origin, phone: str | None) -> list[Candidate]:
    """Every offer the origin could belong to, by every tracking method, in one query."""
    sql, params = _candidates_query(site_id=site_id, origin=origin, phone=phone)
    return _candidates(fetch(sql, params), origin)


def attribution_candidates_many(
    *, site_id: int, origins: list[tuple[Origin, str | None]]
) -> list[list[Candidate]]:
    """`attribution_candidates` for many origins (each with its phone), in one round trip."""
    statements = [
        _candidates_query(site_id=site_id, origin=origin, phone=phone) for origin, phone in origins
    ]
    # Not prepared: these read the referral table, which grows with every batch (see fetch_many).
    return [
        _candidates(rows, origin)
        for rows, (origin, _) in zip(fetch_many(statements, prepare=False), origins, strict=True)
    ]


def _candidates_query(*, site_id: int, origin: Origin, phone: str | None) -> tuple[str, list[Any]]:
    o_t, cl_t = AdvocateOffer._meta.db_table, Claim._meta.db_table
    claims = f"{cl_t} cl JOIN {o_t} o ON o.id = cl.offer_id"
    parts: list[str] = []
    params: list[Any] = []

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
        params += [site_id, origin.uuid]
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
            # A recipient whose mail was skipped or refused never got the offer.
            f"r.site_id = %s AND r.email = %s AND r.status NOT IN ({_NOT_MAILED})",
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
                f"cl.site_id = %s AND cl.ip_address = {cast('%s', 'inet')} "
                "AND cl.clicked_at >= %s AND cl.clicked_at <= %s",
                "cl.clicked_at",
                "cl.id",
                "CAST(NULL AS TEXT)",
            )
        )
        params += [
            site_id,
            origin.ip_address,
            origin.occurred_at - IP_WINDOW,
            origin.occurred_at,
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
    params += [site_id, origin.person_id, origin.pk, ReferralStatus.BLOCKED.value]

    return " UNION ALL ".join(parts), params


def _candidates(rows: list[tuple[Any, ...]], origin: Origin) -> list[Candidate]:
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


def _uuid_text(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        return None


def _seen(
    cookies: set[str],
    ips: set[str],
    pairs: set[tuple[str, str]],
    cookie: str | None,
    ip: str | None,
    agent: str | None,
) -> None:
    """Note where a party was seen: its browser's cookie, its IP, and the IP with the browser's
    user agent."""
    if cookie:
        cookies.add(cookie)
    if ip:
        ips.add(ip)
        if agent:
            pairs.add((ip, agent))


def fraud_facts(
    *, origin: Origin, offer_id: int, claim_id: int | None, phone: str | None = None
) -> ReferralFacts:
    """What the policies compare, for the advocate of `offer_id` and this friend origin: one
    query (the offer and advocate, the advocate's recent origins, the friend's claim and stored
    phone number, and whether the advocate was once referred by this friend). `phone` is the
    friend's phone number as sent with the origin, when known."""
    sql, params = _fraud_facts_query(origin=origin, offer_id=offer_id, claim_id=claim_id)
    return _fraud_facts(fetch(sql, params), origin, phone)


def fraud_facts_many(
    *, matches: list[tuple[Origin, int, int | None, str | None]]
) -> list[ReferralFacts]:
    """`fraud_facts` for many (origin, offer id, claim id, phone as sent), in one round trip."""
    statements = [
        _fraud_facts_query(origin=origin, offer_id=offer_id, claim_id=claim_id)
        for origin, offer_id, claim_id, _ in matches
    ]
    return [
        _fraud_facts(rows, match[0], match[3])
        for rows, match in zip(fetch_many(statements, prepare=False), matches, strict=True)
    ]


def _fraud_facts_query(
    *, origin: Origin, offer_id: int, claim_id: int | None
) -> tuple[str, list[Any]]:
    ip = "host({})" if is_postgres() else "{}"
    text = "CAST({} AS TEXT)"
    o_t, p_t = AdvocateOffer._meta.db_table, Person._meta.db_table
    or_t, cl_t, r_t = Origin._meta.db_table, Claim._meta.db_table, Referral._meta.db_table
    # Columns: kind, email, ip, user agent, visitor uuid, extra, phone number.
    sql = (
        f"SELECT 'offer', p.email, {ip.format('f.advocate_ip')}, f.advocate_user_agent, "
        f"{text.format('f.advocate_visitor_uuid')}, {text.format('f.advocate_id')}, "
        f"p.phone_number "
        f"FROM {o_t} f JOIN {p_t} p ON p.id = f.advocate_id WHERE f.id = %s "
        f"UNION ALL SELECT * FROM (SELECT 'origin', NULL, {ip.format('x.ip_address')}, NULL, "
        f"{text.format('x.uuid')}, COALESCE(x.shipping_address, '') || '|' || "
        f"COALESCE(x.shipping_zip, ''), NULL "
        f"FROM {or_t} x WHERE x.site_id = %s AND x.person_id = (SELECT advocate_id FROM {o_t} "
        f"WHERE id = %s) AND x.id <> %s ORDER BY x.id DESC LIMIT 50) AS adv "
        f"UNION ALL SELECT 'claim', NULL, {ip.format('c.ip_address')}, c.user_agent, "
        f"{text.format('c.visitor_uuid')}, NULL, c.gated_phone FROM {cl_t} c WHERE c.id = %s "
        f"UNION ALL SELECT 'friend', NULL, NULL, NULL, NULL, NULL, q.phone_number "
        f"FROM {p_t} q WHERE q.id = %s AND q.phone_number IS NOT NULL "
        f"UNION ALL SELECT * FROM (SELECT 'cross', NULL, NULL, NULL, NULL, NULL, NULL "
        f"FROM {r_t} r "
        f"WHERE r.site_id = %s AND r.advocate_id = %s AND r.friend_id = (SELECT advocate_id "
        f"FROM {o_t} WHERE id = %s) LIMIT 1) AS crossed"
    )
    params = [
        offer_id,
        origin.site_id,
        offer_id,
        origin.pk,
        claim_id or 0,
        origin.person_id,
        origin.site_id,
        origin.person_id,
        offer_id,
    ]
    return sql, params


def _fraud_facts(
    rows: list[tuple[Any, ...]], origin: Origin, phone: str | None = None
) -> ReferralFacts:
    adv_email: str | None = None
    adv_phones: set[str] = set()
    # The friend's phone: as sent with this origin, as stored on the friend (the latest sent),
    # and as entered on the advocate's claim page.
    friend_phones: set[str] = {phone} if phone else set()
    adv_cookies: set[str] = set()
    adv_ips: set[str] = set()
    adv_pairs: set[tuple[str, str]] = set()
    adv_ship: set[tuple[str | None, str | None]] = set()
    friend_cookies: set[str] = {str(origin.uuid)} if origin.uuid else set()
    friend_ips: set[str] = {origin.ip_address} if origin.ip_address else set()
    friend_pairs: set[tuple[str, str]] = set()
    crossed = False
    for kind, email, row_ip, agent, row_uuid, extra, row_phone in rows:
        cookie = _uuid_text(row_uuid)
        if kind == "offer":
            adv_email = email
            if row_phone:
                adv_phones.add(row_phone)
            _seen(adv_cookies, adv_ips, adv_pairs, cookie, row_ip, agent)
        elif kind == "origin":  # an origin row has no user agent
            _seen(adv_cookies, adv_ips, adv_pairs, cookie, row_ip, None)
            address, _, zip_code = str(extra or "").rpartition("|")
            if address or zip_code:
                adv_ship.add((_s(address), _s(zip_code)))
        elif kind == "claim":
            _seen(friend_cookies, friend_ips, friend_pairs, cookie, row_ip, agent)
            if row_phone:
                friend_phones.add(row_phone)
        elif kind == "friend":
            friend_phones.add(row_phone)
        elif kind == "cross":
            crossed = True
    friend_ship = (
        {(_s(origin.shipping_address), _s(origin.shipping_zip))}
        if origin.shipping_address or origin.shipping_zip
        else set()
    )
    return ReferralFacts(
        advocate=Party(
            email=adv_email,
            cookies=frozenset(adv_cookies),
            ips=frozenset(adv_ips),
            ip_user_agents=frozenset(adv_pairs),
            shipping_addresses=frozenset(adv_ship),
            phones=frozenset(adv_phones),
        ),
        friend=Party(
            email=origin.email,
            cookies=frozenset(friend_cookies),
            ips=frozenset(friend_ips),
            ip_user_agents=frozenset(friend_pairs),
            shipping_addresses=frozenset(friend_ship),
            phones=frozenset(friend_phones),
        ),
        advocate_referred_by_friend=crossed,
    )


# ---- reads for the People and Referrals APIs ------------------------------------------------


def referral_counts_for_advocate(*, site_id: int, advocate_id: int) -> dict[str, int]:
    return Referral.objects.filter(site_id=site_id, advocate_id=advocate_id).aggregate(
        total=Count("id"),
        approved=Count("id", filter=Q(status=ReferralStatus.APPROVED)),
        pending=Count("id", filter=Q(status=ReferralStatus.PENDING)),
    )


def referral_inviter(*, site_id: int, friend_id: int) -> Person | None:
    """The advocate of the friend's latest referral."""
    last = (
        Referral.objects.filter(site_id=site_id, friend_id=friend_id)
        .select_related("advocate")
        .order_by("-created_at", "-id")
        .first()
    )
    return last.advocate if last is not None else None


def referrals_for_person(*, site_id: int, person_id: int, role: str, limit: int) -> list[Referral]:
    """The person's latest referrals as `advocate` or as `friend` (`role`), newest first, with
    their people and rewards as `referral_json` reads them."""
    return list(
        Referral.objects.filter(site_id=site_id, **{f"{role}_id": person_id})
        .select_related("advocate", "friend")
        .prefetch_related("rewards__coupon")
        .order_by("-created_at", "-id")[:limit]
    )


def referral_get(*, site_id: int, referral_id: int) -> Referral:
    """The referral with its people and rewards, as `referral_json` reads them."""
    return (
        Referral.objects.select_related("advocate", "friend")
        .prefetch_related("rewards__coupon")
        .get(site_id=site_id, pk=referral_id)
    )


def referral_count_for_offer(*, site_id: int, offer_id: int) -> int:
    return Referral.objects.filter(site_id=site_id, offer_id=offer_id).count()
