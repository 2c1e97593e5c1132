from django.contrib import admin

from goodword.core.admin import ReadOnlyAdmin
from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient, ShortLink, Visitor


@admin.register(AdvocateOffer)
class AdvocateOfferAdmin(ReadOnlyAdmin):
    list_display = (
        "short_url_code",
        "site",
        "campaign",
        "advocate",
        "coupon_code",
        "expires_at",
        "created_at",
    )
    list_filter = ("site", "campaign")
    search_fields = ("=short_url_code", "=coupon_code", "advocate__email")
    list_select_related = ("site", "campaign", "advocate")
    raw_id_fields = ("campaign", "advocate", "origin")


@admin.register(ShortLink)
class ShortLinkAdmin(ReadOnlyAdmin):
    list_display = ("code", "site", "offer", "kind", "channel", "created_at")
    list_filter = ("site", "kind")
    search_fields = ("=code", "offer__short_url_code")
    list_select_related = ("site", "offer")
    raw_id_fields = ("offer",)


@admin.register(Share)
class ShareAdmin(ReadOnlyAdmin):
    list_display = ("id", "site", "offer", "channel", "created_at")
    list_filter = ("site", "channel")
    search_fields = ("offer__short_url_code",)
    list_select_related = ("site", "offer")
    raw_id_fields = ("offer", "link")


@admin.register(ShareRecipient)
class ShareRecipientAdmin(ReadOnlyAdmin):
    list_display = ("email", "site", "share")
    list_filter = ("site",)
    search_fields = ("email",)
    list_select_related = ("site",)
    raw_id_fields = ("share",)


@admin.register(Visitor)
class VisitorAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "site", "created_at")
    list_filter = ("site",)
    search_fields = ("=uuid",)
    list_select_related = ("site",)


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "site",
        "offer",
        "visitor_uuid",
        "ip_address",
        "channel",
        "gated_email",
        "friend_coupon_code",
        "created_at",
    )
    list_filter = ("site", "channel")
    search_fields = ("=visitor_uuid", "gated_email", "=friend_coupon_code", "=ip_address")
    list_select_related = ("site", "offer")
    raw_id_fields = ("offer", "link")
