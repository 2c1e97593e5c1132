"""Coupon reads: a list by identifier, a code by its text, a person's permission, pool levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from goodword.core.errors import NotFound
from goodword.coupons.models import Coupon
from goodword.coupons.selectors import (
    CHECKS,
    coupon_code_find,
    coupon_list_get,
    coupon_permission,
    coupon_pool_left,
)
from tests.factories import CouponFactory, CouponListFactory, PersonFactory, SiteFactory


def test_coupon_list_get(db):
    pool = CouponListFactory(identifier="pool")

    assert coupon_list_get(site=pool.site, identifier="pool") == pool
    with pytest.raises(NotFound):
        coupon_list_get(site=SiteFactory(), identifier="pool")


# -- finding a code


def test_a_pool_code_is_found_with_its_row_and_list(db):
    coupon = CouponFactory(code="POOL-1")

    found = coupon_code_find(site_id=coupon.site_id, code="  POOL-1 ")

    assert (found.code, found.coupon, found.coupon_list) == ("POOL-1", coupon, coupon.coupon_list)


def test_a_static_code_is_found_as_its_list_without_a_row(db):
    static = CouponListFactory(static_code="WELCOME10")

    found = coupon_code_find(site_id=static.site_id, code="WELCOME10")

    assert (found.code, found.coupon, found.coupon_list) == ("WELCOME10", None, static)


@pytest.mark.parametrize("code", ["OTHER-SITE", "NOPE", "", "   "])
def test_a_code_the_site_does_not_have_is_not_found(db, code):
    site = SiteFactory()
    CouponFactory(code="OTHER-SITE")
    CouponListFactory(site=site, static_code="WELCOME10")

    with pytest.raises(NotFound) as missing:
        coupon_code_find(site_id=site.pk, code=code)

    assert missing.value.code == "coupon_not_found"


# -- permission


@dataclass(frozen=True)
class Holding:
    coupon: Coupon | None
    owner_id: int | None = None
    offer_expires_at: datetime | None = None


def failed(checks: dict[str, bool]) -> list[str]:
    assert [name for name, _ in CHECKS] == list(checks)
    return [name for name, value in checks.items() if value]


def test_an_issued_unused_code_of_the_person_is_allowed(db, frozen_now):
    person = PersonFactory()
    coupon = CouponFactory.build(claimed_at=frozen_now, usages=0)

    checks = coupon_permission(
        found=Holding(coupon, owner_id=person.pk, offer_expires_at=frozen_now), person=person
    )

    assert failed(checks) == []


def test_a_static_code_is_allowed_to_anyone(db, frozen_now):
    assert failed(coupon_permission(found=Holding(None), person=PersonFactory())) == []


@pytest.mark.parametrize(
    ("claimed", "usages", "other_owner", "expired", "reasons"),
    [
        (False, 0, False, False, ["coupon_unissued"]),
        (True, 1, False, False, ["coupon_used"]),
        (True, 0, True, False, ["different_owner"]),
        (True, 0, False, True, ["friend_offer_expired"]),
        (False, 2, True, True, [name for name, _ in CHECKS if name != "coupon_expired"]),
    ],
)
def test_each_reason_not_to_use_a_code(
    db, frozen_now, claimed, usages, other_owner, expired, reasons
):
    person = PersonFactory()
    coupon = CouponFactory.build(claimed_at=frozen_now if claimed else None, usages=usages)
    holding = Holding(
        coupon,
        owner_id=person.pk + 1 if other_owner else person.pk,
        offer_expires_at=frozen_now - timedelta(seconds=1 if expired else -1),
    )

    assert failed(coupon_permission(found=holding, person=person)) == reasons


# -- pool levels


def test_a_pool_level_counts_the_codes_still_to_hand_out(db, frozen_now):
    pool = CouponListFactory()
    for code in ("A", "B", "C"):
        CouponFactory(coupon_list=pool, code=code)
    CouponFactory(coupon_list=pool, code="GONE", claimed_at=frozen_now)
    CouponFactory(code="OTHER-LIST")

    assert coupon_pool_left(coupon_list_id=pool.pk) == 3
    assert coupon_pool_left(coupon_list_id=CouponListFactory(static_code="S").pk) == 0
