"""Read-only admin bases for the engine's records (offers, clicks, referrals and their trail,
rewards, webhook deliveries, the staff audit): changing one of those rows in the admin would
skip the rules and the event rows that go with every change, so staff act through the portal,
the API and the CLI, and the admin only shows them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

# Admin forms read a URL typed without a scheme as https.
HTTPS_URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class ReadOnlyPermissions:
    """No add, change or delete, for a model admin or an inline alike."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    show_full_result_count = False  # big tables: no COUNT(*) per page


class ReadOnlyInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0
