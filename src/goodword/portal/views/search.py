"""The search box: straight to the one match, or the list of matches."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from goodword.portal.access import portal_view
from goodword.portal.forms import SearchForm
from goodword.portal.selectors import Match, portal_search
from goodword.portal.views.base import page

PAGES = {"person": "portal:person", "referral": "portal:referral"}


def match_url_name(match: Match) -> str:
    return PAGES[match.object_type]


@portal_view()
def search(request: HttpRequest, site_slug: str) -> HttpResponse:
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    staff = request.staff  # type: ignore[attr-defined]
    matches = portal_search(site_id=staff.site.pk, currency=staff.site.currency, q=q) if q else []
    if len(matches) == 1:
        only = matches[0]
        return redirect(PAGES[only.object_type], site_slug, only.object_id)
    rows = [{"match": m, "url_name": PAGES[m.object_type]} for m in matches]
    return page(
        request,
        "portal/search.html",
        {"q": q, "search_q": q, "rows": rows, "searched": bool(q), "form": form},
    )
