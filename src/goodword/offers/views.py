"""Public pages behind /x/<code>: the friend's claim link and the advocate's show link."""

from __future__ import annotations

import uuid as uuidlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from goodword.core.http import client_ip
from goodword.core.outage import UNAVAILABLE, outage, unavailable_response
from goodword.core.validators import email_normalise
from goodword.offers.mail import unsubscribe_token_read
from goodword.offers.models import LinkKind
from goodword.offers.services import (
    ResolvedLink,
    advocate_view_record,
    claim_click_admit,
    claim_record,
    link_destination_when_down,
    link_resolve,
    link_url,
)
from goodword.people.services import person_unsubscribe

COOKIE_AGE = 365 * 24 * 3600


def visitor_cookie(site_id: int) -> str:
    """One visitor cookie per site: the uuid a merchant receives as `tkbl_cvuuid` is its own
    site's, so two merchants comparing their visitor uuids cannot link one browser across
    them (every site's claim links share this host, and a cookie shared by all would)."""
    return f"gw_vuuid_{site_id}"


def _visitor(request: HttpRequest, site_id: int) -> uuidlib.UUID:
    try:
        return uuidlib.UUID(request.COOKIES.get(visitor_cookie(site_id), ""))
    except ValueError:
        return uuidlib.uuid4()


def _with_cookie(
    response: HttpResponse, request: HttpRequest, site_id: int, visitor: uuidlib.UUID
) -> HttpResponse:
    response.set_cookie(
        visitor_cookie(site_id),
        str(visitor),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def destination(url: str, visitor: uuidlib.UUID, coupon: str | None) -> str:
    """The campaign's destination with `tkbl_cvuuid` (and the friend's coupon) merged in."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("tkbl_cvuuid", "tkbl_coupon")
    ]
    query.append(("tkbl_cvuuid", str(visitor)))
    if coupon:
        query.append(("tkbl_coupon", coupon))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "offers/not_found.html", status=404)


@require_http_methods(["GET", "POST"])
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return _short_link(request, code)
    except UNAVAILABLE as exc:
        return _while_down(request, code, exc)


def _while_down(request: HttpRequest, code: str, exc: Exception) -> HttpResponse:
    """The database is down: a friend is still sent on to the store (the click goes
    unrecorded, with no code); only a link this process cannot place gets the 503 page, which
    reloads by itself."""
    target = link_destination_when_down(code=code)
    if target is None:
        return unavailable_response(request, exc)
    outage.note_down(exc)
    # Which site the link belongs to is not known here, so neither is the visitor cookie (one per
    # site): the friend goes on with a visitor id of their own, and no cookie is set.
    return HttpResponseRedirect(destination(target, uuidlib.uuid4(), None))


def _short_link(request: HttpRequest, code: str) -> HttpResponse:
    resolved = link_resolve(code=code)
    if resolved is None:
        return _not_found(request)
    site_id = resolved.offer.site_id
    visitor = _visitor(request, site_id)
    ip = client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "")
    if resolved.link.kind == LinkKind.SHOW:
        if request.method != "GET":
            return HttpResponse(status=405)
        advocate_view_record(resolved=resolved, visitor_uuid=visitor, ip=ip, user_agent=agent)
        return _with_cookie(_show_page(request, resolved), request, site_id, visitor)
    if resolved.campaign.gate_email:
        gated = _gated_claim(request, resolved, visitor, ip, agent)
        return _with_cookie(gated, request, site_id, visitor)
    if not claim_click_admit(resolved=resolved, ip=ip):
        target = destination(resolved.campaign.destination_url, visitor, None)
        return _with_cookie(HttpResponseRedirect(target), request, site_id, visitor)
    claim = claim_record(resolved=resolved, visitor_uuid=visitor, ip=ip, user_agent=agent)
    target = destination(resolved.campaign.destination_url, visitor, claim.friend_coupon_code)
    return _with_cookie(HttpResponseRedirect(target), request, site_id, visitor)


def _gated_claim(
    request: HttpRequest, resolved: ResolvedLink, visitor: uuidlib.UUID, ip: str | None, agent: str
) -> HttpResponse:
    context = {
        "advocate_name": resolved.offer.advocate.first_name or "A friend",
        "campaign": resolved.campaign,
        "error": None,
        "email": "",
    }
    if request.method == "POST":
        sent = request.POST.get("email", "")
        email = email_normalise(sent)
        if email is not None and not claim_click_admit(resolved=resolved, ip=ip):
            return HttpResponseRedirect(
                destination(resolved.campaign.destination_url, visitor, None)
            )
        if email is not None:
            claim = claim_record(
                resolved=resolved, visitor_uuid=visitor, ip=ip, user_agent=agent, gated_email=email
            )
            target = destination(
                resolved.campaign.destination_url, visitor, claim.friend_coupon_code
            )
            return HttpResponseRedirect(target)
        context["error"] = "Please enter a valid email address."
        context["email"] = sent.strip().lower()
        return render(request, "offers/claim.html", context, status=400)
    return render(request, "offers/claim.html", context)


def _show_page(request: HttpRequest, resolved: ResolvedLink) -> HttpResponse:
    from goodword.offers.services import offer_view

    view = offer_view(resolved.offer, resolved.program, [])
    return render(
        request,
        "offers/show.html",
        {
            "campaign": resolved.campaign,
            "claim_url": link_url(resolved.program, view.claim_code),
            "advocate_name": resolved.offer.advocate.first_name or resolved.offer.advocate.email,
        },
    )


@csrf_exempt  # the signed token is the credential; mail clients' one-click POST has no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every share mail. GET asks (link checkers and previews open links without
    anyone deciding anything); POST, from the page's button or a mail client's one-click
    unsubscribe (RFC 8058), unsubscribes the address through the People service."""
    found = unsubscribe_token_read(token)
    if found is None:
        return render(request, "offers/unsubscribe.html", {"invalid": True}, status=404)
    site_id, email = found
    if request.method == "POST":
        person_unsubscribe(site_id=site_id, person_slug=email)
        return render(request, "offers/unsubscribe.html", {"done": True, "email": email})
    return render(request, "offers/unsubscribe.html", {"email": email})
