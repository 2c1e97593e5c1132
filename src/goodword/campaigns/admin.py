from django.contrib import admin

from goodword.campaigns.models import Campaign, Incentive
from goodword.core.admin import HTTPS_URL_FIELDS

# Campaigns and incentives are written by `goodword config apply`; the admin
# shows them, and an edit here lasts until the site's file is applied again.

# What an incentive gives, and for what: the columns of both of its views.
_TERMS = ("reason", "incentive_type", "amount", "amount_type", "currency", "coupon_list")


class IncentiveInline(admin.TabularInline):
    model = Incentive
    extra = 0
    fields = ("identifier", *_TERMS, "description", "criteria")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("slug", "site", "name", "status", "tags", "starts_at", "ends_at", "updated_at")
    list_filter = ("site", "status")
    search_fields = ("slug", "name")
    list_select_related = ("site",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (IncentiveInline,)
    formfield_overrides = HTTPS_URL_FIELDS


@admin.register(Incentive)
class IncentiveAdmin(admin.ModelAdmin):
    list_display = ("identifier", "campaign", *_TERMS)
    list_filter = ("campaign__site", "reason", "incentive_type")
    search_fields = ("identifier", "campaign__slug", "description")
    list_select_related = ("campaign", "coupon_list")
