from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "goodword.rewards"
    label = "rewards"
