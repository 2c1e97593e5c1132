from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "goodword.core"
    label = "core"
