"""People API: a person (read, update, unsubscribe, personal data, erasure), their shares, and
the referrals they made or came from."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import (
    email_share_json,
    erasure_json,
    person_json,
    referral_json,
    share_json,
)
from goodword.api.v2.site import request_site
from goodword.campaigns.program import program_for
from goodword.offers.selectors import (
    claim_counts_by_link,
    share_count_for_advocate,
    shares_for_advocate,
)
from goodword.offers.services import advocate_claim_url, offer_view
from goodword.origins.selectors import origin_event_count
from goodword.people.models import Person
from goodword.people.schemas import person_changes_validate
from goodword.people.selectors import person_find
from goodword.people.services import person_unsubscribe, person_update
from goodword.privacy.selectors import person_personal_data
from goodword.privacy.services import person_anonymize
from goodword.referrals.selectors import (
    referral_count_for_offer,
    referral_counts_for_advocate,
    referral_inviter,
    referrals_for_person,
)
from goodword.rewards.selectors import reward_count_for_person

router = Router(tags=["People"])

MAX_REFERRALS = 1000
MAX_SHARES = 1000


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


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None
    # Checked field by field by the people schema, with Talkable's wording.
    data: Any = None


@router.put("/people/{person_slug}", summary="Update a person")
def update_person(request: HttpRequest, person_slug: str, payload: UpdateBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    changes = person_changes_validate(payload.data)
    person = person_update(site_id=site.id, person_slug=person_slug, changes=changes)
    return ok({"person": _person(site.id, person)})


@router.get("/people/{person_slug}/personal_data", summary="Personal data of a person")
def personal_data(request: HttpRequest, person_slug: str) -> HttpResponse:
    site = request_site(request)
    return ok({"person": person_personal_data(site_id=site.id, person_slug=person_slug)})


class SiteBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None


@router.post("/people/{person_slug}/anonymize", summary="Anonymize a person")
def anonymize_person(
    request: HttpRequest, person_slug: str, payload: SiteBody | None = None
) -> HttpResponse:
    site = request_site(request, payload.site_slug if payload is not None else None)
    done = person_anonymize(site_id=site.id, person_slug=person_slug, actor="api")
    return ok({"person": _person(site.id, done.person), "erasure": erasure_json(done.erasure)})


@router.get("/people/{person_slug}/shares_by", summary="Shares made by a person")
def shares_by(request: HttpRequest, person_slug: str) -> HttpResponse:
    site = request_site(request)
    person = person_find(site_id=site.id, person_slug=person_slug)
    shares = shares_for_advocate(site_id=site.id, advocate_id=person.pk, limit=MAX_SHARES)
    program = program_for(site.id)
    channels: dict[int, set[str]] = {}
    for share in shares:
        channels.setdefault(share.offer_id, set()).add(share.channel)
    views = {
        offer_id: offer_view(share.offer, program, sorted(channels[offer_id]))
        for offer_id, share in {s.offer_id: s for s in shares}.items()
    }
    friends = {o: referral_count_for_offer(site_id=site.id, offer_id=o) for o in views}
    clicks = claim_counts_by_link(
        site_id=site.id, link_ids=[s.link_id for s in shares if s.link_id is not None]
    )
    result = []
    for share in shares:
        counts = {"clicks": clicks.get(share.link_id or 0, 0), "friends": friends[share.offer_id]}
        recipients = [r.email for r in share.recipients.all()]
        view = views[share.offer_id]
        if recipients:
            result += [email_share_json(share, view, email=e, **counts) for e in recipients]
        else:
            result.append(share_json(share, view, **counts))
    return ok({"shares": result})


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
