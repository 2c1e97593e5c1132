from django.contrib import admin
from django.db import models

from goodword.campaigns.models import Campaign, Incentive

# Campaigns and incentives are written by `goodword config apply`; the admin
# shows them, and an edit here lasts until the site's file is applied again.


class IncentiveInline(admin.TabularInline):
    model = Incentive
    extra = 0
    fields = (
        "identifier",
        "reason",
        "incentive_type",
        "amount",
        "amount_type",
        "currency",
        "coupon_list",
        "description",
        "criteria",
    )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("slug", "site", "name", "status", "tags", "starts_at", "ends_at", "updated_at")
    list_filter = ("site", "status")
    search_fields = ("slug", "name")
    list_select_related = ("site",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (IncentiveInline,)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Incentive)
class IncentiveAdmin(admin.ModelAdmin):
    list_display = (
        "identifier",
        "campaign",
        "reason",
        "incentive_type",
        "amount",
        "amount_type",
        "currency",
        "coupon_list",
    )
    list_filter = ("campaign__site", "reason", "incentive_type")
    search_fields = ("identifier", "campaign__slug", "description")
    list_select_related = ("campaign", "coupon_list")
