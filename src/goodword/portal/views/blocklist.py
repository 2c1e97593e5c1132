"""The blocklist: list, preview, add and remove entries."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from goodword.core.errors import DomainError
from goodword.portal.access import portal_view
from goodword.portal.blocklist import (
    NOTE_MAX,
    blocklist_add,
    blocklist_page,
    blocklist_preview,
    blocklist_remove,
    entry_kind,
)
from goodword.portal.models import Role
from goodword.portal.views.base import act, page, posted_note


class BlocklistEntryForm(forms.Form):
    value = forms.CharField(
        label="Email, email pattern (* wildcards), IP address or CIDR range",
        max_length=254,
        strip=True,
    )
    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True)


def _list_context(request: HttpRequest) -> dict[str, object]:
    staff = request.staff  # type: ignore[attr-defined]
    before = request.GET.get("before", "")
    entries, next_before = blocklist_page(
        site_id=staff.site.pk,
        before_id=int(before) if before.isdigit() and len(before) < 19 else None,
    )
    return {
        "entries": [{"entry": e, "kind": entry_kind(e.value)} for e in entries],
        "next_before": next_before,
        "note_max": NOTE_MAX,
    }


@portal_view()
def blocklist(request: HttpRequest, site_slug: str) -> HttpResponse:
    return page(
        request, "portal/blocklist.html", {**_list_context(request), "form": BlocklistEntryForm()}
    )


@portal_view(Role.AGENT)
def blocklist_check(request: HttpRequest, site_slug: str) -> HttpResponse:
    """The preview step: what the entry would match, with the button that adds it."""
    staff = request.staff  # type: ignore[attr-defined]
    form = BlocklistEntryForm(request.GET)
    preview = None
    refusal = None
    if form.is_valid():
        try:
            preview = blocklist_preview(site_id=staff.site.pk, value=form.cleaned_data["value"])
        except DomainError as exc:
            refusal = exc.message
    return page(
        request,
        "portal/blocklist.html",
        {**_list_context(request), "form": form, "preview": preview, "refusal": refusal},
        status=422 if refusal or not form.is_valid() else 200,
    )


@require_POST
@portal_view(Role.AGENT)
def blocklist_create(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    form = BlocklistEntryForm(request.POST)
    if not form.is_valid():
        return page(
            request,
            "portal/blocklist.html",
            {**_list_context(request), "form": form},
            status=422,
        )

    def run() -> str:
        entry = blocklist_add(
            staff=staff, value=form.cleaned_data["value"], note=form.cleaned_data["note"]
        )
        return f"{entry.value} is on the blocklist: new referrals are screened against it."

    act(request, run)
    return redirect("portal:blocklist", site_slug)


@require_POST
@portal_view(Role.AGENT)
def blocklist_delete(request: HttpRequest, site_slug: str, entry_id: int) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    note = posted_note(request)
    act(
        request,
        lambda: (
            f"{blocklist_remove(staff=staff, entry_id=entry_id, note=note).value} "
            "is off the blocklist."
        ),
    )
    return redirect("portal:blocklist", site_slug)
