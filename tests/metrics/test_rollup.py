"""The per-day totals answer exactly what a direct aggregate over the raw rows answers.

Random purchases and referrals, then random approvals, voids and refunds through the API; every
purchase and referral metric, whole range and segmented, with each filter, is asked twice over
HTTP: once as served (from the totals), once with the measures swapped for aggregates over
`origins_origin` and `referrals_referral` themselves. The two answers must be equal, before
and after the deltas are folded."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, QuerySet, Sum

from goodword.metrics import selectors
from goodword.metrics.models import DayTotal
from goodword.metrics.periods import DateRange
from goodword.metrics.selectors import Filters, Measure
from goodword.metrics.services import rollup_compact
from goodword.origins.models import Origin
from goodword.referrals.models import Referral
from goodword.worker.loop import Worker
from tests.factories import (
    AdvocateOfferFactory,
    CampaignFactory,
    OriginFactory,
    ReferralFactory,
    SiteFactory,
)
from tests.helpers import PURCHASE_URL

ROLLED_UP = ("purchases", "revenue", "referrals", "approved_referrals", "referred_revenue")
METRICS = (*ROLLED_UP, "average_order_value", "referral_rate")
FIRST_DAY = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 120


def _raw_origins(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    rows = Origin.objects.filter(
        site_id=site_id,
        type="Purchase",
        occurred_at__gte=span.start_at,
        occurred_at__lt=span.end_before,
    )
    if f.traffic_sources:
        rows = rows.filter(traffic_source__in=f.traffic_sources)
    return rows


def _raw_referrals(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    rows = Referral.objects.filter(
        site_id=site_id, created_at__gte=span.start_at, created_at__lt=span.end_before
    ).exclude(status="voided")
    if f.campaign_ids is not None:
        rows = rows.filter(campaign_id__in=f.campaign_ids)
    if f.exclude_qa_generated:
        rows = rows.filter(qa_generated=False)
    if f.traffic_sources:
        rows = rows.filter(origin__traffic_source__in=f.traffic_sources)
    return rows


def _raw_approved(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    return _raw_referrals(site_id, span, f).filter(status="approved")


def _count() -> Any:
    return Count("pk")


def _subtotal() -> Any:
    return Sum("subtotal")


RAW = {
    "purchases": Measure(_raw_origins, "occurred_at", _count),
    "revenue": Measure(_raw_origins, "occurred_at", _subtotal),
    "referrals": Measure(_raw_referrals, "created_at", _count),
    "approved_referrals": Measure(_raw_approved, "created_at", _count),
    "referred_revenue": Measure(_raw_referrals, "created_at", _subtotal),
}


def _moment(rng: random.Random) -> datetime:
    return FIRST_DAY + timedelta(minutes=rng.randrange(DAYS * 24 * 60))


def _amount(rng: random.Random) -> Decimal | None:
    return rng.choice([None, Decimal("0.01"), Decimal(rng.randrange(1, 5_000_000)) / 100])


def _random_program(api, api_site, rng: random.Random) -> list[Any]:
    """Purchases (some referred) on the site and on another one; returns the campaigns."""
    site = api_site.site
    campaigns = [
        CampaignFactory(site=site, tags=["invite"]),
        CampaignFactory(site=site, tags=["post-purchase"], status="Disabled"),
    ]
    offers = [AdvocateOfferFactory(site=site, campaign=c) for c in campaigns for _ in range(2)]
    for _ in range(70):
        origin = OriginFactory(
            site=site,
            subtotal=_amount(rng),
            occurred_at=_moment(rng),
            traffic_source=rng.choice([None, "blog", "ads"]),
        )
        if rng.random() < 0.6:
            ReferralFactory(
                offer=rng.choice(offers),
                origin=origin,
                status=rng.choice(["pending", "pending", "flagged", "approved", "voided"]),
                qa_generated=rng.random() < 0.2,
                created_at=origin.occurred_at + timedelta(hours=rng.randrange(48)),
            )
    stranger = SiteFactory()
    for _ in range(5):
        OriginFactory(site=stranger, subtotal=_amount(rng), occurred_at=_moment(rng))
    # A few through the API, the single-origin path of the hot path.
    for index in range(4):
        body = {
            "site_slug": site.slug,
            "data": {
                "email": f"buyer{index}@example.org",
                "order_number": f"API-{index}",
                "subtotal": str(_amount(rng) or 0),
                "order_date": _moment(rng).isoformat(),
                "traffic_source": rng.choice(["blog", "ads"]),
            },
        }
        assert api.post(PURCHASE_URL, body).status_code == 201
    return campaigns


def _random_decisions(api, api_site, rng: random.Random) -> None:
    waiting = list(
        Referral.objects.filter(site=api_site.site, status__in=["pending", "flagged"])
        .select_related("origin")
        .order_by("pk")
    )
    for referral in waiting:
        slug = referral.origin.order_number
        choice = rng.choice(["approved", "voided", "refund", "partial refund", "keep"])
        if choice == "keep":
            continue
        if choice in ("approved", "voided"):
            body = {"site_slug": api_site.slug, "data": {"status": choice}}
            response = api.put(f"/api/v2/origins/{slug}/referral", body)
        else:
            partial = {"refund_subtotal": "0.01"} if choice == "partial refund" else {}
            body = {"site_slug": api_site.slug, "data": partial}
            response = api.post(f"/api/v2/origins/{slug}/refund", body)
        assert response.status_code == 200, response.content


def _asks(api_site, campaigns) -> list[tuple[str, dict[str, Any]]]:
    whole = {"start_date": "2026-03-01", "end_date": "2026-06-28"}
    partial = {"start_date": "4/9/2026", "end_date": "5/21/2026"}
    narrowings: list[dict[str, Any]] = [
        {},
        {"traffic_sources[]": ["blog"]},
        {"traffic_sources[]": ["ads", "blog"]},
        {"campaign_ids[]": [campaigns[0].pk]},
        {"campaign_tags[]": ["post-purchase"]},
        {"exclude_qa_generated": "false"},
        {"live_campaigns_only": "true", "precision": 4},
    ]
    asks = []
    for name in METRICS:
        for span in (whole, partial):
            for narrowing in narrowings:
                params = {"site_slug": api_site.slug, **span, **narrowing}
                asks.append((f"/api/v2/metrics/{name}", params))
                for period in ("day", "week", "month") if not narrowing else ("week",):
                    segmented = {**params, "segment_by[period]": period}
                    asks.append((f"/api/v2/metrics/{name}/segmentize", segmented))
            tagged = {
                "site_slug": api_site.slug,
                **span,
                "segment_by[period]": "week",
                "segment_by[campaign_tags]": ["invite", "post-purchase"],
            }
            asks.append((f"/api/v2/metrics/{name}/segmentize", tagged))
    return asks


def _answers(api, asks) -> list[Any]:
    answers = []
    for path, params in asks:
        response = api.get(path, params)
        assert response.status_code == 200, response.content
        answers.append(response.json())
    return answers


def _direct(api, asks, monkeypatch) -> list[Any]:
    with monkeypatch.context() as patch:
        for name, measure in RAW.items():
            patch.setitem(selectors.MEASURES, name, measure)
        return _answers(api, asks)


@pytest.mark.parametrize("seed", [7, 11, 2026])
def test_totals_answer_as_the_raw_rows_do_after_approvals_voids_and_refunds(
    api, api_site, frozen_now, monkeypatch, seed
):
    # given random purchases and referrals, then random decisions and refunds through the API
    rng = random.Random(seed)
    campaigns = _random_program(api, api_site, rng)
    _random_decisions(api, api_site, rng)
    asks = _asks(api_site, campaigns)

    # when every purchase and referral metric is asked as served and over the raw rows
    served = _answers(api, asks)
    direct = _direct(api, asks, monkeypatch)

    # then the answers are equal, and they are not all zero (the data reaches the figures)
    assert served == direct
    assert any(a["result"].get("plain") for a in served[:1])
    assert sum(1 for a in served if '"plain": 0' not in str(a)) > len(served) // 2

    # and folding the deltas changes no answer while leaving fewer rows
    before = DayTotal.objects.count()
    assert rollup_compact() > 0
    assert DayTotal.objects.filter(compacted=False).count() == 0
    assert DayTotal.objects.count() < before
    assert _answers(api, asks) == direct


def test_a_status_change_moves_the_referral_between_totals_in_its_transaction(
    api, api_site, frozen_now
):
    # given a pending referral of a 40.00 purchase, its totals folded
    origin = OriginFactory(site=api_site.site, subtotal=40, occurred_at=frozen_now)
    ReferralFactory(offer=AdvocateOfferFactory(site=api_site.site), origin=origin, status="pending")
    rollup_compact()
    span = {"site_slug": api_site.slug, "start_date": "7/7/2026", "end_date": "7/7/2026"}

    def plain(name: str) -> Any:
        return api.get(f"/api/v2/metrics/{name}", span).json()["result"]["plain"]

    assert (plain("referrals"), plain("approved_referrals")) == (1, 0)

    # when the merchant approves it
    body = {"site_slug": api_site.slug, "data": {"status": "approved"}}
    assert api.put(f"/api/v2/origins/{origin.order_number}/referral", body).status_code == 200

    # then the next answer counts it approved, before any folding
    assert (plain("referrals"), plain("approved_referrals")) == (1, 1)
    assert plain("referred_revenue") == 40.0


def test_the_worker_folds_the_deltas_on_its_own(api_site, frozen_now):
    # given three purchases on one day: three deltas
    for _ in range(3):
        OriginFactory(site=api_site.site, subtotal=10, occurred_at=frozen_now)
    assert DayTotal.objects.filter(site_id=api_site.site.pk, compacted=False).count() == 3

    # when the worker runs its periodic housekeeping
    Worker(concurrency=1).run_periodic()

    # then one row holds the day
    day = DayTotal.objects.get(site_id=api_site.site.pk)
    assert (day.count, day.amount, day.compacted) == (3, Decimal("30.00"), True)


def test_deleted_origins_leave_nothing_after_folding(api_site, frozen_now):
    # given two purchases counted
    for _ in range(2):
        OriginFactory(site=api_site.site, subtotal=10, occurred_at=frozen_now)

    # when they are deleted and the deltas folded
    Origin.objects.filter(site=api_site.site).delete()
    rollup_compact()

    # then no total is left for the site
    assert not DayTotal.objects.filter(site_id=api_site.site.pk).exists()
