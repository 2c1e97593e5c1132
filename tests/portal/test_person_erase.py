"""The person page's Erase action: an agent erases a person through the API's service; the audit
keeps who erased whom and when, never the erased address."""

from __future__ import annotations

import pytest

from goodword.people.models import Person
from goodword.portal.models import AuditEntry
from goodword.privacy.models import Erasure
from tests.portal.support import ADVOCATE, FRIEND, flagged_referral
from tests.privacy.support import find_everywhere

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def url(site, person_id: int, action: str = "") -> str:
    return f"/portal/{site.slug}/people/{person_id}/" + (f"{action}/" if action else "")


def test_an_agent_erases_a_person_and_the_audit_keeps_no_trace_of_them(
    api, api_site, agent, agent_client
):
    # given a friend of a flagged referral
    referral = flagged_referral(api, api_site.site)

    # when an agent erases them with a note that repeats their address
    response = agent_client.post(
        url(api_site.site, referral.friend_id, "erase"),
        {"note": f"GDPR request from {FRIEND}", "confirm": "yes"},
        follow=True,
    )

    # then they are erased, the page says so, and the audit entry names the new address only
    page = response.content.decode()
    friend = Person.objects.get(pk=referral.friend_id)
    assert friend.anonymized_at is not None and friend.email.endswith("@anonymized.email")
    assert "The person is erased" in page and friend.email in page
    entry = AuditEntry.objects.get(action="person.erase")
    assert (entry.object_id, entry.object_label, entry.user_email) == (
        friend.pk,
        friend.email,
        agent.email,
    )
    assert entry.note == f"GDPR request from {friend.email}"
    assert entry.detail.endswith("rows erased")
    assert Erasure.objects.get(person=friend).actor == f"staff {agent.email}"
    assert find_everywhere(FRIEND) == []
    # the advocate is someone else: untouched
    assert Person.objects.filter(email=ADVOCATE).exists()


def test_a_second_erase_is_refused_and_records_nothing(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site)
    agent_client.post(url(api_site.site, referral.friend_id, "erase"), {"confirm": "yes"})

    again = agent_client.post(
        url(api_site.site, referral.friend_id, "erase"), {"confirm": "yes"}, follow=True
    )

    assert "was erased on" in again.content.decode()
    assert AuditEntry.objects.filter(action="person.erase").count() == 1


def test_a_viewer_cannot_erase(api, api_site, viewer_client):
    referral = flagged_referral(api, api_site.site)

    page = viewer_client.get(url(api_site.site, referral.friend_id)).content.decode()
    response = viewer_client.post(url(api_site.site, referral.friend_id, "erase"))

    assert "Erase (GDPR)" not in page
    assert response.status_code == 403
    assert Person.objects.get(pk=referral.friend_id).anonymized_at is None


def test_erasing_without_the_csrf_token_is_refused(api, api_site, agent):
    from tests.portal.support import client_for

    referral = flagged_referral(api, api_site.site)

    response = client_for(agent, csrf=True).post(
        url(api_site.site, referral.friend_id, "erase"), {"confirm": "yes"}
    )

    assert response.status_code == 403
    assert Person.objects.get(pk=referral.friend_id).anonymized_at is None


def test_another_sites_person_is_not_found(api, api_site, other_site, agent_client):
    from tests.factories import PersonFactory

    stranger = PersonFactory(site=other_site)

    response = agent_client.post(url(api_site.site, stranger.pk, "erase"), {"confirm": "yes"})

    assert response.status_code == 404
    assert Person.objects.get(pk=stranger.pk).anonymized_at is None


def test_the_service_checks_the_role_too(api, api_site, viewer):
    from goodword.portal.access import Forbidden
    from goodword.portal.services import person_erase_by_staff
    from tests.portal.support import staff_of

    referral = flagged_referral(api, api_site.site)

    with pytest.raises(Forbidden):
        person_erase_by_staff(staff=staff_of(viewer, api_site.site), person_id=referral.friend_id)


def test_an_erase_posted_without_its_confirmation_erases_nothing(api, api_site, agent_client):
    # given a friend, and a post to Erase without the box that says it cannot be undone (a
    # script, or a browser without HTMX's prompt and the form's required box)
    referral = flagged_referral(api, api_site.site)

    response = agent_client.post(
        url(api_site.site, referral.friend_id, "erase"), {"note": "GDPR"}, follow=True
    )

    # then nothing is erased or audited, and the page says why
    assert "Nothing was erased" in response.content.decode()
    friend = Person.objects.get(pk=referral.friend_id)
    assert friend.anonymized_at is None and friend.email == FRIEND
    assert not AuditEntry.objects.filter(action="person.erase").exists()
    assert not Erasure.objects.exists()
