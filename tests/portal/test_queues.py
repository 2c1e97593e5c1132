"""The referral queues: order, due times, filters, keyset pages, the bulk action and its
permissions, and a constant number of queries per page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goodword.campaigns.program import forget_program
from goodword.core.errors import DomainError, ValidationFailed
from goodword.portal.access import Forbidden
from goodword.portal.models import AuditEntry
from goodword.portal.queues import (
    BULK_MAX,
    QueueFilters,
    queue_filters,
    queue_page,
    referrals_bulk_act,
)
from goodword.referrals.models import Referral, ReferralEvent
from tests.factories import CampaignFactory
from tests.portal import queue_support as qs
from tests.portal.support import client_for, flagged_referral, make_staff, staff_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        forget_program()
        yield
    forget_program()


def url(site, queue="flagged", **query):
    base = reverse("portal:queue", args=[site.slug, queue])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def act_url(site, queue="flagged"):
    return reverse("portal:queue_act", args=[site.slug, queue])


# ---- reading ---------------------------------------------------------------------------------


def test_waiting_queues_list_the_oldest_first_with_when_each_resolves_by_itself(api_site):
    # given flagged referrals flagged at 10:00, 10:01, 10:02 (default settings: flagged ones
    # are voided 7 days after they were flagged)
    site = api_site.site
    made = qs.referrals(site, 3, "flagged", at=NOW - timedelta(hours=2))

    # when the flagged queue is read
    page = queue_page(site_id=site.pk, queue="flagged")

    # then the oldest comes first, each with its automatic void time
    assert qs.ids(page.rows) == [r.pk for r in made]
    first = page.rows[0]
    assert first.due == {"to_status": "voided", "due_at": made[0].updated_at + timedelta(days=7)}
    assert page.next_cursor is None


def test_done_queues_list_the_latest_first_without_due_times(api_site):
    site = api_site.site
    made = qs.referrals(site, 3, "approved")

    page = queue_page(site_id=site.pk, queue="approved")

    assert qs.ids(page.rows) == [r.pk for r in reversed(made)]
    assert all(row.due is None for row in page.rows)


def test_a_queue_holds_only_its_status_and_its_site(api_site, other_site):
    site = api_site.site
    flagged = qs.referrals(site, 1, "flagged")
    qs.referrals(site, 1, "pending")
    qs.referrals(other_site, 1, "flagged")

    page = queue_page(site_id=site.pk, queue="flagged")

    assert qs.ids(page.rows) == [flagged[0].pk]


def test_pages_follow_a_keyset_cursor_and_a_referral_leaving_shifts_nothing(api_site):
    # given five flagged referrals
    site = api_site.site
    made = qs.referrals(site, 5, "flagged")

    # when the first page of two is read, and one of its referrals leaves the queue
    first = queue_page(site_id=site.pk, queue="flagged", limit=2)
    Referral.objects.filter(pk=made[0].pk).update(status="voided")
    second = queue_page(site_id=site.pk, queue="flagged", limit=2, after=first.next_cursor or "")
    third = queue_page(site_id=site.pk, queue="flagged", limit=2, after=second.next_cursor or "")

    # then the pages continue where the last one ended: nothing skipped, nothing twice
    assert qs.ids(first.rows) == [made[0].pk, made[1].pk]
    assert qs.ids(second.rows) == [made[2].pk, made[3].pk]
    assert qs.ids(third.rows) == [made[4].pk]
    assert third.next_cursor is None


def test_a_cursor_that_is_not_one_starts_from_the_beginning(api_site):
    site = api_site.site
    made = qs.referrals(site, 2, "flagged")

    page = queue_page(site_id=site.pk, queue="flagged", after="not-a-cursor!")

    assert qs.ids(page.rows) == [r.pk for r in made]


def test_filters_by_campaign_method_policy_and_date(api_site):
    site = api_site.site
    spring = CampaignFactory(site=site, name="Spring")
    by_campaign = qs.referrals(site, 1, "flagged", campaign=spring)
    by_method = qs.referrals(site, 1, "flagged", track_method="coupon")
    by_policy = qs.referrals(
        site, 1, "flagged", fraud_details="Blocklisted friend email (*@spam.example)"
    )
    old = qs.referrals(site, 1, "flagged", at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC))

    def only(filters: QueueFilters) -> list[int]:
        return qs.ids(queue_page(site_id=site.pk, queue="flagged", filters=filters).rows)

    assert only(QueueFilters(campaign_id=spring.pk)) == [by_campaign[0].pk]
    assert only(QueueFilters(track_method="coupon")) == [by_method[0].pk]
    assert only(QueueFilters(policy="Blocklist")) == [by_policy[0].pk]
    assert only(QueueFilters(until=date(2026, 2, 1))) == [old[0].pk]
    assert old[0].pk not in only(QueueFilters(since=date(2026, 2, 2)))


def test_bad_filter_values_are_left_out_and_named():
    filters, problems = queue_filters(
        {"campaign": "x", "method": "telepathy", "policy": "Nope", "since": "yesterday"}
    )

    assert filters == QueueFilters()
    assert len(problems) == 4
    assert any("telepathy" in p for p in problems)


def test_the_queue_page_renders_rows_due_times_and_filters(api_site, agent_client):
    site = api_site.site
    made = qs.referrals(site, 2, "pending", at=NOW - timedelta(hours=3))

    response = agent_client.get(url(site, "pending"))

    assert response.status_code == 200
    body = response.content.decode()
    for referral in made:
        assert f'data-referral="{referral.pk}"' in body
        assert referral.origin.slug in body
    # automatic mode approves a day after the purchase
    due = made[0].origin.occurred_at + timedelta(days=1)
    assert f'approved at <span class="when">{due:%Y-%m-%d %H:%M}</span>' in body
    assert "Approve selected" in body and "Void selected" in body


def test_a_filter_that_is_wrong_is_said_on_the_page(api_site, agent_client):
    response = agent_client.get(url(api_site.site, method="telepathy"))

    assert response.status_code == 200
    assert "Filter left out: &#x27;telepathy&#x27; is not a tracking method" in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"until": "9999-12-31"}, "until must not be more than one day in the future"),
        ({"since": "1999-12-31"}, "since must not be before 2000-01-01"),
    ],
)
def test_a_filter_date_outside_the_window_is_said_not_a_500(api_site, agent_client, query, says):
    # when the queue is filtered up to the last day a date can hold (whose next day overflowed)
    response = agent_client.get(url(api_site.site, **query))

    # then the page renders and says the filter was left out
    assert response.status_code == 200
    assert f"Filter left out: {says}" in response.content.decode()


def test_an_unknown_queue_is_404(api_site, agent_client):
    assert agent_client.get(url(api_site.site, "everything")).status_code == 404


def test_the_queue_renders_with_the_same_number_of_queries_for_3_and_30_rows(
    api_site, agent_client
):
    site = api_site.site
    qs.referrals(site, 3, "flagged")
    agent_client.get(url(site))  # warm the program snapshot and the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = agent_client.get(url(site))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    qs.referrals(site, 27, "flagged")
    many = queries()

    assert few == many
    assert few <= 6


# ---- acting ----------------------------------------------------------------------------------


def test_bulk_void_changes_each_referral_through_the_single_action_and_audits_it(
    api_site, agent, agent_client
):
    # given three flagged referrals and one already approved
    site = api_site.site
    flagged = qs.referrals(site, 3, "flagged")
    done = qs.referrals(site, 1, "approved")[0]
    chosen = [r.pk for r in flagged] + [done.pk]

    # when the agent voids the four at once with a note
    response = agent_client.post(
        act_url(site) + "?method=cookie",
        {"referral": chosen, "action": "void", "note": "ring of fake accounts"},
        follow=True,
    )

    # then the three flagged ones are voided by the staff user, the approved one is refused
    # with its reason, and the page says so
    assert response.redirect_chain[-1][0] == url(site, method="cookie")
    assert set(
        Referral.objects.filter(pk__in=[r.pk for r in flagged]).values_list("status", flat=True)
    ) == {"voided"}
    assert Referral.objects.get(pk=done.pk).status == "approved"
    events = ReferralEvent.objects.filter(referral_id__in=[r.pk for r in flagged])
    assert {(e.actor, e.actor_detail, e.reason) for e in events} == {
        ("staff", agent.email, "ring of fake accounts")
    }
    body = response.content.decode()
    assert "3 referrals voided" in body
    assert f"1 refused: {done.pk}: Referral is already approved" in body
    # one audit entry per referral changed, and one for the bulk action with its summary
    singles = AuditEntry.objects.filter(action="referral.void")
    assert sorted(singles.values_list("object_id", flat=True)) == sorted(r.pk for r in flagged)
    bulk = AuditEntry.objects.get(action="referral.bulk_void")
    assert bulk.note == "ring of fake accounts"
    assert bulk.detail == (
        "voided: " + ", ".join(str(r.pk) for r in flagged) + f"; refused: {done.pk}"
    )


def test_bulk_approve_of_a_flagged_referral_pays_as_the_api_would(api, api_site, agent):
    # given a referral flagged through the real flow
    referral = flagged_referral(api, api_site.site, "BULK-1")

    # when it is approved in bulk
    result = referrals_bulk_act(
        staff=staff_of(agent, api_site.site), referral_ids=[referral.pk], action="approve"
    )

    # then it is approved with the staff actor, and its referrer reward exists
    assert result.changed == [(referral.pk, "approved")]
    assert result.refused == []
    referral.refresh_from_db()
    assert referral.status == "approved"
    assert referral.rewards.filter(reason="referrer").exists()


def test_bulk_unblock_moves_blocked_referrals_to_pending(api_site, agent):
    site = api_site.site
    blocked = qs.referrals(site, 2, "blocked")

    result = referrals_bulk_act(
        staff=staff_of(agent, site), referral_ids=[r.pk for r in blocked], action="unblock"
    )

    assert result.summary() == "2 unblocked"
    assert set(Referral.objects.filter(site=site).values_list("status", flat=True)) == {"pending"}


def test_another_sites_referrals_are_refused_one_by_one_and_left_alone(api_site, agent, other_site):
    site = api_site.site
    mine = qs.referrals(site, 1, "flagged")[0]
    theirs = qs.referrals(other_site, 1, "flagged")[0]

    result = referrals_bulk_act(
        staff=staff_of(agent, site), referral_ids=[theirs.pk, mine.pk], action="void"
    )

    assert result.changed == [(mine.pk, "voided")]
    assert result.refused == [(theirs.pk, "No such referral on this site.")]
    assert Referral.objects.get(pk=theirs.pk).status == "flagged"


def test_a_viewer_cannot_act_in_bulk(api_site, viewer, viewer_client):
    site = api_site.site
    flagged = qs.referrals(site, 2, "flagged")

    response = viewer_client.post(act_url(site), {"referral": [flagged[0].pk], "action": "void"})

    assert response.status_code == 403
    with pytest.raises(Forbidden):
        referrals_bulk_act(
            staff=staff_of(viewer, site), referral_ids=[flagged[1].pk], action="void"
        )
    assert set(Referral.objects.filter(site=site).values_list("status", flat=True)) == {"flagged"}
    assert not AuditEntry.objects.exists()


def test_a_viewer_sees_no_checkboxes_and_no_action_buttons(api_site, viewer_client):
    site = api_site.site
    made = qs.referrals(site, 1, "flagged")[0]

    body = viewer_client.get(url(site)).content.decode()

    assert f'data-referral="{made.pk}"' in body
    assert 'name="referral"' not in body
    assert "Void selected" not in body
    assert 'name="action"' not in body


def test_another_sites_queue_is_404(api_site, other_site, agent_client):
    qs.referrals(other_site, 1, "flagged")

    assert agent_client.get(url(other_site)).status_code == 404
    assert agent_client.post(act_url(other_site), {"action": "void"}).status_code == 404


def test_a_bulk_post_without_the_csrf_token_is_refused(api_site, agent):
    site = api_site.site
    made = qs.referrals(site, 1, "flagged")[0]
    client = client_for(agent, csrf=True)

    response = client.post(act_url(site), {"referral": [made.pk], "action": "void"})

    assert response.status_code == 403
    assert Referral.objects.get(pk=made.pk).status == "flagged"


def test_nothing_selected_too_many_or_an_unknown_action_is_refused(api_site, agent):
    staff = staff_of(agent, api_site.site)

    with pytest.raises(ValidationFailed, match="Select at least one"):
        referrals_bulk_act(staff=staff, referral_ids=[], action="void")
    with pytest.raises(ValidationFailed, match=f"at most {BULK_MAX}"):
        referrals_bulk_act(staff=staff, referral_ids=list(range(1, BULK_MAX + 2)), action="void")
    with pytest.raises(DomainError, match="Unknown referral action"):
        referrals_bulk_act(staff=staff, referral_ids=[1], action="delete")
    assert not AuditEntry.objects.exists()


def test_a_refused_bulk_post_says_why_on_the_queue(api_site, agent_client):
    site = api_site.site

    response = agent_client.post(act_url(site), {"action": "void"}, follow=True)

    assert response.status_code == 200
    assert "Select at least one referral." in response.content.decode()


def test_a_manager_acts_too(api_site):
    site = api_site.site
    manager = make_staff(site, "manager")
    made = qs.referrals(site, 1, "pending")[0]

    response = client_for(manager).post(
        act_url(site, "pending"), {"referral": [made.pk], "action": "approve"}
    )

    assert response.status_code == 302
    assert Referral.objects.get(pk=made.pk).status == "approved"
