from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "goodword.coupons"
    label = "coupons"
