from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "goodword.people"
    label = "people"
