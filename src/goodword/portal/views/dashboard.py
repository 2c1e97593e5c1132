"""A site's first page: the dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goodword.portal.access import portal_view
from goodword.portal.dashboard import dashboard as dashboard_data
from goodword.portal.queues import QUEUES, WAITING
from goodword.portal.views.base import page


@portal_view()
def dashboard(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    data = dashboard_data(site_id=staff.site.pk)
    counts = data["counts"]
    tiles = [
        {
            "queue": q,
            "count": counts[q.status],
            "waiting": q.name in WAITING,
        }
        for q in QUEUES.values()
    ]
    return page(request, "portal/dashboard.html", {**data, "tiles": tiles})
