"""An agent finds a flagged referral by the friend's order number, reads why it was flagged,
approves it, and sees the status history, the reward and the referral webhook; a viewer sees
no action. Real chromium against the live server."""

from __future__ import annotations

import re

import pytest

from goodword.referrals.models import Referral
from goodword.webhooks.models import HookType
from goodword.worker.loop import drain
from tests.browser.conftest import login
from tests.portal.support import ADVOCATE, FRIEND, PASSWORD, flagged_referral, make_staff
from tests.webhooks.support import Receiver, receiver_fixture, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = "ORDER-1001"


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def test_an_agent_approves_a_flagged_referral_found_by_order_number(
    api, api_site, live_server, page, shot, receiver: Receiver
):
    from playwright.sync_api import expect

    # given a site that hears about approvals through referral_web_hook, and a referral
    # flagged because the friend's email reaches the advocate's own mailbox
    subscribe(api_site.site, receiver.url, HookType.REFERRAL)
    referral = flagged_referral(api, api_site.site, ORDER)
    agent = make_staff(api_site.site, "agent", "agent@shop.example.com")

    # when the agent logs in and searches the friend's order number
    login(page, live_server.url, agent.email, PASSWORD)
    expect(
        page.get_by_role("heading", name="Find a person, an order or a referral")
    ).to_be_visible()
    page.get_by_label("Search", exact=True).fill(ORDER)
    page.get_by_label("Search", exact=True).press("Enter")

    # then the one match opens: the flagged referral, with why and how
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.locator("#status")).to_have_text("flagged")
    why = page.locator("#why")
    expect(why).to_contain_text("Screening flagged it: Similar Email")
    expect(why).to_contain_text(f"{FRIEND} and {ADVOCATE} deliver to the same mailbox")
    policies = page.locator("#policies")
    expect(policies.locator("tr", has_text="Similar Email").first).to_contain_text("flagged")
    expect(policies).to_contain_text("johndoe@gmail.com")  # the stored evidence
    expect(page.locator("#attribution")).to_contain_text("How it was attributed: cookie")
    sides = page.locator("#sides")
    expect(sides).to_contain_text(ADVOCATE)
    expect(sides).to_contain_text(FRIEND)
    expect(page.locator("#next-step")).to_contain_text("voided automatically")
    shot("referral-flagged")

    # when the agent approves it with a note (in place, through HTMX)
    assert page.evaluate("typeof htmx") == "object"  # the vendored file is served and runs
    page.evaluate(
        "window.swapped = false;"
        "document.body.addEventListener('htmx:afterSwap', () => { window.swapped = true; })"
    )
    actions = page.locator("#actions")
    actions.get_by_label("Note for approve").fill("Customer called: two people, one household")
    actions.get_by_role("button", name="Approve").click()

    # then the page shows it approved, by them, with no more actions
    expect(page.locator("#status")).to_have_text("approved")
    assert page.evaluate("window.swapped") is True  # swapped in place, not a new page
    expect(page.locator(".msg.success")).to_contain_text(f"Referral {referral.pk} approved")
    history = page.locator("#history")
    expect(history).to_contain_text(f"staff ({agent.email})")
    expect(history).to_contain_text("Customer called: two people, one household")
    expect(page.locator("#actions")).to_have_count(0)
    # the advocate's reward waits for the referral webhook, which is queued
    rewards = page.locator("#rewards")
    expect(rewards.locator("tr", has_text="referrer")).to_contain_text(
        "Waiting for the referral webhook to be delivered"
    )
    webhooks = page.locator("#webhooks")
    expect(webhooks.locator("tr", has_text="referral_web_hook")).to_contain_text("pending")
    expect(page.locator("#audit")).to_contain_text("referral.approve")
    shot("referral-approved")

    # when the worker sends the webhook (as `goodword worker` beside the server would)
    drain()

    # then the reload shows the webhook delivered and the advocate paid
    page.reload()
    expect(webhooks.locator("tr", has_text="referral_web_hook")).to_contain_text("delivered")
    expect(rewards.locator("tr", has_text="referrer")).to_contain_text("Paid")
    assert [r.document["type"] for r in receiver.received] == ["referral_web_hook"]
    shot("referral-paid")

    # and the advocate's person page lists the referral and the paid reward
    page.get_by_role("link", name=ADVOCATE).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ADVOCATE)
    expect(page.locator("#as-advocate")).to_contain_text(ORDER)
    expect(page.locator("#rewards")).to_contain_text("Paid")
    shot("person")
    assert Referral.objects.get(pk=referral.pk).status == "approved"


def test_a_viewer_reads_the_referral_but_has_no_action_buttons(
    api, api_site, live_server, page, shot
):
    referral = flagged_referral(api, api_site.site, ORDER)
    viewer = make_staff(api_site.site, "viewer", "viewer@shop.example.com")

    login(page, live_server.url, viewer.email, PASSWORD)
    page.goto(f"{live_server.url}/portal/{api_site.slug}/referrals/{referral.pk}/")

    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text("flagged")
    expect(page.locator("#why")).to_contain_text("Similar Email")
    expect(page.locator("#actions")).to_have_count(0)
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Void")).to_have_count(0)
    expect(page.get_by_role("link", name="Manual referral")).to_have_count(0)
    shot("referral-viewer")


def test_a_wrong_password_says_so_and_the_account_locks_after_five(api_site, live_server, page):
    from playwright.sync_api import expect

    agent = make_staff(api_site.site, "agent", "agent@shop.example.com")
    for _ in range(5):
        login(page, live_server.url, agent.email, "not-the-password")
        expect(page.locator(".errors")).to_contain_text("enter a correct email")

    login(page, live_server.url, agent.email, PASSWORD)

    expect(page.locator(".errors")).to_contain_text("Too many failed logins")


def test_an_agent_credits_an_advocate_with_a_friends_order_by_hand(
    api, api_site, live_server, page, shot
):
    from playwright.sync_api import expect

    from tests.referrals.program import build_program, buy, join

    # given an advocate, and a friend's order that nothing tied to them
    build_program(api_site.site)
    join(api, api_site.slug, email="ada@example.com")
    buy(api, api_site.slug, "LOST-7", "friend@example.org")
    agent = make_staff(api_site.site, "agent", "agent@shop.example.com")

    # when the agent fills the manual referral form
    login(page, live_server.url, agent.email, PASSWORD)
    page.get_by_role("link", name="Manual referral").click()
    form = page.locator("#manual-referral")
    form.get_by_label("Friend's order number").fill("LOST-7")
    form.get_by_label("Advocate's email").fill("ada@example.com")
    form.get_by_label("Note").fill("bought on another device")
    shot("manual-referral")
    form.get_by_role("button", name="Create referral").click()

    # then the new referral's page says who made it and how
    expect(page.locator("#status")).to_have_text("pending")
    expect(page.locator("#attribution")).to_contain_text("manually_generated")
    expect(page.locator("#attribution")).to_contain_text(f"Created by hand by {agent.email}")
    expect(page.locator("#history")).to_contain_text("bought on another device")

    # and a second attempt on the same order is refused with the reason
    page.get_by_role("link", name="Manual referral").click()
    form = page.locator("#manual-referral")
    form.get_by_label("Friend's order number").fill("LOST-7")
    form.get_by_label("Advocate's email").fill("ada@example.com")
    form.get_by_role("button", name="Create referral").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "LOST-7 is already referred by ada@example.com"
    )
