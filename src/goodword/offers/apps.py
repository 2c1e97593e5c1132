from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "goodword.offers"
    label = "offers"
