"""Admin: staff memberships can be edited there too (the CLI is the usual way); the audit trail
is read-only, since it is the record of what staff did."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from goodword.core.admin import ReadOnlyAdmin
from goodword.core.clock import now
from goodword.portal.forms import AdminLoginForm
from goodword.portal.models import AuditEntry, StaffMembership

# /admin/'s login counts failures and locks out like the portal's.
admin.site.login_form = AdminLoginForm


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role", "created_at")
    list_filter = ("site", "role")
    search_fields = ("user__username",)
    list_select_related = ("user", "site")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)

    def save_model(
        self, request: HttpRequest, obj: StaffMembership, form: Any, change: bool
    ) -> None:
        if obj.created_at is None:
            obj.created_at = now()
        super().save_model(request, obj, form, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "site",
        "user_email",
        "action",
        "object_type",
        "object_id",
        "note",
    )
    list_filter = ("site", "action", "object_type")
    search_fields = ("user_email", "=object_id", "note")
    list_select_related = ("site",)
