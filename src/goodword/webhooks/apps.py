from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "goodword.webhooks"
    label = "webhooks"
