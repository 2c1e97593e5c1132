"""Applying a configuration: the whole program in one transaction, idempotently.

The file is the source of truth for what it describes: fields it omits take their defaults,
the blocklist is replaced, incentives missing from a campaign are deleted. Two things are never
deleted because live data hangs off them: a campaign missing from the file is set to Disabled
(advocates may hold offers of it), and a coupon list missing from the file is kept (its codes may
be out in the world) and named in a warning.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Model, ProtectedError

from goodword.campaigns.models import Campaign, CampaignStatus, Incentive
from goodword.campaigns.program import forget_program
from goodword.config.schema import (
    CampaignSpec,
    ExistingCouponList,
    IncentiveSpec,
    Program,
    peek_site_slug,
    program_validate,
)
from goodword.core.clock import now
from goodword.core.errors import DomainError
from goodword.coupons.models import CouponList
from goodword.referrals.services import resolutions_retime
from goodword.sites.auth import version_bump
from goodword.sites.locks import site_lock
from goodword.sites.models import BlocklistEntry, FraudSettings, Site, SiteSettings
from goodword.sites.services import site_create
from goodword.webhooks.selectors import forget_hooks

ACTIONS = ("created", "updated", "deleted", "disabled", "unchanged")


@dataclass(frozen=True)
class Change:
    kind: str  # site, site_settings, fraud_settings, blocklist, coupon_list, campaign, incentive
    key: str
    action: str  # one of ACTIONS
    fields: tuple[str, ...] = ()  # what an update changed

    def __str__(self) -> str:
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.kind} {self.key}: {self.action}{detail}"


@dataclass
class ApplyReport:
    site_slug: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    api_key: str | None = None  # the new site's first key, shown once; None otherwise

    @property
    def changed(self) -> bool:
        return any(change.action != "unchanged" for change in self.changes)

    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        return {action: counted[action] for action in ACTIONS if counted[action]}

    def summary(self) -> str:
        """`no changes`, or counts such as `created 3, updated 1, unchanged 9`."""
        if not self.changed:
            return "no changes"
        return ", ".join(f"{action} {n}" for action, n in self.counts().items())


def _existing_coupon_lists(site: Site | None) -> dict[str, ExistingCouponList]:
    if site is None:
        return {}
    lists = CouponList.objects.filter(site=site).annotate(pool_size=Count("coupons"))
    return {
        cl.identifier: ExistingCouponList(static_code=cl.static_code, pool_size=cl.pool_size)
        for cl in lists
    }


def config_apply(*, document: Any, dry_run: bool = False) -> ApplyReport:
    """Validate the whole document, then write it in one transaction.

    Raises ConfigInvalid (every error, with its location) before anything is written. With
    `dry_run` everything runs and is rolled back: the report says what would change."""
    with transaction.atomic():
        slug = peek_site_slug(document)
        # The lock makes two applies of one site run one after the other.
        site = site_lock(slug=slug) if slug else None
        program = program_validate(document, existing_coupon_lists=_existing_coupon_lists(site))
        report = ApplyReport(site_slug=program.site.slug, dry_run=dry_run)
        site = _Applier(program, report).apply(site)
        if dry_run:
            report.api_key = None
            transaction.set_rollback(True)
        elif report.changed:
            site_id = site.pk
            if any(c.kind == "fraud_settings" and c.action != "unchanged" for c in report.changes):
                # Waiting referrals follow the new approval settings (in this transaction).
                resolutions_retime(site_id=site_id)
            # This process sees the new program at once; others within their cache's TTL.
            transaction.on_commit(lambda: forget_program(site_id))
            transaction.on_commit(lambda: forget_hooks(site_id))
    return report


def _sync(obj: Model, values: dict[str, Any]) -> list[str]:
    """Set the fields that differ; their names (nothing is saved here)."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


