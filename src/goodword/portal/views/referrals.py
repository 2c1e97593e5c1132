"""The referral page (the decision explained) and its actions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from goodword.core.errors import NotFound
from goodword.portal.access import portal_view
from goodword.portal.audit import audit_for_object
from goodword.portal.models import Role
from goodword.portal.services import ACTIONS_BY_STATUS, PAST, REFERRAL_ACTIONS, referral_act
from goodword.portal.views.base import act, page, posted_note
from goodword.referrals.trace import referral_trace_by_id


@portal_view()
def referral(request: HttpRequest, site_slug: str, referral_id: int) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    try:
        trace = referral_trace_by_id(site_id=staff.site.pk, referral_id=referral_id)
    except NotFound:
        raise Http404("No such referral") from None
    actions = ACTIONS_BY_STATUS.get(trace["referral"]["status"], ()) if staff.can_act else ()
    return page(
        request,
        "portal/referral.html",
        {
            "t": trace,
            "actions": actions,
            "audit": audit_for_object(
                site_id=staff.site.pk, object_type="referral", object_id=referral_id
            ),
        },
    )


@require_POST
@portal_view(Role.AGENT)
def referral_action(
    request: HttpRequest, site_slug: str, referral_id: int, action: str
) -> HttpResponse:
    if action not in REFERRAL_ACTIONS:
        raise Http404("No such action")
    note = posted_note(request)
    staff = request.staff  # type: ignore[attr-defined]

    def run() -> str:
        done = referral_act(staff=staff, referral_id=referral_id, action=action, note=note)
        return f"Referral {done.pk} {PAST[action]}: it is now {done.status}."

    act(request, run)
    return redirect("portal:referral", site_slug, referral_id)
