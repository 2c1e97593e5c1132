"""Webhook settings row locks."""

from __future__ import annotations

from goodword.webhooks.models import WebhookSettings


def webhook_settings_lock(*, id: int) -> WebhookSettings:
    """The site's webhook settings, locked until the transaction ends."""
    return WebhookSettings.objects.select_for_update().get(pk=id)
