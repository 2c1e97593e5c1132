from django.contrib import admin

from goodword.people.models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("email", "site", "first_name", "last_name", "customer_id", "created_at")
    list_filter = ("site",)
    search_fields = ("email", "customer_id", "username", "phone_number")
