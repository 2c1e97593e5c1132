from django.contrib import admin

from goodword.coupons.models import Coupon, CouponList

# Coupon lists are written by `goodword config apply` and codes by `goodword coupons import`;
# the admin shows them, and an edit of a list lasts until the site's file is applied again.


@admin.register(CouponList)
class CouponListAdmin(admin.ModelAdmin):
    list_display = ("identifier", "site", "name", "static_code", "created_at")
    list_filter = ("site",)
    search_fields = ("identifier", "name", "static_code")
    list_select_related = ("site",)
    readonly_fields = ("created_at",)


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    """Pools hold hundreds of thousands of codes: no full count, exact-code search."""

    list_display = ("code", "coupon_list", "site", "claimed_at", "created_at")
    list_filter = ("site", "coupon_list")
    search_fields = ("=code",)
    list_select_related = ("site", "coupon_list")
    raw_id_fields = ("coupon_list",)
    # Handing a code out is the engine's conditional update; the admin never does it.
    readonly_fields = ("claimed_at", "created_at")
    show_full_result_count = False
