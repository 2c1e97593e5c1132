"""A site's program as the hot paths need it: settings, fraud settings, blocklist and
campaigns with incentives, loaded in a few queries and kept per process for a few seconds.

`goodword config apply` in this process drops the snapshot at once; other processes see a
change within PROGRAM_CACHE_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from goodword.campaigns.models import Campaign, Incentive
from goodword.campaigns.running import campaign_running
from goodword.core.cache import TTLCache
from goodword.fraud.blocklist import Blocklist
from goodword.fraud.screening import Action, validate_actions
from goodword.sites.models import (
    CLAIM_CLICKS_PER_IP_PER_MINUTE,
    CLAIM_CODE_WINDOW_SECONDS,
    CLAIM_CODES_PER_IP,
    BlocklistEntry,
    FraudSettings,
    SiteSettings,
)

PROGRAM_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class IncentiveInfo:
    id: int
    identifier: str
    reason: str
    incentive_type: str
    amount: Decimal
    amount_type: str
    currency: str | None
    coupon_list_id: int | None
    description: str
    criteria: dict[str, Any]


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    slug: str
    name: str
    tags: tuple[str, ...]
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    joinable: tuple[str, ...]
    destination_url: str
    offer_expiry_days: int | None
    gate_email: bool
    incentives: tuple[IncentiveInfo, ...] = ()
    advocate_coupon_list_id: int | None = None
    advocate_coupon_pattern: str = ""

    def running_at(self, at: datetime) -> bool:
        return campaign_running(self.status, self.starts_at, self.ends_at, at)

    def incentive(self, reason: str) -> IncentiveInfo | None:
        for incentive in self.incentives:
            if incentive.reason == reason:
                return incentive
        return None


@dataclass(frozen=True)
class Program:
    site_id: int
    base_url: str
    sticky_advocate: bool
    void_on_refund: bool
    policy_actions: dict[str, Action]
    approval_mode: str
    approval_delay_seconds: int
    flagged_resolution: str
    flagged_delay_seconds: int
    blocklist: Blocklist
    campaigns: tuple[CampaignInfo, ...] = field(default=())
    claim_codes_per_ip: int = CLAIM_CODES_PER_IP
    claim_code_window_seconds: int = CLAIM_CODE_WINDOW_SECONDS
    claim_clicks_per_ip_per_minute: int = CLAIM_CLICKS_PER_IP_PER_MINUTE

    def campaign(self, campaign_id: int) -> CampaignInfo | None:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        return None


_programs: TTLCache[int, Program] = TTLCache(seconds=PROGRAM_CACHE_SECONDS)


def forget_program(site_id: int | None = None) -> None:
    if site_id is None:
        _programs.clear()
    else:
        _programs.forget(site_id)


def program_for(site_id: int) -> Program:
    return _programs.get(site_id, _load)


def _load(site_id: int) -> Program:
    site_settings = SiteSettings.objects.filter(site_id=site_id).first()
    fraud = FraudSettings.objects.filter(site_id=site_id).first() or FraudSettings()
    entries = list(BlocklistEntry.objects.filter(site_id=site_id).values_list("value", flat=True))
    incentives: dict[int, list[IncentiveInfo]] = {}
    for inc in Incentive.objects.filter(campaign__site_id=site_id).order_by("id"):
        incentives.setdefault(inc.campaign_id, []).append(
            IncentiveInfo(
                id=inc.id,
                identifier=inc.identifier,
                reason=inc.reason,
                incentive_type=inc.incentive_type,
                amount=inc.amount,
                amount_type=inc.amount_type,
                currency=inc.currency,
                coupon_list_id=inc.coupon_list_id,
                description=inc.description,
                criteria=dict(inc.criteria or {}),
            )
        )
    campaigns = tuple(
        CampaignInfo(
            id=c.id,
            slug=c.slug,
            name=c.name,
            tags=tuple(c.tags or ()),
            status=c.status,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            joinable=tuple(c.joinable_category_names or ()),
            destination_url=c.destination_url,
            offer_expiry_days=c.offer_expiry_days,
            gate_email=c.gate_email,
            incentives=tuple(incentives.get(c.id, ())),
            advocate_coupon_list_id=c.advocate_coupon_list_id,
            advocate_coupon_pattern=c.advocate_coupon_pattern,
        )
        for c in Campaign.objects.filter(site_id=site_id).order_by("id")
    )
    base_url = (site_settings.base_url if site_settings else None) or settings.BASE_URL
    return Program(
        site_id=site_id,
        base_url=base_url.rstrip("/"),
        sticky_advocate=site_settings.sticky_advocate if site_settings else False,
        void_on_refund=site_settings.void_on_refund if site_settings else True,
        policy_actions=validate_actions(fraud.policy_actions or {}),
        approval_mode=fraud.approval_mode,
        approval_delay_seconds=fraud.approval_delay_seconds,
        flagged_resolution=fraud.flagged_resolution,
        flagged_delay_seconds=fraud.flagged_delay_seconds,
        blocklist=Blocklist.parse(entries),
        campaigns=campaigns,
        **_claim_limits(site_settings),
    )


def _claim_limits(site_settings: SiteSettings | None) -> dict[str, int]:
    if site_settings is None:
        return {}
    return {
        "claim_codes_per_ip": site_settings.claim_codes_per_ip,
        "claim_code_window_seconds": site_settings.claim_code_window_seconds,
        "claim_clicks_per_ip_per_minute": site_settings.claim_clicks_per_ip_per_minute,
    }
