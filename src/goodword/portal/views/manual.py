"""Creating a referral by hand."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from goodword.core.errors import DomainError
from goodword.portal.access import portal_view
from goodword.portal.forms import ManualReferralForm
from goodword.portal.models import Role
from goodword.portal.services import referral_create_by_staff
from goodword.portal.views.base import page


@portal_view(Role.AGENT)
def manual_referral(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    form = ManualReferralForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_create_by_staff(
                staff=staff,
                origin_slug=form.cleaned_data["origin"],
                advocate=form.cleaned_data["advocate"],
                force=form.cleaned_data["force"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            refusal = exc.message
        else:
            from django.contrib import messages

            messages.success(
                request,
                f"Referral {referral.pk} created ({referral.track_method}): it is "
                f"{referral.status}.",
            )
            return redirect("portal:referral", site_slug, referral.pk)
    return page(
        request,
        "portal/manual_referral.html",
        {"form": form, "refusal": refusal},
        status=422 if refusal else 200,
    )
