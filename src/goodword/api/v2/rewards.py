"""Rewards API and Coupons API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import coupon_json, reward_json
from goodword.api.v2.site import request_site
from goodword.coupons.selectors import CHECKS, coupon_permission
from goodword.people.selectors import person_find
from goodword.rewards.selectors import (
    CouponFound,
    coupon_find,
    rewards_for_person,
    rewards_for_visitor,
)

router = Router()


@router.get("/rewards", summary="List rewards", tags=["Rewards"])
def list_rewards(request: HttpRequest) -> HttpResponse:
    site = request_site(request)
    rewards = rewards_for_visitor(
        site_id=site.id,
        visitor_uuid=request.GET.get("visitor_uuid"),
        status=request.GET.get("status"),
    )
    return ok({"rewards": [reward_json(r) for r in rewards]})


@router.get(
    "/people/{person_slug}/rewards", summary="Rewards received by a person", tags=["People"]
)
def person_rewards(request: HttpRequest, person_slug: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    rewards = rewards_for_person(person=person, status=request.GET.get("status"))
    return ok({"rewards": [reward_json(r) for r in rewards]})


def _coupon_result(found: CouponFound) -> dict[str, Any]:
    return {
        "associated_reward": reward_json(found.reward) if found.reward is not None else None,
        "coupon": coupon_json(
            code=found.code,
            coupon=found.coupon,
            amount=found.amount,
            amount_type=found.amount_type,
            currency=found.currency,
        ),
        "talkable_coupon": True,
    }


@router.get("/coupons/{code}", summary="Find a coupon", tags=["Coupons"])
def find_coupon(request: HttpRequest, code: str) -> HttpResponse:
    site = request_site(request)
    found = coupon_find(site_id=site.id, currency=site.currency, code=code)
    return ok(_coupon_result(found))


@router.get(
    "/coupons/{code}/permission/{person_slug}",
    summary="Check if a coupon code belongs to a person",
    tags=["Coupons"],
)
def coupon_permission_check(request: HttpRequest, code: str, person_slug: str) -> HttpResponse:
    site = request_site(request)
    found = coupon_find(site_id=site.id, currency=site.currency, code=code)
    person = person_find(site_id=site.id, person_slug=person_slug)
    checks = coupon_permission(found=found, person=person)
    failed = next((message for name, message in CHECKS if checks[name]), None)
    return ok(
        {
            **_coupon_result(found),
            "allowed": failed is None,
            "checks": checks,
            "error_message": failed,
        }
    )
