from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "goodword.portal"
    label = "portal"
    verbose_name = "Customer Service Portal"
    default_auto_field = "django.db.models.BigAutoField"
