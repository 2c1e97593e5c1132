"""Manager pages: the program's settings (read-only, as the configuration file), API keys
(list, create, revoke: a rotation), and coupon codes import."""

from __future__ import annotations

import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from goodword.config.formats import document_dump
from goodword.config.selectors import config_export
from goodword.core.errors import DomainError
from goodword.portal.access import portal_view
from goodword.portal.forms import ApiKeyForm, CouponImportForm
from goodword.portal.models import Role
from goodword.portal.selectors import coupon_pools
from goodword.portal.services import (
    api_key_create_by_staff,
    api_key_revoke_by_staff,
    coupons_import_by_staff,
)
from goodword.portal.views.base import act, page, posted_note
from goodword.sites.models import Site
from goodword.sites.selectors import api_key_list


def _config_yaml(site: Site) -> str:
    return document_dump(document=config_export(site=site), fmt="yaml")


@portal_view(Role.MANAGER)
def program_settings(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    return page(request, "portal/settings.html", {"config": _config_yaml(staff.site)})


@portal_view(Role.MANAGER)
def config_file(request: HttpRequest, site_slug: str) -> HttpResponse:
    """The configuration as a file to edit and `goodword config apply`."""
    staff = request.staff  # type: ignore[attr-defined]
    response = HttpResponse(_config_yaml(staff.site), content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="{staff.site.slug}.yaml"'
    return response


@portal_view(Role.MANAGER)
def api_keys(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    issued = None
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create_by_staff(
                staff=staff, name=form.cleaned_data["name"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    # The new key's value is shown in this answer only, never stored or put in a message.
    return page(
        request,
        "portal/api_keys.html",
        {"keys": api_key_list(site=staff.site), "issued": issued, "form": ApiKeyForm()},
    )


@require_POST
@portal_view(Role.MANAGER)
def api_key_revoke(request: HttpRequest, site_slug: str, prefix: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    note = posted_note(request)
    act(
        request,
        lambda: (
            f"Key {api_key_revoke_by_staff(staff=staff, prefix=prefix, note=note).prefix}… "
            "is revoked: requests with it are refused."
        ),
    )
    return redirect("portal:api_keys", site_slug)


@portal_view(Role.MANAGER)
def coupon_import(request: HttpRequest, site_slug: str) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    pools = coupon_pools(site_id=staff.site.pk)
    form = CouponImportForm(request.POST or None, request.FILES or None)
    form.fields["coupon_list"].choices = [  # type: ignore[attr-defined]
        (p.identifier, p.identifier) for p in pools
    ]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        lines = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")

        def run() -> str:
            report = coupons_import_by_staff(
                staff=staff,
                list_identifier=form.cleaned_data["coupon_list"],
                lines=lines,
                note=form.cleaned_data["note"],
            )
            return (
                f"{report.imported} codes imported into {form.cleaned_data['coupon_list']}, "
                f"{report.duplicates} duplicates left alone."
            )

        if act(request, run):
            return redirect("portal:coupon_import", site_slug)
    return page(request, "portal/coupon_import.html", {"form": form, "pools": pools})
