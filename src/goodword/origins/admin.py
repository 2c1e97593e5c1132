from django.contrib import admin

from goodword.origins.models import Origin


@admin.register(Origin)
class OriginAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "site", "order_number", "event_category", "email", "subtotal")
    list_filter = ("site", "type")
    search_fields = ("order_number", "event_number", "email")
    raw_id_fields = ("person",)
