"""Exporting a site as a configuration document, the format `config_apply` reads.

Export writes every setting explicitly, including defaults, so the file shows the whole program
and does not change meaning if a default changes later. It leaves out only what is absent or
empty (a null base_url, no tags, no criteria, a pool list's missing static code), since omitting
those means the same thing. Rows come in creation order. Applying an export changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from goodword.campaigns.models import Campaign, Incentive
from goodword.config.schema import FORMAT_VERSION, criteria_for_file
from goodword.config.values import format_duration, plain_amount
from goodword.coupons.models import CouponList
from goodword.fraud import screening
from goodword.sites.models import BlocklistEntry, FraudSettings, Site, SiteSettings


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != "" and v != [] and v != {}}


def config_export(*, site: Site) -> dict[str, Any]:
    settings = SiteSettings.objects.filter(site=site).first() or SiteSettings(site=site)
    fraud = FraudSettings.objects.filter(site=site).first() or FraudSettings(site=site)
    # Stored actions win; a policy added since they were stored shows its default.
    policies = {**screening.DEFAULT_ACTIONS, **(fraud.policy_actions or {})}

    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "site": _without_empty(
            {
                "slug": site.slug,
                "name": site.name,
                "currency": site.currency,
                "time_zone": site.time_zone,
                "base_url": settings.base_url,
                "sticky_advocate": settings.sticky_advocate,
                "void_on_refund": settings.void_on_refund,
                "claims": {
                    "codes_per_ip": settings.claim_codes_per_ip,
                    "code_window": format_duration(settings.claim_code_window_seconds),
                    "clicks_per_ip_per_minute": settings.claim_clicks_per_ip_per_minute,
                },
            }
        ),
        "fraud": {
            "policies": policies,
            "approval": {
                "mode": fraud.approval_mode,
                "delay": format_duration(fraud.approval_delay_seconds),
                "flagged": {
                    "resolution": fraud.flagged_resolution,
                    "delay": format_duration(fraud.flagged_delay_seconds),
                },
            },
        },
        "blocklist": [
            {"value": entry.value, "note": entry.note} if entry.note else entry.value
            for entry in BlocklistEntry.objects.filter(site=site).order_by("id")
        ],
        "coupon_lists": [
            _without_empty(
                {"identifier": cl.identifier, "name": cl.name, "static_code": cl.static_code}
            )
            for cl in CouponList.objects.filter(site=site).order_by("id")
        ],
        "campaigns": _campaigns(site),
        "webhooks": _webhooks(site),
    }
    return _without_empty(document)


def _webhooks(site: Site) -> dict[str, Any] | None:
    """The webhook settings and subscriptions; None when the site has neither (the same as
    leaving the section out). The security key and signing secrets are never written."""
    from goodword.webhooks.models import Subscription, WebhookSettings

    row = WebhookSettings.objects.filter(site=site).first()
    subscriptions = list(Subscription.objects.filter(site=site).order_by("id"))
    if row is None and not subscriptions:
        return None
    row = row or WebhookSettings(site=site)
    return {
        "allow_private_targets": row.allow_private_targets,
        "retry_window": format_duration(row.retry_window_seconds),
        "subscriptions": [
            {"type": s.hook_type, "url": s.url, "active": s.active, "encoding": s.encoding}
            for s in subscriptions
        ],
    }


def _campaigns(site: Site) -> list[dict[str, Any]]:
    campaigns = list(
        Campaign.objects.filter(site=site).select_related("advocate_coupon_list").order_by("id")
    )
    incentives: dict[int, list[Incentive]] = {c.pk: [] for c in campaigns}
    for incentive in (
        Incentive.objects.filter(campaign__site=site).select_related("coupon_list").order_by("id")
    ):
        incentives[incentive.campaign_id].append(incentive)
    return [
        _without_empty(
            {
                "slug": campaign.slug,
                "name": campaign.name,
                "tags": list(campaign.tags),
                "status": campaign.status,
                "starts_at": _timestamp(campaign.starts_at) if campaign.starts_at else None,
                "ends_at": _timestamp(campaign.ends_at) if campaign.ends_at else None,
                "joinable": list(campaign.joinable_category_names),
                "destination_url": campaign.destination_url,
                "offer_expiry_days": campaign.offer_expiry_days,
                "gate_email": campaign.gate_email,
                "advocate_coupon_list": (
                    campaign.advocate_coupon_list.identifier
                    if campaign.advocate_coupon_list
                    else None
                ),
                "advocate_coupon_pattern": campaign.advocate_coupon_pattern,
                "incentives": [_incentive(i) for i in incentives[campaign.pk]],
            }
        )
        for campaign in campaigns
    ]


def _incentive(incentive: Incentive) -> dict[str, Any]:
    return _without_empty(
        {
            "identifier": incentive.identifier,
            "reason": incentive.reason,
            "type": incentive.incentive_type,
            "coupon_list": incentive.coupon_list.identifier if incentive.coupon_list else None,
            "amount": plain_amount(incentive.amount),
            "amount_type": incentive.amount_type,
            "currency": incentive.currency,
            "description": incentive.description,
            "criteria": criteria_for_file(incentive.criteria or {}),
        }
    )
