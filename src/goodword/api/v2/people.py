"""People API: a person, and the referrals they made or came from."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import referral_json
from goodword.api.v2.site import request_site
from goodword.campaigns.program import program_for
from goodword.offers.models import AdvocateOffer, Share
from goodword.offers.services import link_url, offer_view
from goodword.origins.models import Origin, OriginType
from goodword.people.models import Person
from goodword.people.selectors import person_find
from goodword.people.services import person_unsubscribe
from goodword.referrals.models import Referral, ReferralStatus
from goodword.rewards.models import Reward

router = Router(tags=["People"])

MAX_REFERRALS = 1000


def person_json(person: Person) -> dict[str, Any]:
    counts = Referral.objects.filter(site_id=person.site_id, advocate=person).aggregate(
        total=Count("id"),
        approved=Count("id", filter=Q(status=ReferralStatus.APPROVED)),
        pending=Count("id", filter=Q(status=ReferralStatus.PENDING)),
    )
    last = (
        Referral.objects.filter(site_id=person.site_id, friend=person)
        .select_related("advocate")
        .order_by("-created_at", "-id")
        .first()
    )
    offer = AdvocateOffer.objects.filter(advocate=person).order_by("id").first()
    claim_url = None
    if offer is not None:
        program = program_for(person.site_id)
        if program.campaign(offer.campaign_id) is not None:
            view = offer_view(offer, program, [])
            claim_url = link_url(program, view.claim_code)
    return {
        "custom_properties": person.custom_properties or {},
        "customer_id": person.customer_id,
        "email": person.email,
        "events_count": Origin.objects.filter(person=person, type=OriginType.EVENT).count(),
        "first_name": person.first_name,
        "gender": None,
        "last_invited_by": last.advocate.email if last else None,
        "last_name": person.last_name,
        "opted_in_at": None,
        "personal_claim_url": claim_url,
        "phone_number": person.phone_number,
        "phone_opted_in_at": None,
        "referral_counts": counts,
        "referred_by": last.advocate.email if last else None,
        "reward_counts": {
            "total": Reward.objects.filter(site_id=person.site_id, person=person).count()
        },
        "share_counts": {"total": Share.objects.filter(offer__advocate=person).count()},
        "sub_choice": False,
        "subscribed_at": None,
        "unsubscribed_at": person.unsubscribed_at,
        "username": person.username,
    }


class UnsubscribeBody(BaseModel):
    site_slug: str | None = None


@router.post("/people/{person_slug}/unsubscribe", summary="Unsubscribe a person")
def unsubscribe_person(
    request: HttpRequest, person_slug: str, payload: UnsubscribeBody | None = None
) -> HttpResponse:
    site = request_site(request, payload.site_slug if payload is not None else None)
    person = person_unsubscribe(site_id=site.id, person_slug=person_slug)
    return ok({"person": person_json(person)})


@router.get("/people/{person_slug}", summary="Find a person")
def find_person(request: HttpRequest, person_slug: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    return ok({"person": person_json(person)})


def _referrals(request: HttpRequest, person_slug: str, role: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    referrals = (
        Referral.objects.filter(site_id=site.id, **{role: person})
        .select_related("advocate", "friend")
        .prefetch_related(Prefetch("rewards", Reward.objects.select_related("coupon")))
        .order_by("-created_at", "-id")[:MAX_REFERRALS]
    )
    return ok({"referrals": [referral_json(r) for r in referrals]})


@router.get("/people/{person_slug}/referrals_as_advocate", summary="Referrals made by a person")
def referrals_as_advocate(request: HttpRequest, person_slug: str) -> HttpResponse:
    return _referrals(request, person_slug, "advocate")


@router.get("/people/{person_slug}/referrals_as_friend", summary="Referrals of a person")
def referrals_as_friend(request: HttpRequest, person_slug: str) -> HttpResponse:
    return _referrals(request, person_slug, "friend")
