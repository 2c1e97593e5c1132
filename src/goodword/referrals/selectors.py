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


def _part(
    index: int,
    method: str,
    source: str,
    where: str,
    *,
    offer: str,
    seen: str,
    key: str,
    claim: str,
    matched: str,
) -> str:
    """One tracking method's candidates: the most recent first, ties by the newer row (`key`),
    so that the same rows come back in the same order whichever way the query is sent. The
    rows are picked and cut to the limit first, then joined to their offer and campaign (a
    row always has both): the join costs a key lookup per kept row, never a scan of offers."""
    return (
        f"SELECT {index} AS part, '{method}' AS method, {_OFFER_COLS}, d.claim_id, d.seen_at, "
        f"d.matched, d.k FROM (SELECT {offer} AS offer_id, {claim} AS claim_id, "
        f"{seen} AS seen_at, {matched} AS matched, {key} AS k FROM {source} WHERE {where} "
        f"ORDER BY seen_at DESC, k DESC LIMIT {_PER_METHOD}) AS d "
        f"JOIN {AdvocateOffer._meta.db_table} o ON o.id = d.offer_id "
        f"JOIN {Campaign._meta.db_table} c ON c.id = o.campaign_id"
    )


def attribution_candidates(*, site_id: int, origin: Origin, phone: str | None) -> list[Candidate]:
    """Every offer the origin could belong to, by every tracking method, in one query."""
    sql, params = _candidates_query(site_id=site_id, origin=origin, phone=phone)
    return _candidates(fetch(sql, params), origin)


def attribution_candidates_many(
    *, site_id: int, origins: list[tuple[Origin, str | None]]
) -> list[list[Candidate]]:
    """`attribution_candidates` for many origins (each with its phone). On PostgreSQL one
    statement for the lot, planned once for it (not per origin); elsewhere one per origin."""
    if not origins:
        return []
    if not is_postgres():
        return [
            attribution_candidates(site_id=site_id, origin=origin, phone=phone)
            for origin, phone in origins
        ]
    # Not prepared: it reads the referral table, which grows with every batch, and a generic
    # plan made while it was small would keep scanning it whole (see fetch_many).
    sql, params = _candidates_many_query(site_id=site_id, origins=origins)
    rows: list[list[tuple[Any, ...]]] = [[] for _ in origins]
    for row in fetch_many([(sql, params)], prepare=False)[0]:
        rows[row[0]].append(row[1:])
    return [_candidates(found, origin) for found, (origin, _) in zip(rows, origins, strict=True)]


