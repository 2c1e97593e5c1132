from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from goodword.core.admin import ReadOnlyAdmin, ReadOnlyInline
from goodword.webhooks.models import Delivery, DeliveryAttempt, Subscription, WebhookSettings
from goodword.webhooks.selectors import forget_hooks
from goodword.webhooks.transport import TargetRefused, check_literal_host, check_url


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = Subscription
        fields = ("site", "hook_type", "url", "active", "encoding")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        url, site = data.get("url"), data.get("site")
        if url:
            try:
                check_url(url)
            except TargetRefused as exc:
                self.add_error("url", str(exc))
                return data
            settings = WebhookSettings.objects.filter(site=site).first() if site else None
            allow = bool(settings and settings.allow_private_targets)
            refusal = check_literal_host(urlsplit(url).hostname or "", allow_private=allow)
            if refusal:
                self.add_error("url", f"{refusal}; allow private targets in the site's settings")
        return data


class _ForgetOnSave(admin.ModelAdmin):
    """Saves drop this process's snapshot of the site's subscriptions at commit."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        site_id = obj.site_id
        transaction.on_commit(lambda: forget_hooks(site_id))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        site_id = obj.site_id
        super().delete_model(request, obj)
        transaction.on_commit(lambda: forget_hooks(site_id))


@admin.register(Subscription)
class SubscriptionAdmin(_ForgetOnSave):
    form = SubscriptionForm
    list_display = ("site", "hook_type", "url", "active", "encoding", "created_at")
    list_filter = ("site", "hook_type", "active")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.created_at is None:
            from goodword.core.clock import now

            obj.created_at = now()
        super().save_model(request, obj, form, change)


@admin.register(WebhookSettings)
class WebhookSettingsAdmin(_ForgetOnSave):
    list_display = ("site", "allow_private_targets", "retry_window_seconds")
    # Secrets are made and rotated by Goodword (`goodword webhooks secret --rotate`).
    readonly_fields = ("signing_secret", "previous_signing_secret", "previous_secret_expires_at")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        from goodword.webhooks.services import new_security_key

        return {"security_key": new_security_key()}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.signing_secret:
            from goodword.webhooks.signing import new_secret

            obj.signing_secret = new_secret()
        super().save_model(request, obj, form, change)


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("started_at", "status_code", "latency_ms", "outcome", "error", "response_body")
    readonly_fields = fields
    ordering = ("-id",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log, read-only: redeliver with `goodword webhooks redeliver ID`."""

    list_display = ("id", "site", "hook_type", "status", "attempts", "subject", "created_at")
    list_filter = ("status", "hook_type", "site")
    search_fields = ("=uuid", "=subject")
    inlines = (AttemptInline,)
