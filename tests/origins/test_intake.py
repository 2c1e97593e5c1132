"""goodword.origins.intake.origin_ingest: what follows from an origin, for the API and batches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goodword.core.errors import DomainError
from goodword.offers.models import AdvocateOffer
from goodword.origins.intake import origin_data_from, origin_ingest
from goodword.origins.models import Origin
from goodword.origins.schemas import AffiliateMemberData, EventData, PurchaseData
from goodword.sites.auth import SiteRef
from goodword.webhooks.models import Delivery
from goodword.worker.models import Job
from tests.factories import SiteFactory
from tests.referrals.program import build_program
from tests.webhooks.support import subscribe


@pytest.fixture
def site(db):
    return SiteFactory(currency="EUR")


def ref(site) -> SiteRef:
    return SiteRef(id=site.id, slug=site.slug, currency=site.currency)


def purchase(number: str = "P-1", **extra) -> PurchaseData:
    return PurchaseData.model_validate(
        {"email": "f@example.com", "order_number": number, "subtotal": "12.50", **extra}
    )


def ingest(site, kind: str, data, *, with_offer: bool = True, current_ip: str | None = None):
    return origin_ingest(
        site=ref(site), kind=kind, data=data, current_ip=current_ip, with_offer=with_offer
    )


def test_a_purchase_on_a_site_without_campaigns_is_stored_with_no_follow_up(site, frozen_now):
    ingested = ingest(site, "Purchase", purchase())

    origin = Origin.objects.get(pk=ingested.origin.pk)
    assert (origin.order_number, origin.subtotal, origin.currency) == (
        "P-1",
        Decimal("12.50"),
        "EUR",
    )
    assert ingested.offer is None
    assert not Job.objects.exists()


def test_a_friend_purchase_on_a_site_with_a_campaign_gets_one_attribution_job(site, frozen_now):
    build_program(site)

    ingested = ingest(site, "Purchase", purchase(phone_number="+15550001"))

    job = Job.objects.get()
    assert (job.kind, job.ref_id, job.site_id) == ("attribute", ingested.origin.pk, site.pk)
    assert job.payload == {"phone": "+15550001"}
    # a purchase is not what this campaign's advocates join with
    assert ingested.offer is None


def test_a_repeated_purchase_gets_no_second_job(site, frozen_now):
    build_program(site)
    first = ingest(site, "Purchase", purchase())

    again = ingest(site, "Purchase", purchase())

    assert again.origin.pk == first.origin.pk
    assert Job.objects.count() == 1


def test_an_affiliate_member_gets_no_attribution_job_but_the_offer(site, frozen_now):
    build_program(site)
    data = AffiliateMemberData.model_validate({"email": "ada@example.com"})

    ingested = ingest(site, "AffiliateMember", data)

    assert not Job.objects.exists()
    assert ingested.offer is not None
    assert AdvocateOffer.objects.get().advocate_id == ingested.origin.person_id


def test_a_batch_that_asks_for_no_offers_makes_none(site, frozen_now):
    build_program(site)
    data = AffiliateMemberData.model_validate({"email": "ada@example.com"})

    ingested = ingest(site, "AffiliateMember", data, with_offer=False)

    assert ingested.offer is None
    assert not AdvocateOffer.objects.exists()


def test_an_event_tells_a_subscribed_site_once(site, frozen_now):
    subscribe(site, "http://127.0.0.1:9/hook", "event_web_hook")
    data = EventData.model_validate(
        {"email": "e@example.com", "event_category": "review", "event_number": "R-1", "subtotal": 0}
    )

    ingest(site, "Event", data)
    ingest(site, "Event", data)

    assert Delivery.objects.filter(hook_type="event_web_hook").count() == 1


def test_a_wrong_sharing_channel_stores_nothing(site):
    with pytest.raises(DomainError) as refused:
        ingest(site, "Purchase", purchase(sharing_channels=["email"]))

    assert refused.value.message == "Wrong sharing channel: email"
    assert not Origin.objects.exists()


def test_current_stands_for_the_callers_address():
    data = purchase(ip_address="current", campaign_tags="a, b,,")

    mapped = origin_data_from(kind="Purchase", data=data, current_ip="203.0.113.9")

    assert mapped.ip_address == "203.0.113.9"
    assert mapped.campaign_tags == ["a", "b"]
    # what shapes the answer is not part of the origin's identity
    assert "campaign_tags" not in mapped.sent and mapped.sent["order_number"] == "P-1"


def test_an_address_sent_is_kept():
    mapped = origin_data_from(
        kind="Purchase", data=purchase(ip_address="198.51.100.4"), current_ip="203.0.113.9"
    )

    assert mapped.ip_address == "198.51.100.4"
