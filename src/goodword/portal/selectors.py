"""Portal reads: the search box and the person page. Every lookup goes through an index, and
each page costs a fixed number of queries whatever the person's history."""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from goodword.campaigns.program import program_for
from goodword.core.errors import DomainError, NotFound
from goodword.coupons.models import CouponList
from goodword.offers.models import AdvocateOffer, Claim, LinkKind, Share, ShortLink
from goodword.offers.services import link_url
from goodword.origins.models import Origin, OriginType
from goodword.people.models import Person
from goodword.portal.audit import audit_for_object
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward
from goodword.rewards.selectors import coupon_find
from goodword.webhooks.models import Delivery

MAX_MATCHES = 50
PAGE_ROWS = 100


@dataclass(frozen=True)
class Match:
    """One thing the search box found: what it is and where its page is."""

    kind: str  # what matched: "email", "order number", ...
    label: str
    detail: str
    object_type: str  # "person" or "referral": the page it opens
    object_id: int


def _person_match(kind: str, person: Person) -> Match:
    name = " ".join(p for p in (person.first_name, person.last_name) if p)
    return Match(kind, person.email, name, "person", person.pk)


def _origin_match(kind: str, origin: Origin) -> Match:
    referral = getattr(origin, "referral", None)
    if referral is not None:
        return Match(
            kind,
            f"{origin.type} {origin.slug}",
            f"by {origin.email}: referral {referral.pk} ({referral.status})",
            "referral",
            referral.pk,
        )
    return Match(
        kind,
        f"{origin.type} {origin.slug}",
        f"by {origin.email}: not referred",
        "person",
        origin.person_id,
    )


def _offer_code(q: str) -> str | None:
    """An offer code or the code at the end of a claim/show link."""
    if "/" in q:
        path = urlsplit(q).path.rstrip("/")
        code = path.rsplit("/", 1)[-1]
    else:
        code = q
    return code if re.fullmatch(r"[A-Za-z0-9_-]{1,16}", code or "") else None


def portal_search(*, site_id: int, currency: str, q: str) -> list[Match]:
    """Everything the box can mean, each looked up by an index of the site: people by email,
    phone, customer id or username; origins by order number or `category:number`; a referral
    by id; an offer by code or link; a coupon code; a visitor uuid."""
    q = q.strip()
    if not q:
        return []
    found: list[Match] = []
    if "@" in q and "/" not in q:
        person = Person.objects.filter(site_id=site_id, email=q.lower()).first()
        if person is not None:
            found.append(_person_match("email", person))
    for person in Person.objects.filter(
        Q(phone_number=q) | Q(customer_id=q) | Q(username=q), site_id=site_id
    ).order_by("id")[:MAX_MATCHES]:
        kind = (
            "phone"
            if person.phone_number == q
            else "customer id"
            if person.customer_id == q
            else "username"
        )
        found.append(_person_match(kind, person))
    origins = Origin.objects.select_related("referral").filter(site_id=site_id)
    purchase = origins.filter(type=OriginType.PURCHASE, order_number=q).first()
    if purchase is not None:
        found.append(_origin_match("order number", purchase))
    if ":" in q:
        splits = Q()
        for at in (i for i, ch in enumerate(q) if ch == ":"):
            splits |= Q(event_category=q[:at], event_number=q[at + 1 :])
        for event in (
            origins.filter(type=OriginType.EVENT).filter(splits).order_by("id")[:MAX_MATCHES]
        ):
            found.append(_origin_match("event", event))
    if q.isdigit() and len(q) < 19:
        referral = (
            Referral.objects.select_related("origin").filter(site_id=site_id, pk=int(q)).first()
        )
        if referral is not None:
            found.append(
                Match(
                    "referral id",
                    f"referral {referral.pk}",
                    f"{referral.origin.slug} ({referral.status})",
                    "referral",
                    referral.pk,
                )
            )
    code = _offer_code(q)
    if code is not None:
        offer = (
            AdvocateOffer.objects.select_related("advocate")
            .filter(site_id=site_id, short_url_code=code)
            .first()
        )
        if offer is None:
            link = (
                ShortLink.objects.select_related("offer__advocate")
                .filter(site_id=site_id, code=code)
                .first()
            )
            offer = link.offer if link is not None else None
        if offer is not None:
            found.append(
                Match(
                    "offer",
                    f"offer {offer.short_url_code}",
                    f"advocate {offer.advocate.email}",
                    "person",
                    offer.advocate_id,
                )
            )
    if "/" not in q and " " not in q:
        found += _coupon_matches(site_id=site_id, currency=currency, code=q)
    try:
        visitor = uuidlib.UUID(q)
    except ValueError:
        visitor = None
    if visitor is not None:
        found += _visitor_matches(site_id=site_id, visitor=visitor)
    unique: dict[tuple[str, int], Match] = {}
    for match in found:
        unique.setdefault((match.object_type, match.object_id), match)
    return list(unique.values())[:MAX_MATCHES]