class _OneOrigin:
    """The values of one origin as placeholders: the query for that origin alone. A method
    whose value the origin lacks is left out."""

    def __init__(self, *, site_id: int, origin: Origin, phone: str | None) -> None:
        self.params: list[Any] = []
        self.values: dict[str, Any] = {
            "site_id": site_id,
            "uuid": origin.uuid,
            "email": origin.email,
            "phone": phone or None,
            "ip": origin.ip_address or None,
            "ip_from": origin.occurred_at - IP_WINDOW,
            "occurred_at": origin.occurred_at,
            "person_id": origin.person_id,
            "origin_id": origin.pk,
        }
        self.codes = list(origin.coupon_codes or [])

    def has(self, name: str) -> bool:
        return bool(self.codes) if name == "codes" else self.values[name] is not None

    def ref(self, name: str) -> str:
        self.params.append(self.values[name])
        return cast("%s", "inet") if name == "ip" else "%s"

    def value(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def in_codes(self) -> str:
        self.params.extend(self.codes)
        return f"IN ({', '.join(['%s'] * len(self.codes))})"


class _ManyOrigins:
    """The values of many origins as columns of `x` (one row per origin, numbered `n`), their
    coupon codes as rows of `xc`: one statement and one plan for the whole list (PostgreSQL)."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def has(self, name: str) -> bool:
        return True  # a NULL value matches nothing

    def ref(self, name: str) -> str:
        return f"x.{name}"

    def value(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def in_codes(self) -> str:
        return "= ANY(ARRAY(SELECT xc.code FROM xc WHERE xc.n = x.n))"


def _candidate_parts(v: _OneOrigin | _ManyOrigins) -> str:
    """Every tracking method's query, for one origin or for many (`v` renders the origin's
    values): one text of the rules for both."""
    o_t, cl_t = AdvocateOffer._meta.db_table, Claim._meta.db_table
    s_t, r_t = Share._meta.db_table, ShareRecipient._meta.db_table
    ref_t = Referral._meta.db_table
    claims = {"offer": "cl.offer_id", "seen": "cl.created_at", "key": "cl.id", "claim": "cl.id"}
    parts: list[str] = []

    def add(method: str, source: str, where: str, **columns: str) -> None:
        parts.append(_part(len(parts), method, source, where, **columns))

    if v.has("codes"):
        add(
            "coupon",
            f"{o_t} oc",
            f"oc.site_id = {v.ref('site_id')} AND oc.coupon_code {v.in_codes()}",
            offer="oc.id",
            seen="oc.created_at",
            key="oc.id",
            claim="CAST(NULL AS BIGINT)",
            matched="oc.coupon_code",
        )
        # A friend coupon attributes only when it is a single-use pool code: a static code is
        # shared by everyone and says nothing about who referred the buyer.
        add(
            "coupon",
            f"{cl_t} cl",
            f"cl.site_id = {v.ref('site_id')} AND cl.friend_coupon_code {v.in_codes()} "
            f"AND EXISTS (SELECT 1 FROM {Coupon._meta.db_table} cp WHERE cp.site_id = cl.site_id "
            f"AND cp.code = cl.friend_coupon_code)",
            **claims,
            matched="cl.friend_coupon_code",
        )
    if v.has("uuid"):
        add(
            "cookie",
            f"{cl_t} cl",
            f"cl.site_id = {v.ref('site_id')} AND cl.visitor_uuid = {v.ref('uuid')}",
            **claims,
            matched="CAST(NULL AS TEXT)",
        )
    add(
        "gated_email",
        f"{cl_t} cl",
        f"cl.site_id = {v.ref('site_id')} AND cl.gated_email = {v.ref('email')}",
        **claims,
        matched="cl.gated_email",
    )
    if v.has("phone"):
        add(
            "phone_number",
            f"{cl_t} cl",
            f"cl.site_id = {v.ref('site_id')} AND cl.gated_phone = {v.ref('phone')}",
            **claims,
            matched="cl.gated_phone",
        )
    add(
        "share_email",
        f"{r_t} r JOIN {s_t} s ON s.id = r.share_id",
        # A recipient whose mail was skipped or refused never got the offer.
        f"r.site_id = {v.ref('site_id')} AND r.email = {v.ref('email')} "
        f"AND r.status NOT IN ({_NOT_MAILED})",
        offer="s.offer_id",
        seen="s.created_at",
        key="r.id",
        claim="CAST(NULL AS BIGINT)",
        matched="r.email",
    )
    if v.has("ip"):
        add(
            "ip_address",
            f"{cl_t} cl",
            f"cl.site_id = {v.ref('site_id')} AND cl.ip_address = {v.ref('ip')} "
            f"AND cl.clicked_at >= {v.ref('ip_from')} AND cl.clicked_at <= {v.ref('occurred_at')}",
            **{**claims, "seen": "cl.clicked_at"},
            matched="CAST(NULL AS TEXT)",
        )
    add(
        "event_chain",
        f"{ref_t} r",
        f"r.site_id = {v.ref('site_id')} AND r.friend_id = {v.ref('person_id')} "
        f"AND r.origin_id <> {v.ref('origin_id')} "
        f"AND r.status <> {v.value(ReferralStatus.BLOCKED.value)}",
        offer="r.offer_id",
        seen="r.created_at",
        key="r.id",
        claim="CAST(NULL AS BIGINT)",
        matched="''",
    )
    return " UNION ALL ".join(parts)


def _candidates_query(*, site_id: int, origin: Origin, phone: str | None) -> tuple[str, list[Any]]:
    one = _OneOrigin(site_id=site_id, origin=origin, phone=phone)
    sql = _candidate_parts(one)
    return f"SELECT * FROM ({sql}) AS found ORDER BY part, seen_at DESC, k DESC", one.params


def _candidates_many_query(
    *, site_id: int, origins: list[tuple[Origin, str | None]]
) -> tuple[str, list[Any]]:
    """The candidates of every origin in one statement (PostgreSQL): the origins' values as
    arrays, unnested into rows `x`, each joined laterally to the methods' queries. Rows come
    back ordered by origin (`n`), then as the single query orders them."""
    many = _ManyOrigins()
    parts = _candidate_parts(many)
    n = list(range(len(origins)))
    code_n = [i for i, (o, _) in enumerate(origins) for _ in (o.coupon_codes or [])]
    codes = [str(c) for o, _ in origins for c in (o.coupon_codes or [])]
    sql = (
        "WITH x AS MATERIALIZED (SELECT %s::bigint AS site_id, u.* FROM unnest("
        "%b::int[], %b::uuid[], %b::text[], %b::text[], %b::inet[], %b::timestamptz[], "
        "%b::timestamptz[], %b::bigint[], %b::bigint[]) AS u(n, uuid, email, phone, ip, ip_from, "
        "occurred_at, person_id, origin_id)), "
        "xc AS MATERIALIZED (SELECT * FROM unnest(%b::int[], %b::text[]) AS xc(n, code)) "
        f"SELECT x.n, found.* FROM x CROSS JOIN LATERAL ({parts}) AS found "
        "ORDER BY x.n, found.part, found.seen_at DESC, found.k DESC"
    )
    params: list[Any] = [
        site_id,
        n,
        [o.uuid for o, _ in origins],
        [o.email for o, _ in origins],
        [phone or None for _, phone in origins],
        [o.ip_address or None for o, _ in origins],
        [o.occurred_at - IP_WINDOW for o, _ in origins],
        [o.occurred_at for o, _ in origins],
        [o.person_id for o, _ in origins],
        [o.pk for o, _ in origins],
        code_n,
        codes,
        *many.params,
    ]
    return sql, params


def _candidates(rows: list[tuple[Any, ...]], origin: Origin) -> list[Candidate]:
    candidates: list[Candidate] = []
    for _, method, oid, cid, aid, exp, status, starts, ends, claim_id, seen, matched, _ in rows:
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
    """`fraud_facts` for many (origin, offer id, claim id, phone as sent). On PostgreSQL one
    statement for the lot, planned once for it; elsewhere one per match."""
    if not matches:
        return []
    if not is_postgres():
        return [
            fraud_facts(origin=origin, offer_id=offer_id, claim_id=claim_id, phone=phone)
            for origin, offer_id, claim_id, phone in matches
        ]
    many = _ManyMatches()
    sql = (
        "WITH x AS MATERIALIZED (SELECT * FROM unnest(%b::int[], %b::bigint[], %b::bigint[], "
        "%b::bigint[], %b::bigint[], %b::bigint[]) AS x(n, site_id, offer_id, origin_id, "
        f"claim_id, person_id)) SELECT x.n, facts.* FROM x LEFT JOIN "
        f"{AdvocateOffer._meta.db_table} xf ON xf.id = x.offer_id "
        f"CROSS JOIN LATERAL ({_fraud_facts_parts(many)}) AS facts ORDER BY x.n"
    )
    params: list[Any] = [
        list(range(len(matches))),
        [origin.site_id for origin, _, _, _ in matches],
        [offer_id for _, offer_id, _, _ in matches],
        [origin.pk for origin, _, _, _ in matches],
        [claim_id or 0 for _, _, claim_id, _ in matches],
        [origin.person_id for origin, _, _, _ in matches],
    ]
    rows: list[list[tuple[Any, ...]]] = [[] for _ in matches]
    # Not prepared: it reads the growing referral table (see attribution_candidates_many).
    for row in fetch_many([(sql, params)], prepare=False)[0]:
        rows[row[0]].append(row[1:])
    return [
        _fraud_facts(found, match[0], match[3]) for found, match in zip(rows, matches, strict=True)
    ]


class _OneMatch:
    """One match's values as placeholders."""

    def __init__(self, *, origin: Origin, offer_id: int, claim_id: int | None) -> None:
        self.params: list[Any] = []
        self.values = {
            "site_id": origin.site_id,
            "offer_id": offer_id,
            "origin_id": origin.pk,
            "claim_id": claim_id or 0,
            "person_id": origin.person_id,
        }

    def ref(self, name: str) -> str:
        if name == "advocate_id":
            self.params.append(self.values["offer_id"])
            return f"(SELECT advocate_id FROM {AdvocateOffer._meta.db_table} WHERE id = %s)"
        self.params.append(self.values[name])
        return "%s"


