from django.apps import AppConfig


class OriginsConfig(AppConfig):
    name = "goodword.origins"
    label = "origins"