def _coupon_matches(*, site_id: int, currency: str, code: str) -> list[Match]:
    """Who holds a code: the referral whose reward it is, the person it was issued to, or,
    for a friend's code handed out on a click, the advocate whose link was clicked."""
    try:
        coupon = coupon_find(site_id=site_id, currency=currency, code=code)
    except DomainError:
        return []
    matches: list[Match] = []
    if coupon.reward is not None and coupon.reward.referral_id is not None:
        matches.append(
            Match(
                "coupon code",
                f"coupon {code}",
                f"{coupon.reward.reason} reward of referral {coupon.reward.referral_id}",
                "referral",
                coupon.reward.referral_id,
            )
        )
    if coupon.owner_id is not None:
        matches.append(
            Match(
                "coupon code", f"coupon {code}", "issued to this person", "person", coupon.owner_id
            )
        )
    if coupon.coupon is not None:
        for claim in _recent_claims(site_id=site_id, friend_coupon_code=code):
            matches.append(
                Match(
                    "coupon code",
                    f"coupon {code}",
                    f"given on a click on {claim.offer.advocate.email}'s link "
                    f"(visitor {claim.visitor_uuid})",
                    "person",
                    claim.offer.advocate_id,
                )
            )
    return matches


def _recent_claims(*, site_id: int, **match: Any) -> QuerySet[Claim]:
    """The site's latest claims that match, with the advocate whose link was clicked."""
    return (
        Claim.objects.select_related("offer__advocate")
        .filter(site_id=site_id, **match)
        .order_by("-id")[:MAX_MATCHES]
    )


def _visitor_matches(*, site_id: int, visitor: uuidlib.UUID) -> list[Match]:
    matches: list[Match] = []
    for claim in _recent_claims(site_id=site_id, visitor_uuid=visitor):
        matches.append(
            Match(
                "visitor uuid",
                f"claim of {claim.offer.advocate.email}'s offer",
                f"clicked {claim.created_at:%Y-%m-%d %H:%M}",
                "person",
                claim.offer.advocate_id,
            )
        )
    for reward in (
        Reward.objects.select_related("person")
        .filter(site_id=site_id, visitor_uuid=visitor, person__isnull=False)
        .order_by("-id")[:MAX_MATCHES]
    ):
        assert reward.person is not None
        matches.append(_person_match("visitor uuid", reward.person))
    return matches


def coupon_pools(*, site_id: int) -> list[CouponList]:
    """The site's single-use pools (what an import can fill), by identifier."""
    return list(
        CouponList.objects.filter(site_id=site_id, static_code__isnull=True).order_by("identifier")
    )


# ---- the person page ------------------------------------------------------------------------


def _count_per_offer(model: type[Claim] | type[Share]) -> Coalesce:
    """A subquery counting `model`'s rows of each offer (0 for none), to annotate offers with."""
    rows = (
        model.objects.filter(offer_id=OuterRef("pk"))
        .order_by()
        .values("offer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def person_page(*, site_id: int, person_id: int) -> dict[str, Any]:
    """A person with their origins, offers (links, clicks, shares), referrals both ways,
    rewards, webhook deliveries about them and staff actions on them. Nine queries."""
    person = Person.objects.filter(site_id=site_id, pk=person_id).first()
    if person is None:
        raise NotFound("person_not_found", "No such person on this site.")
    origins = list(
        Origin.objects.select_related("referral")
        .filter(site_id=site_id, person_id=person.pk)
        .order_by("-id")[:PAGE_ROWS]
    )
    offers = list(
        AdvocateOffer.objects.select_related("campaign")
        .filter(site_id=site_id, advocate_id=person.pk)
        .annotate(claim_count=_count_per_offer(Claim), share_count=_count_per_offer(Share))
        .order_by("-id")[:PAGE_ROWS]
    )
    program = program_for(site_id)
    links: dict[int, list[dict[str, Any]]] = {o.pk: [] for o in offers}
    for link in ShortLink.objects.filter(offer_id__in=list(links)).order_by("kind", "channel"):
        links[link.offer_id].append(
            {
                "kind": link.kind,
                "channel": link.channel,
                "url": link_url(program, link.code),
                "claim": link.kind == LinkKind.CLAIM,
            }
        )
    as_advocate = list(
        Referral.objects.select_related("friend", "origin")
        .filter(site_id=site_id, advocate_id=person.pk)
        .order_by("-created_at")[:PAGE_ROWS]
    )
    as_friend = list(
        Referral.objects.select_related("advocate", "origin")
        .filter(site_id=site_id, friend_id=person.pk)
        .order_by("-created_at")[:PAGE_ROWS]
    )
    rewards = list(
        Reward.objects.filter(site_id=site_id, person_id=person.pk).order_by("-id")[:PAGE_ROWS]
    )
    subjects = [f"person:{person.pk}"]
    subjects += [f"origin:{o.pk}" for o in origins]
    subjects += [f"offer:{o.pk}" for o in offers]
    subjects += [f"referral:{r.pk}" for r in as_advocate + as_friend]
    deliveries = list(
        Delivery.objects.filter(site_id=site_id, subject__in=subjects).order_by("-id")[:PAGE_ROWS]
    )
    return {
        "person": person,
        "origins": origins,
        "offers": [{"offer": o, "links": links[o.pk]} for o in offers],
        "referrals_as_advocate": as_advocate,
        "referrals_as_friend": as_friend,
        "rewards": rewards,
        "deliveries": deliveries,
        "audit": audit_for_object(site_id=site_id, object_type="person", object_id=person.pk),
    }
