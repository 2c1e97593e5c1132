"""goodword.core.input_guard: a NUL character anywhere in the request line, a header or a form
body is a 400 (the envelope under /api/, a short page elsewhere), before any view, session or
key lookup reaches the database; authenticated or not, on every kind of page."""

from __future__ import annotations

import json
from html import unescape
from typing import Any

import pytest
from django.test import Client

from goodword.offers.models import Claim
from tests.helpers import assert_error, stored_counts
from tests.portal.support import client_for, make_staff
from tests.referrals.program import build_program, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def assert_html_400(response: Any, where: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = unescape(response.content.decode())
    assert f"The request's {where} contains a NUL character" in html
    assert "Traceback" not in html


def assert_api_400(response: Any, where: str) -> None:
    message = assert_error(response, 400)
    assert message == f"The request's {where} contains a NUL character, which is not accepted"


# ---- the API, with and without a key ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/people/ada%00@example.com",
        "/api/v2/coupons/SAVE%0010",
        "/api/v2/offers/ab%00cd",
        "/api/v2/origins/ORD%00-1/referral/trace",
        "/api/v2/%00",
    ],
)
@pytest.mark.parametrize("with_key", [True, False], ids=["key", "no-key"])
def test_a_nul_in_an_api_path_is_a_400_in_the_envelope(api_site, api, path, with_key):
    # given a request whose path carries a NUL, with the site's key or none
    client = api.client if with_key else Client()
    headers = {"Authorization": f"Bearer {api_site.key}"} if with_key else {}

    # when it is sent
    response = client.get(path, headers=headers)

    # then it is refused as such, not answered 500 (nor 401: nothing looked the key up)
    assert_api_400(response, "path")


@pytest.mark.parametrize(
    "query",
    [
        {"site_slug": "shop\x00"},
        {"status": "approved\x00"},
        {"visitor_uuid": "\x00"},
        {"claim_url": "https://x.example/\x00"},
        {"sharing_channels[]": "face\x00book"},
    ],
    ids=["site_slug", "status", "visitor_uuid", "claim_url", "channels"],
)
def test_a_nul_in_an_api_query_parameter_is_a_400_in_the_envelope(api, api_site, query):
    # given an offer to ask about
    build_program(api_site.site)
    code = join(api, api_site.slug)["offer"]["short_url_code"]

    for path in ("/api/v2/rewards", f"/api/v2/offers/{code}", "/api/v2/people/x/rewards"):
        # when a query parameter carries a NUL
        response = api.get(path, query)

        # then the answer is a 400 in the envelope
        assert_api_400(response, "query string")


def test_a_nul_in_a_header_is_a_400(api, api_site):
    response = api.client.get(
        "/api/v2/rewards", headers={"Authorization": f"Bearer {api_site.key}\x00"}
    )
    assert_api_400(response, "Authorization header")


def test_a_nul_in_a_json_body_is_still_refused_by_the_parser_and_stores_nothing(api, api_site):
    # given a purchase whose email carries an escaped NUL
    before = stored_counts()
    body = json.dumps(
        {"site_slug": api_site.slug, "data": {"email": "a\u0000@x.org", "order_number": "1"}}
    )

    # when it is posted
    response = api.post("/api/v2/origins/purchase", body, raw=True)

    # then it is a 400 naming the field, and nothing is stored
    assert "NUL" in assert_error(response, 400)
    assert stored_counts() == before


# ---- the claim pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/x/%00", "/x/ab%00cd", "/x/abc?utm=%00"])
def test_a_nul_in_a_claim_link_is_a_400_page_not_a_500(path):
    # given an anonymous visitor, with no site behind the code at all
    # when they open a link with a NUL in it
    response = Client().get(path)

    # then they get a short 400 page
    assert_html_400(response, "path" if "?" not in path else "query string")


