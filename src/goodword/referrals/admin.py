from django.contrib import admin

from goodword.core.admin import ReadOnlyAdmin, ReadOnlyInline
from goodword.referrals.models import Referral, ReferralEvent


class ReferralEventInline(ReadOnlyInline):
    model = ReferralEvent
    fields = ("created_at", "from_status", "to_status", "actor", "actor_detail", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Status changes go through referrals.transitions (with their event row), never here."""

    list_display = (
        "id",
        "site",
        "status",
        "track_method",
        "campaign",
        "advocate",
        "friend",
        "origin",
        "subtotal",
        "created_at",
    )
    list_filter = ("site", "status", "track_method", "qa_generated")
    search_fields = ("advocate__email", "friend__email", "=origin__order_number")
    list_select_related = ("site", "campaign", "advocate", "friend", "origin")
    raw_id_fields = ("campaign", "offer", "claim", "advocate", "friend", "origin")
    inlines = (ReferralEventInline,)


@admin.register(ReferralEvent)
class ReferralEventAdmin(ReadOnlyAdmin):
    list_display = (
        "referral",
        "site",
        "from_status",
        "to_status",
        "actor",
        "actor_detail",
        "created_at",
    )
    list_filter = ("site", "actor", "to_status")
    search_fields = ("=referral__id", "actor_detail", "reason")
    list_select_related = ("site", "referral")
    raw_id_fields = ("referral",)
