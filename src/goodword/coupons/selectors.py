"""Coupon reads: a site's list by identifier, a code by its text, whether a person may use a code,
and how full a pool is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db.models import Count, Q

from goodword.core.clock import now
from goodword.core.errors import NotFound
from goodword.coupons.models import Coupon, CouponList
from goodword.people.models import Person
from goodword.sites.models import Site


def coupon_list_get(*, site: Site, identifier: str) -> CouponList:
    try:
        return CouponList.objects.get(site=site, identifier=identifier)
    except CouponList.DoesNotExist:
        raise NotFound(
            "coupon_list_not_found", f"Site {site.slug!r} has no coupon list {identifier!r}"
        ) from None


@dataclass(frozen=True)
class CouponCode:
    """A code the site hands out: a pool code with its row, or a list's static code (no row)."""

    code: str
    coupon: Coupon | None  # None: a list's static code
    coupon_list: CouponList


def coupon_code_find(*, site_id: int, code: str) -> CouponCode:
    """The site's code `code` (surrounding blanks ignored): a single-use code of any pool first,
    else the static code of a list. Raises NotFound (`coupon_not_found`) when it is neither."""
    code = code.strip()
    coupon = (
        Coupon.objects.select_related("coupon_list").filter(site_id=site_id, code=code).first()
        if code
        else None
    )
    coupon_list = coupon.coupon_list if coupon is not None else None
    if coupon_list is None and code:
        coupon_list = CouponList.objects.filter(site_id=site_id, static_code=code).first()
    if coupon_list is None:
        raise NotFound("coupon_not_found", "No coupon found by `code`.")
    return CouponCode(code=code, coupon=coupon, coupon_list=coupon_list)


# The permission checks, in the order their message is reported.
CHECKS = (
    ("coupon_unissued", "This coupon code has not been issued yet"),
    ("coupon_expired", "This coupon code has expired"),
    ("friend_offer_expired", "The offer this coupon code came with has expired"),
    ("different_owner", "This coupon code was issued to another person"),
    ("coupon_used", "This coupon code has already been used"),
)


class CouponHolding(Protocol):
    """A code with what is known of who holds it; who that is, is read where the holders live
    (rewards, offers), above this app."""

    @property
    def coupon(self) -> Coupon | None: ...  # None: a list's static code

    @property
    def owner_id(self) -> int | None: ...  # the person it was issued to, when known

    @property
    def offer_expires_at(self) -> datetime | None: ...  # the offer a friend's code came from


def coupon_permission(*, found: CouponHolding, person: Person) -> dict[str, bool]:
    """May this person use the code? Each check true means a reason not to."""
    coupon = found.coupon
    return {
        "coupon_unissued": coupon is not None and coupon.claimed_at is None,
        # Goodword's codes carry no expiry of their own.
        "coupon_expired": False,
        "friend_offer_expired": found.offer_expires_at is not None
        and found.offer_expires_at < now(),
        "different_owner": found.owner_id is not None and found.owner_id != person.pk,
        "coupon_used": coupon is not None and coupon.usages > 0,
    }


def coupon_pool_left(*, coupon_list_id: int) -> int:
    """How many codes of a pool are still to be handed out (a static list has none)."""
    return Coupon.objects.filter(coupon_list_id=coupon_list_id, claimed_at__isnull=True).count()


BURN_WINDOW = timedelta(hours=1)


def coupon_pool_levels() -> list[dict[str, Any]]:
    """Every single-use pool: codes left to hand out, codes handed out, and of those the codes
    taken in the last hour (the pool's burn rate), by site and list."""
    since = now() - BURN_WINDOW
    rows = (
        CouponList.objects.filter(Q(static_code__isnull=True) | Q(static_code=""))
        .values("site__slug", "identifier")
        .annotate(
            available=Count("coupons", filter=Q(coupons__claimed_at__isnull=True)),
            claimed=Count("coupons", filter=Q(coupons__claimed_at__isnull=False)),
            taken_last_hour=Count("coupons", filter=Q(coupons__claimed_at__gte=since)),
        )
        .order_by("site__slug", "identifier")
    )
    return [
        {
            "site_slug": row["site__slug"],
            "coupon_list": row["identifier"],
            "available": row["available"],
            "claimed": row["claimed"],
            "taken_last_hour": row["taken_last_hour"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class PoolBurn:
    identifier: str
    name: str
    left: int
    taken_last_hour: int

    @property
    def hours_left(self) -> float | None:
        """At the last hour's rate, how long the unused codes last; None when none went."""
        return self.left / self.taken_last_hour if self.taken_last_hour else None


def coupon_pool_burn(*, site_id: int) -> list[PoolBurn]:
    """The site's single-use pools that handed out codes in the last hour, fastest first: how
    many, and how many are left. One query."""
    since = now() - BURN_WINDOW
    rows = (
        CouponList.objects.filter(site_id=site_id)
        .filter(Q(static_code__isnull=True) | Q(static_code=""))
        .annotate(
            left=Count("coupons", filter=Q(coupons__claimed_at__isnull=True)),
            taken=Count("coupons", filter=Q(coupons__claimed_at__gte=since)),
        )
        .filter(taken__gt=0)
        .order_by("-taken", "identifier")
    )
    return [PoolBurn(p.identifier, p.name, p.left, p.taken) for p in rows]
