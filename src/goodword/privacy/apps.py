from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "goodword.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Each app says what it stores about a person in its `personal_data` module (export
        # and erasure), as each says what work it does in `jobs`; importing them registers them.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("personal_data")
