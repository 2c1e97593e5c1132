"""Referrals made straight in the database, many at a time, for the queue, dashboard and
blocklist tests (the flows that make them through the API are tests/portal/support.py's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from goodword.campaigns.models import Campaign
from goodword.core.clock import now
from goodword.offers.models import AdvocateOffer
from goodword.origins.models import Origin, OriginType
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.sites.models import Site
from tests.factories import CampaignFactory

_seq = count(1)


def person(site: Site, email: str | None = None) -> Person:
    stamp = now()
    return Person.objects.create(
        site=site,
        email=email or f"someone{next(_seq)}@example.com",
        created_at=stamp,
        updated_at=stamp,
    )


def referrals(
    site: Site,
    n: int,
    status: str,
    *,
    campaign: Campaign | None = None,
    track_method: str = "cookie",
    fraud_details: str | None = None,
    at: datetime | None = None,
    advocate_email: str | None = None,
    friend_email: str | None = None,
    ip: str | None = None,
) -> list[Referral]:
    """`n` referrals in `status` of one advocate, each with its own friend and purchase; the
    i-th entered its status `i` minutes after `at` (default: an hour ago)."""
    campaign = campaign or CampaignFactory(site=site)
    stamp = at or now() - timedelta(hours=1)
    advocate = (
        Person.objects.filter(site=site, email=advocate_email).first() if advocate_email else None
    ) or person(site, advocate_email)
    offer = AdvocateOffer.objects.filter(
        campaign=campaign, advocate=advocate
    ).first() or AdvocateOffer.objects.create(
        site=site,
        campaign=campaign,
        advocate=advocate,
        short_url_code=f"q{next(_seq)}",
        created_at=stamp,
    )
    made: list[Referral] = []
    for i in range(n):
        moment = stamp + timedelta(minutes=i)
        friend = person(site, friend_email if n == 1 else None)
        origin = Origin.objects.create(
            site=site,
            person=friend,
            type=OriginType.PURCHASE,
            order_number=f"Q-{next(_seq)}",
            email=friend.email,
            subtotal=Decimal("25.00"),
            currency="USD",
            ip_address=ip,
            occurred_at=moment,
            fingerprint="x",
            created_at=moment,
        )
        made.append(
            Referral.objects.create(
                site=site,
                campaign=campaign,
                offer=offer,
                advocate=advocate,
                friend=friend,
                origin=origin,
                track_method=track_method,
                status=status,
                fraud_details=fraud_details,
                created_at=moment,
                updated_at=moment,
            )
        )
    return made


def ids(rows: list[Any]) -> list[int]:
    return [row.referral.pk for row in rows]
