"""People API: a person, and the referrals they made or came from."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import person_json, referral_json
from goodword.api.v2.site import request_site
from goodword.offers.selectors import share_count_for_advocate
from goodword.offers.services import advocate_claim_url
from goodword.origins.selectors import origin_event_count
from goodword.people.models import Person
from goodword.people.selectors import person_find
from goodword.people.services import person_unsubscribe
from goodword.referrals.selectors import (
    referral_counts_for_advocate,
    referral_inviter,
    referrals_for_person,
)
from goodword.rewards.selectors import reward_count_for_person

router = Router(tags=["People"])

MAX_REFERRALS = 1000


def _person(site_id: int, person: Person) -> dict[str, Any]:
    return person_json(
        person,
        referral_counts=referral_counts_for_advocate(site_id=site_id, advocate_id=person.pk),
        invited_by=referral_inviter(site_id=site_id, friend_id=person.pk),
        events_count=origin_event_count(site_id=site_id, person_id=person.pk),
        rewards_count=reward_count_for_person(site_id=site_id, person_id=person.pk),
        shares_count=share_count_for_advocate(site_id=site_id, advocate_id=person.pk),
        claim_url=advocate_claim_url(site_id=site_id, advocate_id=person.pk),
    )


class UnsubscribeBody(BaseModel):
    site_slug: str | None = None


@router.post("/people/{person_slug}/unsubscribe", summary="Unsubscribe a person")
def unsubscribe_person(
    request: HttpRequest, person_slug: str, payload: UnsubscribeBody | None = None
) -> HttpResponse:
    site = request_site(request, payload.site_slug if payload is not None else None)
    person = person_unsubscribe(site_id=site.id, person_slug=person_slug)
    return ok({"person": _person(site.id, person)})


@router.get("/people/{person_slug}", summary="Find a person")
def find_person(request: HttpRequest, person_slug: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    return ok({"person": _person(site.id, person)})


def _referrals(request: HttpRequest, person_slug: str, role: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    referrals = referrals_for_person(
        site_id=site.id, person_id=person.pk, role=role, limit=MAX_REFERRALS
    )
    return ok({"referrals": [referral_json(r) for r in referrals]})


@router.get("/people/{person_slug}/referrals_as_advocate", summary="Referrals made by a person")
def referrals_as_advocate(request: HttpRequest, person_slug: str) -> HttpResponse:
    return _referrals(request, person_slug, "advocate")


@router.get("/people/{person_slug}/referrals_as_friend", summary="Referrals of a person")
def referrals_as_friend(request: HttpRequest, person_slug: str) -> HttpResponse:
    return _referrals(request, person_slug, "friend")
