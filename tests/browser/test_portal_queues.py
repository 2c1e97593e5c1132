"""The dashboard, the flagged queue with a bulk void, and adding a blocklist entry after its
preview, in real chromium against the live server. The screenshots of the dashboard, the queue
and the referral page are the ones docs/portal.md shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from goodword.campaigns.models import Campaign
from goodword.core.clock import now
from goodword.referrals.models import Referral
from goodword.sites.models import BlocklistEntry
from goodword.webhooks.models import Delivery, DeliveryAttempt, Subscription
from tests.browser.conftest import login
from tests.portal import queue_support as qs
from tests.portal.support import FRIEND, PASSWORD, flagged_referral, make_staff

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = "ORDER-1001"
AGENT = "agent@shop.example.com"


def a_busy_site(api, site):
    """A flagged referral made through the API, more flagged, pending and approved ones, and a
    webhook receiver that keeps failing."""
    referral = flagged_referral(api, site, ORDER)
    campaign = Campaign.objects.get(site=site, slug="invite")
    stamp = now()
    qs.referrals(
        site,
        3,
        "flagged",
        campaign=campaign,
        fraud_details="Matching IP Address",
        at=stamp - timedelta(hours=5),
        advocate_email="maria.lopez@example.com",
    )
    qs.referrals(site, 2, "pending", campaign=campaign, at=stamp - timedelta(hours=3))
    qs.referrals(site, 4, "approved", campaign=campaign, at=stamp - timedelta(hours=2))
    subscription = Subscription.objects.create(
        site=site,
        hook_type="reward_web_hook",
        url="https://hooks.shop.example.com/goodword",
        created_at=stamp,
    )
    failed = Delivery.objects.create(
        site=site,
        subscription=subscription,
        hook_type="reward_web_hook",
        url=subscription.url,
        payload={},
        status="failed",
        attempts=1,
        last_status_code=502,
        last_error="HTTP 502 Bad Gateway",
        created_at=stamp - timedelta(minutes=40),
        finished_at=stamp - timedelta(minutes=39),
    )
    DeliveryAttempt.objects.create(
        delivery=failed,
        started_at=stamp - timedelta(minutes=40),
        status_code=502,
        latency_ms=87,
        response_body="<html>Bad Gateway</html>",
        outcome="failed",
    )
    return referral


def test_the_dashboard_leads_to_the_flagged_queue_and_a_referral(
    api, api_site, live_server, page, shot
):
    from playwright.sync_api import expect

    # given a site with referrals waiting, a failing webhook and a pool running low
    site = api_site.site
    referral = a_busy_site(api, site)
    make_staff(site, "agent", AGENT)

    # when the agent logs in
    login(page, live_server.url, AGENT, PASSWORD)

    # then the dashboard counts each queue, and shows the failing webhook and the low pool
    expect(page.get_by_role("heading", level=1)).to_contain_text("today at a glance")
    tiles = page.locator("#queue-counts")
    expect(tiles.locator('[data-queue="flagged"] .n')).to_have_text("4")
    expect(tiles.locator('[data-queue="pending"] .n')).to_have_text("2")
    expect(tiles.locator('[data-queue="approved"] .n')).to_have_text("4")
    expect(page.locator("#origins-today .n")).not_to_have_text("0")
    expect(page.locator("#failing")).to_contain_text("HTTP 502 Bad Gateway")
    expect(page.locator("#pools")).to_contain_text("friend-pool")
    expect(page.locator("#backlog")).to_contain_text("Due now")
    shot("dashboard")

    # when the agent opens the flagged queue from its tile
    tiles.locator('[data-queue="flagged"]').click()

    # then the queue lists the four, each with why and when it resolves by itself
    expect(page).to_have_url(re.compile(r"/queues/flagged/$"))
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator(f'tr[data-referral="{referral.pk}"]')).to_contain_text("Similar Email")
    expect(page.locator(f'tr[data-referral="{referral.pk}"]')).to_contain_text("voided at")

    # and the referral opens from its row, explained
    page.locator(f'tr[data-referral="{referral.pk}"]').get_by_role(
        "link", name=str(referral.pk), exact=True
    ).click()
    expect(page.locator("#status")).to_have_text("flagged")
    expect(page.locator("#why")).to_contain_text(FRIEND)
    shot("referral")

    # and the failing webhook is in the delivery log with its attempt
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").click()
    log = page.locator("#deliveries")
    expect(log).to_contain_text("reward_web_hook")
    expect(log).to_contain_text("HTTP 502")
    expect(log).to_contain_text("87 ms")
    expect(log).to_contain_text("<html>Bad Gateway</html>")
    expect(page.get_by_role("button", name=re.compile(r"^Redeliver"))).to_have_count(1)
    shot("deliveries")


def test_an_agent_voids_two_flagged_referrals_at_once_from_the_queue(
    api, api_site, live_server, page, shot
):
    from playwright.sync_api import expect

    # given four flagged referrals, one of them made through the API
    site = api_site.site
    a_busy_site(api, site)
    make_staff(site, "agent", AGENT)
    ip_flagged = list(
        Referral.objects.filter(site=site, fraud_details="Matching IP Address").order_by("pk")
    )

    # when the agent filters the flagged queue by the IP policy
    login(page, live_server.url, AGENT, PASSWORD)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Queues").click()
    page.get_by_label("Fraud policy").select_option("Matching IP Address")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    shot("queue")

    # and selects two and voids them with a note (in place, through HTMX)
    page.get_by_label(f"Select referral {ip_flagged[0].pk}").check()
    page.get_by_label(f"Select referral {ip_flagged[1].pk}").check()
    page.get_by_label("Note for the selected").fill("same household, confirmed by phone")
    page.get_by_role("button", name="Void selected").click()

    # then the page says what changed, the filter is kept, and the two left the queue
    expect(page.locator(".msg.success")).to_contain_text("2 referrals voided")
    expect(page).to_have_url(re.compile(r"policy=Matching"))
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    expect(page.locator(f'tr[data-referral="{ip_flagged[2].pk}"]')).to_be_visible()
    statuses = dict(
        Referral.objects.filter(pk__in=[r.pk for r in ip_flagged]).values_list("pk", "status")
    )
    assert statuses == {
        ip_flagged[0].pk: "voided",
        ip_flagged[1].pk: "voided",
        ip_flagged[2].pk: "flagged",
    }

    # and the voided ones are in the recent voids with the staff user in their history
    page.get_by_role("link", name="Recent voids").click()
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    page.get_by_role("link", name=str(ip_flagged[0].pk), exact=True).click()
    expect(page.locator("#history")).to_contain_text(f"staff ({AGENT})")
    expect(page.locator("#history")).to_contain_text("same household, confirmed by phone")


def test_an_agent_adds_a_blocklist_entry_after_seeing_what_it_matches(
    api, api_site, live_server, page, shot
):
    from playwright.sync_api import expect

    # given the friend of a flagged referral, whose email is johndoe+x@gmail.com
    site = api_site.site
    flagged_referral(api, site, ORDER)
    make_staff(site, "agent", AGENT)

    # when the agent previews a pattern on the blocklist page
    login(page, live_server.url, AGENT, PASSWORD)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Blocklist").click()
    page.get_by_label("Email, email pattern").fill("johndoe+*@GMAIL.com")
    page.get_by_label("Note").fill("sock puppets")
    page.get_by_role("button", name="Preview").click()

    # then it shows the entry normalised and what it matches, and nothing is saved yet
    preview = page.locator("#preview")
    expect(preview).to_contain_text("johndoe+*@gmail.com")
    expect(page.locator("#preview-people")).to_have_text("1")
    expect(page.locator("#preview-referrals")).to_have_text("1")
    expect(preview).to_contain_text(FRIEND)
    assert not BlocklistEntry.objects.filter(site=site).exists()
    shot("blocklist-preview")

    # when the agent adds it
    page.get_by_role("button", name="Add johndoe+*@gmail.com to the blocklist").click()

    # then it is listed with who added it, and stored as the configuration file's entries are
    expect(page.locator(".msg.success")).to_contain_text("johndoe+*@gmail.com is on the blocklist")
    row = page.locator('#entries tr[data-entry="johndoe+*@gmail.com"]')
    expect(row).to_contain_text(AGENT)
    expect(row).to_contain_text("sock puppets")
    entry = BlocklistEntry.objects.get(site=site)
    assert (entry.value, entry.note, entry.added_by) == (
        "johndoe+*@gmail.com",
        "sock puppets",
        AGENT,
    )
    shot("blocklist")
