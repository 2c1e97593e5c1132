from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "goodword.worker"
    label = "worker"