def test_a_nul_in_the_claim_forms_email_is_a_400_and_records_no_claim(api, api_site):
    # given a gated claim link (the friend types an email)
    build_program(api_site.site, gate_email=True)
    url = join(api, api_site.slug)["offer"]["claim_url"]
    path = "/x/" + url.rsplit("/x/", 1)[1]

    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # when the form is posted with a NUL in the address, in either encoding
        if content_type == "multipart/form-data":
            response = Client().post(path, {"email": "friend\x00@example.com"})
        else:
            response = Client().post(
                path, "email=friend%00%40example.com", content_type=content_type
            )

        # then it is refused before any claim is recorded
        assert_html_400(response, "form body")
        assert Claim.objects.count() == 0


# ---- the portal and the admin ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/portal/{slug}/search/?q=ORD%00", "query string"),
        ("/portal/{slug}/people/a%00b/", "path"),
        ("/portal/%00/", "path"),
        ("/admin/%00/", "path"),
        ("/admin/login/?next=%00", "query string"),
    ],
)
@pytest.mark.parametrize("logged_in", [True, False], ids=["staff", "anonymous"])
def test_a_nul_in_a_portal_or_admin_url_is_a_400(api_site, path, where, logged_in):
    client = client_for(make_staff(api_site.site, "agent")) if logged_in else Client()

    response = client.get(path.format(slug=api_site.slug))

    assert_html_400(response, where)


def test_a_nul_in_a_portal_form_is_a_400(api_site):
    # given a logged-in agent
    client = client_for(make_staff(api_site.site, "agent"))

    # when a form is posted with a NUL in a field
    response = client.post(f"/portal/{api_site.slug}/search/", {"q": "a\x00b"})

    # then it is refused at the door
    assert_html_400(response, "form body")


def test_a_nul_in_a_session_cookie_is_a_400_not_a_database_error(api_site):
    response = Client().get(f"/portal/{api_site.slug}/", HTTP_COOKIE="sessionid=abcdefgh\x00ijkl")

    assert_html_400(response, "Cookie header")


def test_clean_requests_pass_the_guard(api, api_site):
    # given an offer
    build_program(api_site.site)
    code = join(api, api_site.slug)["offer"]["short_url_code"]

    # when it is asked about with a query that merely looks alike (a percent sign, a zero)
    response = api.get(f"/api/v2/offers/{code}", {"site_slug": api_site.slug, "ref": "100%00 0"})

    # then the guard lets it through
    assert response.status_code == 200, response.content
    assert Client().get("/healthz").status_code == 200


# ---- the number of query parameters ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v2/rewards", "/x/abc", "/portal/"])
def test_more_query_parameters_than_django_parses_is_a_400(api_site, path, settings):
    # given a query string one parameter past the limit
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = "&".join(f"p{i}=1" for i in range(limit + 1))

    # when it is sent, with a key under /api/
    response = Client().get(f"{path}?{query}", headers={"Authorization": f"Bearer {api_site.key}"})

    # then it is a 400 saying so, not a 500 from whichever view read the query first
    message = f"The query string has {limit + 1} parameters: at most {limit}"
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert assert_error(response, 400) == message
    else:
        assert message in response.content.decode()


def test_a_query_at_the_parameter_limit_is_answered(api, api_site, settings):
    build_program(api_site.site)
    code = join(api, api_site.slug)["offer"]["short_url_code"]
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = "&".join([f"site_slug={api_site.slug}", *(f"p{i}=1" for i in range(limit - 1))])

    response = api.client.get(
        f"/api/v2/offers/{code}?{query}", headers={"Authorization": f"Bearer {api_site.key}"}
    )

    assert response.status_code == 200, response.content


def test_a_malformed_multipart_body_is_left_to_the_views_as_before(api, api_site):
    # given a multipart body whose boundary is never closed, to the API and to a claim page
    body = b"--xyz\r\nContent-Disposition: form-data; name=email\r\n\r\nfriend"
    content_type = "multipart/form-data; boundary=xyz"

    # when it is posted
    api_answer = api.post("/api/v2/origins/purchase", body, raw=True, CONTENT_TYPE=content_type)

    # then the API still answers from its JSON parser, in the envelope
    assert assert_error(api_answer, 400) == "The request body is not valid JSON"