class _Applier:
    def __init__(self, program: Program, report: ApplyReport) -> None:
        self.program = program
        self.report = report
        self.moment = now()

    def record(self, kind: str, key: str, action: str, fields: list[str] | None = None) -> None:
        self.report.changes.append(Change(kind, key, action, tuple(fields or ())))

    def apply(self, site: Site | None) -> Site:
        site = self.site(site)
        self.site_settings(site)
        self.fraud_settings(site)
        self.blocklist(site)
        lists = self.coupon_lists(site)
        self.campaigns(site, lists)
        self.webhooks(site)
        return site

    def webhooks(self, site: Site) -> None:
        """Settings made on first need (with fresh secrets); subscriptions replaced by the
        file's, keyed by type and URL (a removed one keeps its delivery log)."""
        from goodword.webhooks.models import Subscription, WebhookSettings
        from goodword.webhooks.services import new_security_key
        from goodword.webhooks.signing import new_secret

        spec = self.program.webhooks
        row = WebhookSettings.objects.filter(site=site).first()
        values: dict[str, Any] = {
            "allow_private_targets": spec.allow_private_targets,
            "retry_window_seconds": spec.retry_window_seconds,
        }
        if spec.security_key is not None:
            values["security_key"] = spec.security_key
        if row is None:
            if (
                spec.subscriptions
                or spec.security_key
                or spec.allow_private_targets
                or (
                    spec.retry_window_seconds
                    != WebhookSettings._meta.get_field("retry_window_seconds").default
                )
            ):
                WebhookSettings.objects.create(
                    site=site,
                    security_key=values.pop("security_key", None) or new_security_key(),
                    signing_secret=new_secret(),
                    **values,
                )
                self.record("webhook_settings", site.slug, "created")
        else:
            changed = _sync(row, values)
            if changed:
                row.save(update_fields=changed)
            # A key is never shown: a change is named without its value.
            self.record(
                "webhook_settings", site.slug, "updated" if changed else "unchanged", changed
            )
        current = {(sub.hook_type, sub.url): sub for sub in Subscription.objects.filter(site=site)}
        for sub_spec in spec.subscriptions:
            key = (sub_spec.hook_type, sub_spec.url)
            label = f"{sub_spec.hook_type} {sub_spec.url}"
            sub_values = {"active": sub_spec.active, "encoding": sub_spec.encoding}
            found = current.pop(key, None)
            if found is None:
                Subscription.objects.create(
                    site=site,
                    hook_type=sub_spec.hook_type,
                    url=sub_spec.url,
                    created_at=self.moment,
                    **sub_values,
                )
                self.record("webhook", label, "created")
                continue
            changed = _sync(found, sub_values)
            if changed:
                found.save(update_fields=changed)
            self.record("webhook", label, "updated" if changed else "unchanged", changed)
        for (hook_type, url), gone in sorted(current.items()):
            gone.delete()
            self.record("webhook", f"{hook_type} {url}", "deleted")

    def site(self, site: Site | None) -> Site:
        spec = self.program.site
        if site is None:
            issued = site_create(
                slug=spec.slug, name=spec.name, currency=spec.currency, time_zone=spec.time_zone
            )
            self.report.api_key = issued.raw_key
            self.record("site", spec.slug, "created")
            return issued.api_key.site
        old_currency = site.currency
        changed = _sync(
            site, {"name": spec.name, "currency": spec.currency, "time_zone": spec.time_zone}
        )
        if changed:
            site.save(update_fields=changed)
            # Cached keys carry the site's currency and zone: every process reloads them.
            version_bump()
        if "currency" in changed:
            self.report.warnings.append(
                f"site currency changes from {old_currency} to {spec.currency}: amounts "
                f"already recorded keep their own currency"
            )
        self.record("site", spec.slug, "updated" if changed else "unchanged", changed)
        return site

    def site_settings(self, site: Site) -> None:
        spec = self.program.site
        values = {
            "base_url": spec.base_url,
            "sticky_advocate": spec.sticky_advocate,
            "void_on_refund": spec.void_on_refund,
            "claim_codes_per_ip": spec.claims.codes_per_ip,
            "claim_code_window_seconds": spec.claims.code_window,
            "claim_clicks_per_ip_per_minute": spec.claims.clicks_per_ip_per_minute,
        }
        row = SiteSettings.objects.filter(site=site).first()
        self._one_to_one("site_settings", site, row, SiteSettings, values)

    def fraud_settings(self, site: Site) -> None:
        spec = self.program.fraud
        values = {
            # Every policy, defaults included: a later change of a default in Goodword must
            # not change a site whose file says what it wants.
            "policy_actions": spec.policies,
            "approval_mode": spec.approval_mode,
            "approval_delay_seconds": spec.approval_delay_seconds,
            "flagged_resolution": spec.flagged_resolution,
            "flagged_delay_seconds": spec.flagged_delay_seconds,
        }
        row = FraudSettings.objects.filter(site=site).first()
        self._one_to_one("fraud_settings", site, row, FraudSettings, values)

    def _one_to_one(
        self,
        kind: str,
        site: Site,
        row: SiteSettings | FraudSettings | None,
        model: type[SiteSettings] | type[FraudSettings],
        values: dict[str, Any],
    ) -> None:
        if row is None:
            # A site made by `goodword site create` has no row and runs on the defaults; the
            # first apply stores them.
            model.objects.create(site=site, **values)
            self.record(kind, site.slug, "created")
            return
        changed = _sync(row, values)
        if changed:
            row.save(update_fields=changed)
        self.record(kind, site.slug, "updated" if changed else "unchanged", changed)

    def blocklist(self, site: Site) -> None:
        current = {entry.value: entry for entry in BlocklistEntry.objects.filter(site=site)}
        wanted = {spec.value: spec for spec in self.program.blocklist}
        gone = [entry for value, entry in current.items() if value not in wanted]
        if gone:
            BlocklistEntry.objects.filter(pk__in=[entry.pk for entry in gone]).delete()
            for entry in gone:
                self.record("blocklist", entry.value, "deleted")
        new: list[BlocklistEntry] = []
        for value, spec in wanted.items():
            kept = current.get(value)
            if kept is None:
                new.append(BlocklistEntry(site=site, value=value, note=spec.note))
                self.record("blocklist", value, "created")
                continue
            changed = _sync(kept, {"note": spec.note})
            if changed:
                kept.save(update_fields=changed)
            self.record("blocklist", value, "updated" if changed else "unchanged", changed)
        BlocklistEntry.objects.bulk_create(new)

    def coupon_lists(self, site: Site) -> dict[str, CouponList]:
        lists = {cl.identifier: cl for cl in CouponList.objects.filter(site=site)}
        for spec in self.program.coupon_lists:
            values = {"name": spec.name, "static_code": spec.static_code}
            coupon_list = lists.get(spec.identifier)
            if coupon_list is None:
                lists[spec.identifier] = CouponList.objects.create(
                    site=site, identifier=spec.identifier, created_at=self.moment, **values
                )
                self.record("coupon_list", spec.identifier, "created")
                continue
            changed = _sync(coupon_list, values)
            if changed:
                coupon_list.save(update_fields=changed)
            action = "updated" if changed else "unchanged"
            self.record("coupon_list", spec.identifier, action, changed)
        named = {spec.identifier for spec in self.program.coupon_lists}
        for identifier in sorted(set(lists) - named):
            self.report.warnings.append(
                f"coupon list {identifier!r} is not in the file; it is kept (export the site "
                f"to see it)"
            )
        return lists

    def campaigns(self, site: Site, lists: dict[str, CouponList]) -> None:
        campaigns = {c.slug: c for c in Campaign.objects.filter(site=site)}
        for spec in self.program.campaigns:
            campaign = self.campaign(site, campaigns.get(spec.slug), spec, lists)
            self.incentives(campaign, spec.incentives, lists)
        named = {spec.slug for spec in self.program.campaigns}
        for slug, campaign in sorted(campaigns.items()):
            if slug in named or campaign.status == CampaignStatus.DISABLED:
                continue
            campaign.status = CampaignStatus.DISABLED
            campaign.updated_at = self.moment
            campaign.save(update_fields=["status", "updated_at"])
            self.record("campaign", slug, "disabled")
            self.report.warnings.append(f"campaign {slug!r} is not in the file; it is now Disabled")

    def campaign(
        self,
        site: Site,
        campaign: Campaign | None,
        spec: CampaignSpec,
        lists: dict[str, CouponList],
    ) -> Campaign:
        values = {
            "name": spec.name,
            "tags": list(spec.tags),
            "status": spec.status,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            "joinable_category_names": list(spec.joinable),
            "destination_url": spec.destination_url,
            "offer_expiry_days": spec.offer_expiry_days,
            "gate_email": spec.gate_email,
            "advocate_coupon_list_id": (
                lists[spec.advocate_coupon_list].pk if spec.advocate_coupon_list else None
            ),
            "advocate_coupon_pattern": spec.advocate_coupon_pattern,
        }
        if campaign is None:
            campaign = Campaign.objects.create(
                site=site,
                slug=spec.slug,
                created_at=self.moment,
                updated_at=self.moment,
                **values,
            )
            self.record("campaign", spec.slug, "created")
            return campaign
        changed = _sync(campaign, values)
        if changed:
            campaign.updated_at = self.moment
            campaign.save(update_fields=[*changed, "updated_at"])
        names = [name.removesuffix("_id") for name in changed]
        self.record("campaign", spec.slug, "updated" if changed else "unchanged", names)
        return campaign

    def incentives(
        self, campaign: Campaign, specs: tuple[IncentiveSpec, ...], lists: dict[str, CouponList]
    ) -> None:
        current = {i.identifier: i for i in Incentive.objects.filter(campaign=campaign)}
        for spec in specs:
            key = f"{campaign.slug}/{spec.identifier}"
            values = {
                "reason": spec.reason,
                "incentive_type": spec.incentive_type,
                "amount": spec.amount,
                "amount_type": spec.amount_type,
                "currency": spec.currency,
                "coupon_list_id": lists[spec.coupon_list].pk if spec.coupon_list else None,
                "description": spec.description,
                "criteria": spec.criteria,
            }
            incentive = current.pop(spec.identifier, None)
            if incentive is None:
                Incentive.objects.create(campaign=campaign, identifier=spec.identifier, **values)
                self.record("incentive", key, "created")
                continue
            changed = _sync(incentive, values)
            if changed:
                incentive.save(update_fields=changed)
            names = [name.removesuffix("_id") for name in changed]
            self.record("incentive", key, "updated" if changed else "unchanged", names)
        for identifier, incentive in sorted(current.items()):
            try:
                incentive.delete()
            except ProtectedError:
                raise DomainError(
                    "incentive_in_use",
                    f"Incentive {campaign.slug}/{identifier} cannot be deleted: records refer "
                    f"to it. Keep it in the file.",
                ) from None
            self.record("incentive", f"{campaign.slug}/{identifier}", "deleted")
