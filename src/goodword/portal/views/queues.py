"""The referral queues and their bulk action."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from goodword.campaigns.program import program_for
from goodword.core.errors import DomainError
from goodword.portal.access import portal_view
from goodword.portal.models import Role
from goodword.portal.queues import (
    BULK_MAX,
    POLICY_FILTERS,
    QUEUES,
    queue_filters,
    queue_page,
    referrals_bulk_act,
)
from goodword.portal.services import PAST
from goodword.portal.views.base import page, posted_note
from goodword.referrals.models import TrackMethod

# How many refusals a message names one by one.
REFUSALS_SHOWN = 10


@portal_view()
def queues(request: HttpRequest, site_slug: str) -> HttpResponse:
    return redirect("portal:queue", site_slug, "flagged")


@portal_view()
def queue(request: HttpRequest, site_slug: str, queue_name: str) -> HttpResponse:
    if queue_name not in QUEUES:
        raise Http404("No such queue")
    staff = request.staff  # type: ignore[attr-defined]
    filters, problems = queue_filters(request.GET)
    program = program_for(staff.site.pk)
    result = queue_page(
        site_id=staff.site.pk,
        queue=queue_name,
        filters=filters,
        after=request.GET.get("after", ""),
        program=program,
    )
    actions = result.queue.actions if staff.can_act else ()
    return page(
        request,
        "portal/queues.html",
        {
            "queues": QUEUES.values(),
            "q": result.queue,
            "rows": result.rows,
            "next_cursor": result.next_cursor,
            "filters": filters,
            "filter_qs": urlencode(filters.query()),
            "problems": problems,
            "campaigns": program.campaigns,
            "methods": TrackMethod.values,
            "policies": list(POLICY_FILTERS),
            "actions": actions,
            "bulk_max": BULK_MAX,
            # Row links are built on the site's prefix: one reverse() per page, not three per
            # row (the row links' shapes are the `referral` and `person` URLs).
            "base": reverse("portal:site_home", args=[site_slug]),
        },
    )


@require_POST
@portal_view(Role.AGENT)
def queue_act(request: HttpRequest, site_slug: str, queue_name: str) -> HttpResponse:
    """Approve, void or unblock the selected referrals; back to the queue with its filters."""
    if queue_name not in QUEUES:
        raise Http404("No such queue")
    staff = request.staff  # type: ignore[attr-defined]
    action = request.POST.get("action", "")
    note = posted_note(request)
    raw_ids = request.POST.getlist("referral")
    ids = [int(v) for v in raw_ids if v.isdigit() and len(v) < 19]
    back = reverse("portal:queue", args=[site_slug, queue_name])
    filters, _ = queue_filters(request.GET)
    if filters.query():
        back += "?" + urlencode(filters.query())
    if len(ids) != len(raw_ids):
        messages.error(request, "Some of the selected referrals are not referral ids.")
        return redirect(back)
    try:
        result = referrals_bulk_act(staff=staff, referral_ids=ids, action=action, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if result.changed:
        ids_text = ", ".join(str(i) for i, _ in result.changed)
        messages.success(request, f"{len(result.changed)} referrals {PAST[action]}: {ids_text}.")
    if result.refused:
        shown = "; ".join(f"{i}: {why}" for i, why in result.refused[:REFUSALS_SHOWN])
        more = len(result.refused) - REFUSALS_SHOWN
        messages.warning(
            request,
            f"{len(result.refused)} refused: {shown}" + (f"; and {more} more" if more > 0 else ""),
        )
    return redirect(back)
