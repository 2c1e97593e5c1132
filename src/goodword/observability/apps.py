from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "goodword.observability"
    label = "observability"

    def ready(self) -> None:
        from goodword.observability import metrics

        metrics.connect_signals()
