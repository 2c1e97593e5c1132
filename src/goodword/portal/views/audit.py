"""The site-wide audit list of staff actions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goodword.portal.access import portal_view
from goodword.portal.audit import audit_page
from goodword.portal.views.base import page

OBJECT_PAGES = {"person": "portal:person", "referral": "portal:referral"}


@portal_view()
def audit_list(request: HttpRequest, site_slug: str) -> HttpResponse:
    before = request.GET.get("before", "")
    object_type = request.GET.get("type", "").strip()[:20] or None
    entries, next_before = audit_page(
        site_id=request.staff.site.pk,  # type: ignore[attr-defined]
        before_id=int(before) if before.isdigit() and len(before) < 19 else None,
        object_type=object_type,
    )
    return page(
        request,
        "portal/audit.html",
        {
            "entries": entries,
            "next_before": next_before,
            "object_type": object_type or "",
            "object_pages": OBJECT_PAGES,
        },
    )
