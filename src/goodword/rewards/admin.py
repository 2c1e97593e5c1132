from django.contrib import admin

from goodword.core.admin import ReadOnlyAdmin
from goodword.rewards.models import Reward


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    """Rewards change only through rewards.services (with their referral), never here: the
    admin shows what was given, to whom, and why a reward was blocked."""

    list_display = (
        "id",
        "site",
        "reason",
        "status",
        "status_reason",
        "person",
        "incentive_type",
        "amount",
        "currency",
        "coupon_code",
        "referral",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "reason", "incentive_type", "site")
    search_fields = ("coupon_code", "person__email", "incentive_identifier")
    list_select_related = ("site", "person", "referral")
    ordering = ("-id",)
