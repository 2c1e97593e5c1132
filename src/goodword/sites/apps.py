from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "goodword.sites"
    label = "sites"
