from django.contrib import admin

from goodword.worker.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "site", "ref_id", "run_after", "attempts", "failed_at")
    list_filter = ("kind", "site")
    search_fields = ("ref_id", "last_error")
    readonly_fields = ("claim_token", "claimed_until", "created_at")