class _ManyMatches:
    """Many matches' values as columns of `x`, the offer's advocate as `xf.advocate_id`."""

    def ref(self, name: str) -> str:
        return "xf.advocate_id" if name == "advocate_id" else f"x.{name}"


def _fraud_facts_parts(v: _OneMatch | _ManyMatches) -> str:
    """The screening facts' query, for one match or for many (`v` renders the values)."""
    ip = "host({})" if is_postgres() else "{}"
    text = "CAST({} AS TEXT)"
    o_t, p_t = AdvocateOffer._meta.db_table, Person._meta.db_table
    or_t, cl_t, r_t = Origin._meta.db_table, Claim._meta.db_table, Referral._meta.db_table
    # Columns: kind, email, ip, user agent, visitor uuid, extra, phone number.
    return (
        f"SELECT 'offer' AS kind, p.email, {ip.format('f.advocate_ip')} AS ip, "
        f"f.advocate_user_agent AS agent, {text.format('f.advocate_visitor_uuid')} AS cookie, "
        f"{text.format('f.advocate_id')} AS extra, p.phone_number AS phone "
        f"FROM {o_t} f JOIN {p_t} p ON p.id = f.advocate_id WHERE f.id = {v.ref('offer_id')} "
        f"UNION ALL SELECT * FROM (SELECT 'origin', NULL, {ip.format('y.ip_address')}, NULL, "
        f"{text.format('y.uuid')}, COALESCE(y.shipping_address, '') || '|' || "
        f"COALESCE(y.shipping_zip, ''), NULL "
        f"FROM {or_t} y WHERE y.site_id = {v.ref('site_id')} "
        f"AND y.person_id = {v.ref('advocate_id')} AND y.id <> {v.ref('origin_id')} "
        f"ORDER BY y.id DESC LIMIT 50) AS adv "
        f"UNION ALL SELECT 'claim', NULL, {ip.format('c.ip_address')}, c.user_agent, "
        f"{text.format('c.visitor_uuid')}, NULL, c.gated_phone FROM {cl_t} c "
        f"WHERE c.id = {v.ref('claim_id')} "
        f"UNION ALL SELECT 'friend', NULL, NULL, NULL, NULL, NULL, q.phone_number "
        f"FROM {p_t} q WHERE q.id = {v.ref('person_id')} AND q.phone_number IS NOT NULL "
        f"UNION ALL SELECT * FROM (SELECT 'cross', NULL, NULL, NULL, NULL, NULL, NULL "
        f"FROM {r_t} r "
        f"WHERE r.site_id = {v.ref('site_id')} AND r.advocate_id = {v.ref('person_id')} "
        f"AND r.friend_id = {v.ref('advocate_id')} LIMIT 1) AS crossed"
    )


def _fraud_facts_query(
    *, origin: Origin, offer_id: int, claim_id: int | None
) -> tuple[str, list[Any]]:
    one = _OneMatch(origin=origin, offer_id=offer_id, claim_id=claim_id)
    return _fraud_facts_parts(one), one.params


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
