"""The audit trail: every staff action stored with who, when, site, object and note; listed per
site newest first with keyset pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goodword.portal.audit import audit_for_object, audit_page, audit_record
from goodword.portal.models import AuditEntry
from tests.conftest import NOW
from tests.portal.support import flagged_referral, make_staff, staff_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def test_an_entry_keeps_who_when_where_what_and_why(api_site, agent):
    staff = staff_of(agent, api_site.site)

    entry = audit_record(
        staff=staff,
        action="referral.void",
        object_type="referral",
        object_id=7,
        object_label="referral 7",
        note="duplicate order",
        detail="pending -> voided",
    )

    entry.refresh_from_db()
    assert entry.site_id == api_site.site.pk
    assert (entry.user_id, entry.user_email) == (agent.pk, agent.email)
    assert entry.created_at == NOW
    assert (entry.action, entry.object_type, entry.object_id, entry.note, entry.detail) == (
        "referral.void",
        "referral",
        7,
        "duplicate order",
        "pending -> voided",
    )


def test_the_email_stays_when_the_user_is_removed(api_site, agent):
    audit_record(
        staff=staff_of(agent, api_site.site), action="x", object_type="person", object_id=1
    )

    agent.delete()

    entry = AuditEntry.objects.get()
    assert entry.user_id is None
    assert entry.user_email == f"agent-{api_site.slug}@staff.example.com"


def test_an_objects_entries_and_only_its_own(api_site, agent, other_site):
    staff = staff_of(agent, api_site.site)
    outsider = staff_of(make_staff(other_site, "agent"), other_site)
    audit_record(staff=staff, action="a", object_type="referral", object_id=1)
    audit_record(staff=staff, action="b", object_type="referral", object_id=2)
    audit_record(staff=staff, action="c", object_type="person", object_id=1)
    audit_record(staff=outsider, action="d", object_type="referral", object_id=1)

    entries = audit_for_object(site_id=api_site.site.pk, object_type="referral", object_id=1)

    assert [e.action for e in entries] == ["a"]


def test_the_list_pages_by_id_newest_first(api_site, agent, time_machine):
    staff = staff_of(agent, api_site.site)
    for n in range(5):
        time_machine.shift(timedelta(seconds=1))
        audit_record(staff=staff, action=f"a{n}", object_type="person", object_id=n)

    first, after = audit_page(site_id=api_site.site.pk, limit=2)
    second, after2 = audit_page(site_id=api_site.site.pk, before_id=after, limit=2)
    third, end = audit_page(site_id=api_site.site.pk, before_id=after2, limit=2)

    assert [e.action for e in first + second + third] == ["a4", "a3", "a2", "a1", "a0"]
    assert end is None


def test_the_audit_page_lists_actions_of_the_site_with_links(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site)
    agent_client.post(
        f"/portal/{api_site.slug}/referrals/{referral.pk}/approve/", {"note": "checked receipt"}
    )

    page = agent_client.get(f"/portal/{api_site.slug}/audit/").content.decode()

    assert "referral.approve" in page
    assert "checked receipt" in page
    assert f'href="/portal/{api_site.slug}/referrals/{referral.pk}/"' in page
    assert "flagged -&gt; approved" in page


def test_the_audit_page_filters_by_object_type_and_pages(api_site, agent, agent_client):
    staff = staff_of(agent, api_site.site)
    for n in range(60):
        audit_record(staff=staff, action="referral.void", object_type="referral", object_id=n)
    audit_record(staff=staff, action="person.unsubscribe", object_type="person", object_id=1)

    people = agent_client.get(f"/portal/{api_site.slug}/audit/?type=person").content.decode()
    first = agent_client.get(f"/portal/{api_site.slug}/audit/?type=referral").content.decode()

    assert "person.unsubscribe" in people and "referral.void" not in people
    assert first.count("referral.void") == 50
    assert "Older actions" in first


def test_a_viewer_reads_the_audit_list(api_site, agent, viewer_client):
    audit_record(
        staff=staff_of(agent, api_site.site),
        action="person.unsubscribe",
        object_type="person",
        object_id=1,
    )

    assert (
        "person.unsubscribe"
        in viewer_client.get(f"/portal/{api_site.slug}/audit/").content.decode()
    )


def test_the_audit_page_costs_the_same_queries_for_few_or_many(api_site, agent, agent_client):
    staff = staff_of(agent, api_site.site)
    audit_record(staff=staff, action="x", object_type="person", object_id=1)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(f"/portal/{api_site.slug}/audit/")
    for n in range(40):
        audit_record(staff=staff, action="x", object_type="person", object_id=n)
    with CaptureQueriesContext(connection) as many:
        agent_client.get(f"/portal/{api_site.slug}/audit/")

    assert len(few.captured_queries) == len(many.captured_queries)
