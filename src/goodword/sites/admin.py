from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from goodword.core.admin import HTTPS_URL_FIELDS
from goodword.sites.auth import version_bump
from goodword.sites.models import ApiKey, BlocklistEntry, FraudSettings, Site, SiteSettings


class _BumpsKeyVersion(admin.ModelAdmin):
    """A key revoked or a site changed here reaches every process's key cache within a second,
    as through the services (sites/auth.py)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            version_bump()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            version_bump()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            version_bump()


@admin.register(Site)
class SiteAdmin(_BumpsKeyVersion):
    list_display = ("slug", "name", "currency", "created_at")
    search_fields = ("slug", "name")


@admin.register(ApiKey)
class ApiKeyAdmin(_BumpsKeyVersion):
    list_display = ("prefix", "site", "name", "created_at", "revoked_at")
    list_filter = ("site",)
    readonly_fields = ("prefix", "key_hash", "created_at")


# Settings, fraud settings and the blocklist are written by `goodword config apply`; the admin
# shows them, and an edit here lasts until the site's file is applied again.


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ("site", "base_url", "sticky_advocate", "void_on_refund")
    list_filter = ("site",)
    search_fields = ("site__slug",)
    list_select_related = ("site",)
    formfield_overrides = HTTPS_URL_FIELDS


@admin.register(FraudSettings)
class FraudSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "site",
        "approval_mode",
        "approval_delay_seconds",
        "flagged_resolution",
        "flagged_delay_seconds",
    )
    list_filter = ("site", "approval_mode", "flagged_resolution")
    search_fields = ("site__slug",)
    list_select_related = ("site",)


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(admin.ModelAdmin):
    list_display = ("value", "site", "note")
    list_filter = ("site",)
    search_fields = ("value", "note")
    list_select_related = ("site",)
