"""Timestamps in the site's time zone, as Talkable writes them: every time the API answers and
every time a webhook carries has the offset the site's zone has at that moment, across daylight
saving changes; times sent with an offset are read as the moment they name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.sites.services import site_time_zone_set
from goodword.webhooks.models import Delivery
from goodword.webhooks.services import webhook_emit
from tests.referrals.program import PURCHASE_URL, build_program, join
from tests.webhooks.support import receiver_fixture, subscribe

pytestmark = pytest.mark.django_db

ADVOCATE = "customer@example.com"


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def unsubscribe(api, slug: str) -> Any:
    response = api.post(f"/api/v2/people/{ADVOCATE}/unsubscribe", {"site_slug": slug})
    assert response.status_code == 200, response.content
    return response.json()["result"]["person"]["unsubscribed_at"]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(
            datetime(2026, 3, 8, 6, 59, 59, 500_000, UTC),
            "2026-03-08T01:59:59.500-05:00",
            id="before-spring-forward",
        ),
        pytest.param(
            datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),
            "2026-03-08T03:00:00.000-04:00",
            id="after-spring-forward",
        ),
        pytest.param(
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            "2026-11-01T01:30:00.000-04:00",
            id="repeated-hour-first",
        ),
        pytest.param(
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
            "2026-11-01T01:30:00.000-05:00",
            id="repeated-hour-second",
        ),
    ],
)
def test_the_api_and_webhooks_write_times_with_the_sites_offset_at_that_moment(
    api, api_site, receiver, time_machine, moment, expected
):
    # given a site in New York with an advocate, subscribed to unsubscribe webhooks
    site_time_zone_set(site=api_site.site, time_zone="America/New_York")
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)
    subscribe(api_site.site, receiver.url, "unsubscribe_web_hook")

    # when the advocate unsubscribes at a moment either side of a daylight saving change
    time_machine.move_to(moment, tick=False)
    answered = unsubscribe(api, api_site.slug)

    # then the answer and the webhook both write that moment with New York's offset then
    assert answered == expected
    [post] = [r.document for r in receiver.received if r.document["type"] == "unsubscribe_web_hook"]
    assert post["payload"]["person"]["unsubscribed_at"] == expected
    # and the moment itself is stored as it was
    assert Person.objects.get(email=ADVOCATE).unsubscribed_at == moment


def test_a_site_without_a_zone_writes_utc(api, api_site, frozen_now):
    # given a site left at its default zone
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)

    # when a time is answered / then it has UTC's offset
    assert unsubscribe(api, api_site.slug) == "2026-07-07T18:00:00.000+00:00"


def test_a_time_sent_with_an_offset_is_that_moment_answered_in_the_sites_zone(
    api, api_site, frozen_now
):
    # given a site in India (+05:30, no daylight saving)
    site_time_zone_set(site=api_site.site, time_zone="Asia/Kolkata")

    # when a purchase is sent with a created_at in another offset, as the contract's example
    response = api.post(
        PURCHASE_URL,
        {
            "site_slug": api_site.slug,
            "data": {
                "email": "buyer@example.com",
                "order_number": "TZ-1",
                "subtotal": 10,
                "created_at": "2026-07-07T11:06:14.000-07:00",
            },
        },
    )

    # then the moment is kept, and answered in the site's offset
    assert response.status_code == 201, response.content
    assert response.json()["result"]["origin"]["order_date"] == "2026-07-07T23:36:14.000+05:30"
    assert Origin.objects.get().occurred_at == datetime(2026, 7, 7, 18, 6, 14, tzinfo=UTC)


def test_a_zone_change_applies_to_the_next_request(api, api_site, frozen_now, settings):
    # given a key already cached under the site's UTC zone
    settings.API_KEY_VERSION_SECONDS = 0
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)
    assert unsubscribe(api, api_site.slug) == "2026-07-07T18:00:00.000+00:00"

    # when the site's zone is changed
    site_time_zone_set(site=api_site.site, time_zone="Europe/Berlin")

    # then the next answer uses it (the change bumps the key version every process reads)
    assert unsubscribe(api, api_site.slug) == "2026-07-07T20:00:00.000+02:00"


def test_another_sites_zone_does_not_leak_into_an_answer(api, api_site, frozen_now):
    # given this site at UTC, after another site's request in Tokyo was answered on this thread
    from tests.conftest import ApiClient
    from tests.factories import SiteFactory, make_key

    tokyo = SiteFactory(time_zone="Asia/Tokyo")
    other = ApiClient(make_key(tokyo).raw_key)
    build_program(tokyo)
    join(other, tokyo.slug, email=ADVOCATE)
    assert unsubscribe(other, tokyo.slug) == "2026-07-08T03:00:00.000+09:00"
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)

    # when this site's answer is written / then it is in this site's zone
    assert unsubscribe(api, api_site.slug) == "2026-07-07T18:00:00.000+00:00"


def test_a_webhook_emitted_outside_any_request_uses_the_sites_zone(api_site, frozen_now):
    # given a site in Los Angeles subscribed to a hook type, and no request going on (a worker)
    site_time_zone_set(site=api_site.site, time_zone="America/Los_Angeles")
    subscribe(api_site.site, "http://127.0.0.1:9/hook", "unsubscribe_web_hook")

    # when a payload with a time is emitted
    webhook_emit(
        site_id=api_site.site.pk,
        hook_type="unsubscribe_web_hook",
        payload={"person": {"unsubscribed_at": frozen_now}},
    )

    # then the stored body writes it with the site's offset
    delivery = Delivery.objects.get()
    assert delivery.payload == {"person": {"unsubscribed_at": "2026-07-07T11:00:00.000-07:00"}}
