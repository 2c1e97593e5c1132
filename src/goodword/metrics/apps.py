from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "goodword.metrics"
    label = "metrics"
