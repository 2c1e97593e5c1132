"""The portal under its Content-Security-Policy in real chromium: the page's own script (select
all) and HTMX still work, and the browser reports no violation of the policy."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.browser.test_portal_queues import AGENT, a_busy_site
from tests.portal.support import PASSWORD, make_staff

pytestmark = pytest.mark.django_db(transaction=True)

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_select_all_and_htmx_work_under_the_policy_with_no_violation(
    api, api_site, live_server, page
):
    from playwright.sync_api import expect

    # given an agent on the flagged queue, with the browser noting any policy violation
    site = api_site.site
    a_busy_site(api, site)
    make_staff(site, "agent", AGENT)
    page.add_init_script(WATCH_VIOLATIONS)
    login(page, live_server.url, AGENT, PASSWORD)
    response = page.goto(f"{live_server.url}/portal/{site.slug}/queues/flagged/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # when the agent ticks "select all"
    page.get_by_label("Select all on this page").check()

    # then every referral on the page is selected, by the portal's own script file
    boxes = page.locator("#queue tbody input[name=referral]")
    expect(boxes.first).to_be_checked()
    assert boxes.count() == 4
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))

    # and HTMX's in-place update still works (the bulk void answers through it)
    page.get_by_role("button", name="Void selected").click()
    expect(page.locator("#queue tbody tr")).to_have_count(0)

    # and the browser saw nothing the policy blocked
    assert page.evaluate("window.__violations") == []
