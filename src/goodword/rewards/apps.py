from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "goodword.rewards"
    label = "rewards"

    def ready(self) -> None:
        from goodword.rewards import hooks

        hooks.install()
