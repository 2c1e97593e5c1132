"""Logging in and out, the failed-login limit, password change, CSRF, and who sees which site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from goodword.portal.models import LoginFailure
from goodword.portal.staff import LOCK_FAILURES, LOCK_IP_FAILURES, LOCK_WINDOW
from tests.portal.support import PASSWORD, client_for, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

LOGIN = "/portal/login/"


def log_in(client: Client, email: str, password: str, ip: str = "192.0.2.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_an_anonymous_visitor_is_sent_to_the_login_page(api_site):
    response = Client().get(f"/portal/{api_site.slug}/search/?q=x")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_logging_in_with_the_email_in_any_case_opens_the_only_site(api_site, agent):
    client = Client()

    response = log_in(client, agent.email.upper(), PASSWORD)

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == f"/portal/{api_site.slug}/"
    assert client.get(f"/portal/{api_site.slug}/").status_code == 200


def test_a_wrong_password_is_refused_and_counted(agent):
    response = log_in(Client(), agent.email, "wrong password")

    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    assert LoginFailure.objects.filter(username=agent.email).count() == 1


def test_the_account_locks_after_repeated_failures_even_for_the_right_password(agent, time_machine):
    for _ in range(LOCK_FAILURES):
        log_in(Client(), agent.email, "wrong password")

    client = Client()
    response = log_in(client, agent.email, PASSWORD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many failed logins: this account is locked for 15 more minutes." in page
    assert "_auth_user_id" not in client.session

    # and after the window has passed the right password works, and clears the count
    time_machine.shift(LOCK_WINDOW + timedelta(seconds=1))
    assert log_in(Client(), agent.email, PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username=agent.email).exists()


def test_one_address_trying_many_accounts_is_locked_out(api_site, agent):
    for n in range(LOCK_IP_FAILURES):
        log_in(Client(), f"guess{n}@example.com", "x", ip="203.0.113.66")

    locked = log_in(Client(), agent.email, PASSWORD, ip="203.0.113.66")
    elsewhere = log_in(Client(), agent.email, PASSWORD, ip="203.0.113.67")

    assert "Too many failed logins" in locked.content.decode()
    assert elsewhere.status_code == 302


def test_a_user_without_a_site_sees_how_to_get_one(db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("lost@example.com", "lost@example.com", PASSWORD)

    page = client_for(user).get("/portal/").content.decode()

    assert "You belong to no site yet" in page
    assert "goodword staff add lost@example.com --site SLUG --role agent" in page


def test_a_user_of_several_sites_picks_one_and_sees_only_theirs(api_site, other_site):
    from tests.factories import SiteFactory

    third = SiteFactory()
    make_staff(api_site.site, "agent", "two@example.com")
    user = make_staff(other_site, "viewer", "two@example.com")

    page = client_for(user).get("/portal/").content.decode()

    assert api_site.slug in page and other_site.slug in page
    assert third.slug not in page


@pytest.mark.parametrize(
    "path",
    [
        "",
        "search/?q=x",
        "people/1/",
        "referrals/1/",
        "referrals/new/",
        "audit/",
    ],
)
def test_every_page_of_another_site_is_not_found(api_site, other_site, agent_client, path):
    assert agent_client.get(f"/portal/{other_site.slug}/{path}").status_code == 404
    assert agent_client.get(f"/portal/no-such-site/{path}").status_code == 404


@pytest.mark.parametrize("path", ["people/1/unsubscribe/", "referrals/1/approve/"])
def test_every_action_of_another_site_is_not_found(other_site, agent_client, path):
    assert agent_client.post(f"/portal/{other_site.slug}/{path}").status_code == 404


def test_a_deactivated_user_sees_nothing(api_site, agent):
    agent.is_active = False
    agent.save()

    client = Client()
    client.force_login(agent)

    assert client.get(f"/portal/{api_site.slug}/").status_code == 302


def test_logging_out_takes_a_post_and_ends_the_session(api_site, agent_client):
    assert agent_client.get(f"/portal/{api_site.slug}/").status_code == 200

    response = agent_client.post("/portal/logout/")

    assert response.status_code == 302
    assert agent_client.get(f"/portal/{api_site.slug}/").status_code == 302


def test_the_login_form_refuses_a_post_without_its_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN, {"username": agent.email, "password": PASSWORD})

    assert response.status_code == 403


def test_changing_the_password(agent, agent_client):
    response = agent_client.post(
        "/portal/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "An-even-longer-secret-7",
            "new_password2": "An-even-longer-secret-7",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/portal/password/done/"
    agent.refresh_from_db()
    assert agent.check_password("An-even-longer-secret-7")


def test_a_weak_new_password_is_refused(agent, agent_client):
    response = agent_client.post(
        "/portal/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_a_viewer_cannot_open_the_manual_referral_form(api_site, viewer_client):
    assert viewer_client.get(f"/portal/{api_site.slug}/referrals/new/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/portal/{site}/referrals/1/approve/",
        "/portal/{site}/referrals/1/void/",
        "/portal/{site}/referrals/1/unblock/",
        "/portal/{site}/people/1/unsubscribe/",
        "/portal/{site}/referrals/new/",
        "/portal/{site}/api-keys/",
        "/portal/{site}/api-keys/abcdefgh/revoke/",
        "/portal/{site}/coupons/import/",
        "/portal/password/",
        "/portal/logout/",
    ],
)
def test_every_form_refuses_a_post_without_the_csrf_token(api_site, path):
    manager = make_staff(api_site.site, "manager")
    client = client_for(manager, csrf=True)

    response = client.post(path.format(site=api_site.slug), {"note": "x"})

    assert response.status_code == 403
    assert b"CSRF" in response.content
