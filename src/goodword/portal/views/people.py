"""The person page and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from goodword.core.errors import NotFound
from goodword.portal.access import portal_view
from goodword.portal.models import Role
from goodword.portal.selectors import person_page
from goodword.portal.services import person_erase_by_staff, person_unsubscribe_by_staff
from goodword.portal.views.base import act, page, posted_note


@portal_view()
def person(request: HttpRequest, site_slug: str, person_id: int) -> HttpResponse:
    try:
        data = person_page(site_id=request.staff.site.pk, person_id=person_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("No such person") from None
    return page(request, "portal/person.html", data)


@require_POST
@portal_view(Role.AGENT)
def unsubscribe(request: HttpRequest, site_slug: str, person_id: int) -> HttpResponse:
    note = posted_note(request)
    staff = request.staff  # type: ignore[attr-defined]
    act(
        request,
        lambda: (
            f"{person_unsubscribe_by_staff(staff=staff, person_id=person_id, note=note).email} "
            "is unsubscribed."
        ),
    )
    return redirect("portal:person", site_slug, person_id)


ERASE_UNCONFIRMED = "Nothing was erased: tick the box that says erasing cannot be undone."


@require_POST
@portal_view(Role.AGENT)
def erase(request: HttpRequest, site_slug: str, person_id: int) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        # The page's form asks with a required box (and HTMX with a prompt); a post without
        # it, from a script or a browser without either, erases nothing.
        messages.error(request, ERASE_UNCONFIRMED)
        return redirect("portal:person", site_slug, person_id)
    note = posted_note(request)
    staff = request.staff  # type: ignore[attr-defined]

    def run() -> str:
        done = person_erase_by_staff(staff=staff, person_id=person_id, note=note)
        total = sum(done.erasure.rows.values())
        return (
            f"The person is erased: {total} rows changed; they are now {done.person.email}. "
            "Their referrals and rewards stay, pseudonymous."
        )

    act(request, run)
    return redirect("portal:person", site_slug, person_id)
