"""The admin: staff memberships editable, the audit trail read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from goodword.portal.audit import audit_record
from goodword.portal.models import LoginFailure, StaffMembership
from goodword.portal.staff import LOCK_FAILURES, LOCK_IP_FAILURES, LOCK_WINDOW
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


ADMIN_LOGIN = "/admin/login/"


def admin_log_in(client: Client, username: str, password: str, ip: str = "192.0.2.9"):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_the_admin_login_locks_after_repeated_failures_like_the_portal(time_machine):
    # given a superuser whose name is typed in mixed case
    time_machine.move_to("2026-03-01T12:00:00Z", tick=False)
    get_user_model().objects.create_superuser("Root", "root@example.com", "pw-long-enough")

    # when their password is guessed wrong as often as the portal allows
    for _ in range(LOCK_FAILURES):
        refused = admin_log_in(Client(), "Root", "guess")
        assert refused.status_code == 200
    client = Client()
    locked = admin_log_in(client, "Root", "pw-long-enough")

    # then even the right password is refused for the window, saying why
    assert locked.status_code == 200
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="root").count() == LOCK_FAILURES

    # and after the window the right password logs in, as typed
    time_machine.shift(LOCK_WINDOW + timedelta(seconds=1))
    opened = admin_log_in(Client(), "Root", "pw-long-enough")
    assert opened.status_code == 302 and opened["Location"] == "/admin/"


def test_one_address_guessing_admin_accounts_is_locked_out(time_machine):
    # given a superuser
    time_machine.move_to("2026-03-01T12:00:00Z", tick=False)
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-long-enough")

    # when one address tries many names
    for n in range(LOCK_IP_FAILURES):
        admin_log_in(Client(), f"admin{n}", "x", ip="203.0.113.90")

    # then that address is refused the right password, and another address is not
    locked = admin_log_in(Client(), "root", "pw-long-enough", ip="203.0.113.90")
    assert "Too many failed logins" in locked.content.decode()
    assert admin_log_in(Client(), "root", "pw-long-enough", ip="203.0.113.91").status_code == 302
