"""Coupon lists and coupons moved from the campaigns app to this one without touching the
database: a database holding coupons, taken back to the state before the move and forward again,
keeps every row, every foreign key to them, and the permissions granted on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.offers.models import AdvocateOffer
from goodword.rewards.models import Reward
from tests.factories import CouponFactory, CouponListFactory, IncentiveFactory, PersonFactory

# Migrations run outside the test's transaction (SQLite's schema editor refuses to run inside
# one with foreign keys checked).
pytestmark = pytest.mark.django_db(transaction=True)

MOVE = ("coupons", "0001_initial")


def migrate_to_leaves() -> Apps:
    executor = MigrationExecutor(connection)
    return executor.migrate(executor.loader.graph.leaf_nodes()).apps


def holding(apps: Apps, app_label: str) -> dict[str, Any]:
    """Everything the test stored about coupons, read through the models of `apps`."""
    coupons = apps.get_model(app_label, "Coupon").objects.order_by("pk")
    lists = apps.get_model(app_label, "CouponList").objects.order_by("pk")
    incentives = apps.get_model("campaigns", "Incentive").objects.order_by("pk")
    rewards = apps.get_model("rewards", "Reward").objects.order_by("pk")
    return {
        "lists": [(cl.pk, cl.site_id, cl.identifier, cl.static_code) for cl in lists],
        "coupons": [
            (c.pk, c.site_id, c.coupon_list.identifier, c.code, c.claimed_at, c.usages, c.used_at)
            for c in coupons
        ],
        "incentives": [(i.pk, i.coupon_list.identifier) for i in incentives],
        "rewards": [(r.pk, r.coupon.code, r.coupon_list.identifier) for r in rewards],
    }


def stored() -> dict[str, Any]:
    """A pool with a code a reward holds, a used code and a free one, and a static list."""
    stamp = now()
    pool = CouponListFactory(identifier="pool")
    site = pool.site
    CouponListFactory(site=site, identifier="welcome", static_code="WELCOME10")
    taken = CouponFactory(coupon_list=pool, code="P-1", claimed_at=stamp)
    CouponFactory(coupon_list=pool, code="P-2", claimed_at=stamp, usages=2, used_at=stamp)
    CouponFactory(coupon_list=pool, code="P-3")
    incentive = IncentiveFactory(
        campaign__site=site, coupon_list=pool, incentive_type="discount_coupon"
    )
    advocate = PersonFactory(site=site)
    offer = AdvocateOffer.objects.create(
        site=site,
        campaign=incentive.campaign,
        advocate=advocate,
        short_url_code="mig1",
        created_at=stamp,
    )
    Reward.objects.create(
        site=site,
        person=advocate,
        advocate=advocate,
        reason="signup",
        status="Paid",
        campaign=incentive.campaign,
        incentive=incentive,
        incentive_identifier=incentive.identifier,
        incentive_type="discount_coupon",
        amount=Decimal("10.00"),
        amount_type="fixed",
        currency="USD",
        coupon_list=pool,
        coupon=taken,
        coupon_code=taken.code,
        offer=offer,
        created_at=stamp,
        updated_at=stamp,
        given_at=stamp,
        paid_at=stamp,
    )
    return {"site_id": site.pk, "pool_id": pool.pk, "stamp": stamp}


def test_coupons_survive_the_move_between_apps_both_ways():
    # given a database at the current state holding coupons, and a permission on them
    given = stored()
    before = holding(migrate_to_leaves(), "coupons")
    permission = Permission.objects.get(codename="view_coupon")
    assert permission.content_type.app_label == "coupons"

    try:
        # when it is taken back to the state before the move
        old = MigrationExecutor(connection).migrate([(MOVE[0], None)]).apps

        # then the models are campaigns' again and read the same rows
        with pytest.raises(LookupError):
            old.get_model("coupons", "Coupon")
        assert holding(old, "campaigns") == before
        assert Permission.objects.get(pk=permission.pk).content_type.app_label == "campaigns"

        # and a code added in that state (by the code of that time)
        old.get_model("campaigns", "Coupon").objects.create(
            site_id=given["site_id"],
            coupon_list_id=given["pool_id"],
            code="P-4",
            created_at=given["stamp"],
            usages=0,
        )
        added = holding(old, "campaigns")

        # when it is migrated forward again
        new = migrate_to_leaves()
    finally:
        migrate_to_leaves()

    # then coupons' models read every row, the old and the added, with their foreign keys
    assert holding(new, "coupons") == added
    assert [c[3] for c in added["coupons"]] == ["P-1", "P-2", "P-3", "P-4"]
    assert added["incentives"] and added["rewards"] == [(added["rewards"][0][0], "P-1", "pool")]
    # and so do the application's own models
    assert Coupon.objects.filter(coupon_list__identifier="pool").count() == 4
    assert CouponList.objects.get(static_code="WELCOME10").identifier == "welcome"
    assert Reward.objects.get().coupon.code == "P-1"
    # and the permission staff may hold on coupons is the same row, now under coupons
    assert Permission.objects.get(pk=permission.pk).content_type.app_label == "coupons"
