"""Staff accounts: `goodword staff add/list`, and the demo agent `goodword run` prints."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import authenticate, get_user_model

from goodword.cli import main
from goodword.core.errors import DomainError
from goodword.portal.models import StaffMembership
from goodword.portal.staff import DEMO_AGENT, staff_add, staff_demo_ensure, staff_list
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_adding_a_new_user_gives_a_one_time_password_that_logs_in(api_site):
    added = staff_add(email=" Ann@Example.com ", site_slug=api_site.slug, role="agent")

    assert (added.email, added.created, added.role) == ("ann@example.com", True, "agent")
    assert added.password is not None and len(added.password) >= 12
    assert authenticate(username="ann@example.com", password=added.password) is not None
    membership = StaffMembership.objects.get(user__username="ann@example.com")
    assert (membership.site_id, membership.role) == (api_site.site.pk, "agent")


def test_adding_again_changes_the_role_and_keeps_the_password(api_site):
    first = staff_add(email="ann@example.com", site_slug=api_site.slug, role="agent")

    again = staff_add(email="ann@example.com", site_slug=api_site.slug, role="viewer")

    assert (again.created, again.password) == (False, None)
    assert StaffMembership.objects.get().role == "viewer"
    assert authenticate(username="ann@example.com", password=first.password) is not None


def test_a_second_site_is_a_second_membership(api_site):
    other = SiteFactory()
    staff_add(email="ann@example.com", site_slug=api_site.slug, role="agent")
    staff_add(email="ann@example.com", site_slug=other.slug, role="manager")

    assert staff_list() == [
        {
            "email": "ann@example.com",
            "active": True,
            "last_login": None,
            "sites": [
                {"site_slug": s.slug, "role": r}
                for s, r in sorted(
                    [(api_site.site, "agent"), (other, "manager")], key=lambda x: x[0].slug
                )
            ],
        }
    ]
    assert staff_list(site_slug=other.slug)[0]["sites"] == [
        {"site_slug": other.slug, "role": "manager"}
    ]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"email": "not-an-email", "role": "agent"}, "email_invalid"),
        ({"email": "a@example.com", "role": "owner"}, "role_invalid"),
        ({"email": "a" * 140 + "@example.com", "role": "agent"}, "email_invalid"),
        ({"email": "a@example.com", "role": "agent", "password": "short"}, "password_invalid"),
        ({"email": "a@example.com", "role": "agent", "site_slug": "nope"}, "site_not_found"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(api_site, kwargs, code):
    with pytest.raises(DomainError) as refused:
        staff_add(**{"site_slug": api_site.slug, **kwargs})

    assert refused.value.code == code
    assert not get_user_model().objects.exists()
    assert not StaffMembership.objects.exists()


def test_the_cli_adds_with_a_password_from_stdin_and_lists(api_site, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Correct-horse-battery-9\n"))

    assert (
        main(
            [
                "staff",
                "add",
                "bo@example.com",
                "--site",
                api_site.slug,
                "--role",
                "viewer",
                "--password-stdin",
            ]
        )
        == 0
    )
    added = json.loads(capsys.readouterr().out)
    assert added == {
        "email": "bo@example.com",
        "site_slug": api_site.slug,
        "role": "viewer",
        "created": True,
    }
    assert authenticate(username="bo@example.com", password="Correct-horse-battery-9")

    assert main(["staff", "list", "--site", api_site.slug]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [u["email"] for u in listed["staff"]] == ["bo@example.com"]


def test_the_cli_prints_a_new_users_password_once(api_site, capsys):
    assert main(["staff", "add", "cy@example.com", "--site", api_site.slug, "--role", "agent"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert authenticate(username="cy@example.com", password=out["password"])

    assert main(["staff", "add", "cy@example.com", "--site", api_site.slug, "--role", "agent"]) == 0
    assert "password" not in json.loads(capsys.readouterr().out)


def test_the_cli_refuses_an_empty_stdin_password_and_a_bad_site(api_site, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert (
        main(
            [
                "staff",
                "add",
                "d@example.com",
                "--site",
                api_site.slug,
                "--role",
                "agent",
                "--password-stdin",
            ]
        )
        == 2
    )
    assert main(["staff", "add", "d@example.com", "--site", "nope", "--role", "agent"]) == 2
    err = capsys.readouterr().err
    assert "no password on standard input" in err
    assert "No site 'nope'" in err
    assert not get_user_model().objects.exists()


def test_the_demo_agent_is_made_once_and_its_password_kept(api_site, tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    path = tmp_path / "demo_portal_password"

    email, password = staff_demo_ensure(site_slug=api_site.slug, password_file=path)
    again = staff_demo_ensure(site_slug=api_site.slug, password_file=path)

    assert (email, password) == (DEMO_AGENT, path.read_text())
    assert again == (email, password)
    assert StaffMembership.objects.get(user__username=DEMO_AGENT).role == "agent"

    # a password changed in the portal is set anew (and written down) on the next run
    user = get_user_model().objects.get(username=DEMO_AGENT)
    user.set_password("Changed-in-the-portal-1")
    user.save()
    _, fresh = staff_demo_ensure(site_slug=api_site.slug, password_file=path)
    assert fresh != password and authenticate(username=DEMO_AGENT, password=fresh)


def test_a_reset_gives_a_new_one_time_password_and_lifts_a_lockout(api_site, capsys):
    from goodword.portal.models import LoginFailure
    from goodword.portal.staff import LOCK_FAILURES, login_failed, login_locked_for

    first = staff_add(email="ed@example.com", site_slug=api_site.slug, role="agent")
    for _ in range(LOCK_FAILURES):
        login_failed(username="ed@example.com", ip_address="192.0.2.9")
    assert login_locked_for(username="ed@example.com", ip_address=None) is not None

    assert (
        main(
            [
                "staff",
                "add",
                "ed@example.com",
                "--site",
                api_site.slug,
                "--role",
                "agent",
                "--reset-password",
            ]
        )
        == 0
    )

    fresh = json.loads(capsys.readouterr().out)["password"]
    assert fresh != first.password
    assert authenticate(username="ed@example.com", password=fresh) is not None
    assert authenticate(username="ed@example.com", password=first.password) is None
    assert not LoginFailure.objects.filter(username="ed@example.com").exists()
    assert login_locked_for(username="ed@example.com", ip_address=None) is None
