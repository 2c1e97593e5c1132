"""Security headers on HTML pages (core.middleware.ContentSecurityPolicyMiddleware, settings):
a Content-Security-Policy that runs scripts from our own origin only, on every kind of HTML page
we serve, and pages that need nothing more (no inline script, no on* handler); HSTS and secure
cookies when the base URL is https."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from goodword.core.middleware import CONTENT_SECURITY_POLICY
from tests.ops.support import clean_env
from tests.portal.support import client_for, make_staff

pytestmark = pytest.mark.django_db

# A <script> element that runs code of its own: no src, and not a JSON data block.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def staff_client(api_site) -> Client:
    return client_for(make_staff(api_site.site, "agent"))


def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Secret-9")
    client = Client()
    client.force_login(user)
    return client


PAGES = {
    "portal login": (lambda site: Client(), "/portal/login/"),
    "portal queue": (staff_client, "/portal/{slug}/queues/flagged/"),
    "portal dashboard": (staff_client, "/portal/{slug}/"),
    "claim page of an unknown link": (lambda site: Client(), "/x/no-such-code"),
    "admin login": (lambda site: Client(), "/admin/login/"),
    "admin index": (lambda site: admin_client(), "/admin/"),
    "admin change list": (lambda site: admin_client(), "/admin/sites/site/"),
    "API docs": (lambda site: Client(), "/api/v2/docs"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_html_page_has_a_script_tight_policy_it_can_live_with(api_site, page):
    # given a page of each kind, as its user sees it
    make_client, path = PAGES[page]
    client = make_client(api_site)

    # when it is fetched
    response = client.get(path.format(slug=api_site.slug))

    # then it is HTML with the policy, and it has no script the policy would block
    assert response.status_code == (404 if "unknown" in page else 200)
    assert response["Content-Type"].startswith("text/html"), response.status_code
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not HANDLER_ATTRIBUTE.search(html), HANDLER_ATTRIBUTE.search(html)


def test_the_policy_runs_no_inline_or_foreign_script():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_json_answers_carry_no_policy(api, api_site):
    response = api.get("/api/v2/rewards", {"site_slug": api_site.slug})
    assert "Content-Security-Policy" not in response


def settings_under(**env: str) -> dict:
    """Security settings as a process started with `env` computes them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(DJANGO_SETTINGS_MODULE="goodword.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    hsts, session, csrf, proxy = json.loads(done.stdout.strip().splitlines()[-1])
    return {"hsts": hsts, "session": session, "csrf": csrf, "proxy": proxy}


def test_https_base_url_turns_on_hsts_and_secure_cookies(tmp_path):
    secure = settings_under(
        GOODWORD_BASE_URL="https://refer.example.com", GOODWORD_VAR_DIR=str(tmp_path)
    )
    plain = settings_under(
        GOODWORD_BASE_URL="http://localhost:8000", GOODWORD_VAR_DIR=str(tmp_path)
    )
    proxied = settings_under(
        GOODWORD_BASE_URL="https://refer.example.com",
        GOODWORD_SECURE_PROXY_SSL_HEADER="1",
        GOODWORD_VAR_DIR=str(tmp_path),
    )

    assert secure == {"hsts": 365 * 24 * 3600, "session": True, "csrf": True, "proxy": None}
    assert plain == {"hsts": 0, "session": False, "csrf": False, "proxy": None}
    assert proxied["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_hsts_goes_out_on_secure_requests(settings, db):
    # given https settings and a proxy that says the request came over TLS
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    # when a page is fetched through it, and without it
    through_tls = Client().get("/portal/login/", headers={"X-Forwarded-Proto": "https"})
    plain = Client().get("/portal/login/")

    # then only the secure request is told to stay on https
    assert through_tls["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in plain
