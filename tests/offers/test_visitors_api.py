"""Visitors and friend offers over the API: POST /visitors, PUT /visitor_offers/{id}/track_visit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.offers.models import Claim, Visitor
from tests.conftest import NOW, ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program, friend_clicks, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

UUID = "123e4567-e89b-42d3-a456-426614174000"


def create_visitor(api: ApiClient, slug: str, data) -> object:
    return api.post("/api/v2/visitors", {"site_slug": slug, "data": data})


def test_a_visitor_is_created_and_its_uuid_returned(api, api_site):
    response = create_visitor(api, api_site.slug, {"uuid": UUID})

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "result": {"uuid": UUID}}
    visitor = Visitor.objects.get()
    assert (str(visitor.uuid), visitor.site_id, visitor.created_at) == (
        UUID,
        api_site.site.id,
        NOW,
    )


def test_creating_the_same_visitor_again_keeps_one(api, api_site):
    create_visitor(api, api_site.slug, {"uuid": UUID})

    again = create_visitor(api, api_site.slug, {"uuid": UUID.upper()})

    assert again.json() == {"ok": True, "result": {"uuid": UUID}}
    assert Visitor.objects.count() == 1


def test_the_same_uuid_on_two_sites_is_two_visitors(api, api_site):
    other = SiteFactory()
    create_visitor(api, api_site.slug, {"uuid": UUID})

    create_visitor(ApiClient(make_key(other).raw_key), other.slug, {"uuid": UUID})

    assert Visitor.objects.filter(uuid=UUID).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [({"uuid": "not-a-uuid"}, "`data.uuid` must be a UUID"), ({}, "`data.uuid` is required")],
    ids=["bad-uuid", "no-uuid"],
)
def test_a_bad_visitor_is_refused(api, api_site, data, message):
    response = create_visitor(api, api_site.slug, data)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": message}
    assert Visitor.objects.count() == 0


def track_visit(api: ApiClient, slug: str, claim_id: int) -> object:
    return api.put(f"/api/v2/visitor_offers/{claim_id}/track_visit?site_slug={slug}", {})


def test_track_visit_marks_the_claim_visited(api, api_site, time_machine):
    # given a friend's claim
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    friend_clicks(joined["offer"]["claim_url"])
    claim = Claim.objects.get()
    assert claim.visited_at is None

    # when the merchant reports the friend's visit ten minutes later
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    response = track_visit(api, api_site.slug, claim.pk)

    # then it succeeds and the claim records when
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True}
    claim.refresh_from_db()
    assert claim.visited_at == NOW + timedelta(minutes=10)


def test_track_visit_of_an_unknown_visitor_offer(api, api_site):
    response = track_visit(api, api_site.slug, 987654)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No visitor offer found by id."}


def test_track_visit_of_another_sites_claim_is_unknown(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site.slug)
    friend_clicks(joined["offer"]["claim_url"])
    claim = Claim.objects.get()
    other = SiteFactory()

    response = track_visit(ApiClient(make_key(other).raw_key), other.slug, claim.pk)

    assert response.json() == {"ok": False, "error_message": "No visitor offer found by id."}
    claim.refresh_from_db()
    assert claim.visited_at is None
