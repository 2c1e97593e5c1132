from django.contrib import admin

from goodword.sites.models import ApiKey, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "currency", "created_at")
    search_fields = ("slug", "name")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "site", "name", "created_at", "revoked_at")
    list_filter = ("site",)
    readonly_fields = ("prefix", "key_hash", "created_at")
