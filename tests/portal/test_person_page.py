"""The person page and unsubscribing a person."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goodword.people.models import Person
from goodword.portal.models import AuditEntry
from goodword.webhooks.models import Delivery, HookType
from tests.portal.support import ADVOCATE, FRIEND, flagged_referral, pending_referral
from tests.referrals.program import put_status
from tests.webhooks.support import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def url(site, person_id: int, action: str = "") -> str:
    return f"/portal/{site.slug}/people/{person_id}/" + (f"{action}/" if action else "")


def test_the_advocates_page_shows_offers_links_referrals_rewards_and_webhooks(
    api, api_site, agent_client
):
    # given an approved referral on a site that gets referral webhooks
    subscribe(api_site.site, "http://127.0.0.1:9/hooks", HookType.REFERRAL)
    referral = flagged_referral(api, api_site.site, "P-1")
    put_status(api, api_site.slug, "P-1", "approved")

    page = agent_client.get(url(api_site.site, referral.advocate_id)).content.decode()

    assert f"<h1>{ADVOCATE} " in page
    assert "https://refer.example.com/x/" in page  # the claim link
    assert "Invite a friend" in page  # the offer's campaign
    assert FRIEND in page and "P-1" in page  # the referral as advocate
    assert "advocate-rebate" in page  # the reward
    assert "referral_web_hook" in page  # the delivery about their referral
    # the erase action is offered, behind a confirmation
    assert 'id="erase-form"' in page and 'hx-confirm="Erase ' in page
    assert '<input type="checkbox" name="confirm" value="yes" required>' in page


def test_the_friends_page_shows_their_origin_and_referral_as_friend(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site, "P-2")

    page = agent_client.get(url(api_site.site, referral.friend_id)).content.decode()

    assert 'id="as-friend"' in page
    assert f"/portal/{api_site.slug}/referrals/{referral.pk}/" in page
    assert ADVOCATE in page


def test_an_agent_unsubscribes_a_person_once(api, api_site, agent, agent_client):
    subscribe(api_site.site, "http://127.0.0.1:9/hooks", HookType.UNSUBSCRIBE)
    referral = flagged_referral(api, api_site.site)

    response = agent_client.post(
        url(api_site.site, referral.friend_id, "unsubscribe"), {"note": "asked by phone"}
    )

    assert response.status_code == 302
    friend = Person.objects.get(pk=referral.friend_id)
    assert friend.unsubscribed_at is not None
    assert Delivery.objects.filter(hook_type=HookType.UNSUBSCRIBE).count() == 1
    entry = AuditEntry.objects.get(object_type="person", object_id=friend.pk)
    assert (entry.action, entry.note, entry.user_email) == (
        "person.unsubscribe",
        "asked by phone",
        agent.email,
    )

    # a second click is refused, tells nobody twice, and records nothing
    again = agent_client.post(url(api_site.site, friend.pk, "unsubscribe"), follow=True)
    assert "has been unsubscribed since" in again.content.decode()
    assert Delivery.objects.filter(hook_type=HookType.UNSUBSCRIBE).count() == 1
    assert AuditEntry.objects.count() == 1
    assert "asked by phone" in again.content.decode()  # the audit shows on the page


def test_a_viewer_cannot_unsubscribe(api, api_site, viewer_client):
    referral = flagged_referral(api, api_site.site)

    page = viewer_client.get(url(api_site.site, referral.friend_id)).content.decode()
    response = viewer_client.post(url(api_site.site, referral.friend_id, "unsubscribe"))

    assert "Unsubscribe</button>" not in page
    assert response.status_code == 403
    assert Person.objects.get(pk=referral.friend_id).unsubscribed_at is None


def test_unsubscribing_without_the_csrf_token_is_refused(api, api_site, agent):
    from tests.portal.support import client_for

    referral = flagged_referral(api, api_site.site)

    response = client_for(agent, csrf=True).post(
        url(api_site.site, referral.friend_id, "unsubscribe")
    )

    assert response.status_code == 403
    assert Person.objects.get(pk=referral.friend_id).unsubscribed_at is None


def test_another_sites_person_is_not_found(api, api_site, other_site, agent_client):
    from tests.factories import PersonFactory

    stranger = PersonFactory(site=other_site)

    assert agent_client.get(url(api_site.site, stranger.pk)).status_code == 404
    assert agent_client.post(url(api_site.site, stranger.pk, "unsubscribe")).status_code == 404
    stranger.refresh_from_db()
    assert stranger.unsubscribed_at is None


def test_the_page_costs_the_same_queries_for_one_referral_or_many(api, api_site, agent_client):
    # given one advocate with one referral and another with four
    subscribe(api_site.site, "http://127.0.0.1:9/hooks", HookType.REFERRAL)
    busy = flagged_referral(api, api_site.site, "M-0")
    for n in range(1, 4):
        pending_referral(api, api_site.site, f"M-{n}", f"friend{n}@example.net", ADVOCATE)
        put_status(api, api_site.slug, f"M-{n}", "approved")
    quiet = pending_referral(api, api_site.site, "Q-1", "pal@example.net", "quiet@example.com")
    agent_client.get(url(api_site.site, quiet.advocate_id))  # warm the program snapshot

    counts = []
    for person_id in (quiet.advocate_id, busy.advocate_id):
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(url(api_site.site, person_id)).status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 14
