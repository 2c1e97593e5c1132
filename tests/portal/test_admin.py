"""The admin: staff memberships editable, the audit trail read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from goodword.portal.audit import audit_record
from goodword.portal.models import StaffMembership
from tests.portal.support import staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-long-enough")
    client = Client()
    client.force_login(user)
    return client


def test_a_membership_added_in_the_admin_gets_its_time(api_site, superuser):
    user = get_user_model().objects.create_user("ann@example.com", "ann@example.com", "x")

    response = superuser.post(
        "/admin/portal/staffmembership/add/",
        {"user": user.pk, "site": api_site.site.pk, "role": "viewer"},
    )

    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=user)
    assert membership.role == "viewer" and membership.created_at is not None


def test_the_audit_trail_is_listed_but_cannot_be_changed(api_site, agent, superuser):
    entry = audit_record(
        staff=staff_of(agent, api_site.site),
        action="referral.void",
        object_type="referral",
        object_id=1,
        note="dup",
    )

    listed = superuser.get("/admin/portal/auditentry/")
    change = superuser.post(f"/admin/portal/auditentry/{entry.pk}/change/", {"note": "edited"})

    assert listed.status_code == 200 and b"referral.void" in listed.content
    assert change.status_code == 403
    entry.refresh_from_db()
    assert entry.note == "dup"
