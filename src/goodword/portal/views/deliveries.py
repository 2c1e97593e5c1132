"""The webhook delivery log and redelivery."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from goodword.portal.access import portal_view
from goodword.portal.deliveries import STATES, delivery_page, delivery_redeliver_by_staff
from goodword.portal.models import Role
from goodword.portal.views.base import act, page, posted_note
from goodword.webhooks.models import HookType


@portal_view()
def deliveries(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    hook_type = request.GET.get("type", "")
    state = request.GET.get("state", "")
    hook_type = hook_type if hook_type in HookType.values else ""
    state = state if state in STATES else ""
    result = delivery_page(
        site_id=staff.site.pk,
        hook_type=hook_type or None,
        state=state or None,
        before=request.GET.get("before", ""),
    )
    return page(
        request,
        "portal/deliveries.html",
        {
            "rows": result.rows,
            "next_cursor": result.next_cursor,
            "hook_type": hook_type,
            "state": state,
            "hook_types": HookType.values,
            "states": list(STATES),
        },
    )


@require_POST
@portal_view(Role.AGENT)
def redeliver(request: HttpRequest, site_slug: str, delivery_id: int) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    note = posted_note(request)

    def run() -> str:
        again = delivery_redeliver_by_staff(staff=staff, delivery_id=delivery_id, note=note)
        return (
            f"Delivery {delivery_id} is sent again as delivery {again.pk} "
            f"(a new delivery id); the worker sends it."
        )

    act(request, run)
    return redirect("portal:deliveries", site_slug)
