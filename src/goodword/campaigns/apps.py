from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "goodword.campaigns"
    label = "campaigns"
