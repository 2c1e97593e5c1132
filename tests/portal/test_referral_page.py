"""The referral page: the decision explained, and approve / void / unblock through the same
transition as the Referrals API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goodword.portal.models import AuditEntry
from goodword.referrals.models import ReferralEvent
from goodword.rewards.models import Reward
from goodword.webhooks.models import Delivery, HookType
from tests.portal.support import ADVOCATE, FRIEND, client_for, flagged_referral, make_staff
from tests.referrals.program import build_program, buy, friend_clicks, join, put_status, referral_of
from tests.webhooks.support import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

SIMILAR = "Similar Email Match"


def url(site, referral, action: str = "") -> str:
    base = f"/portal/{site.slug}/referrals/{referral.pk}/"
    return f"{base}{action}/" if action else base


def test_the_page_explains_why_a_referral_was_flagged_and_how_it_was_attributed(
    api, api_site, agent_client
):
    # given a referral flagged because the friend's email reaches the advocate's mailbox
    referral = flagged_referral(api, api_site.site)

    # when an agent opens it
    response = agent_client.get(url(api_site.site, referral))

    # then the page says why, with the policy's stored evidence, and how it was attributed
    assert response.status_code == 200
    page = response.content.decode()
    assert "Screening flagged it: <strong>Similar Email</strong>" in page
    assert (
        "Similar Email (flagged): johndoe+x@gmail.com and john.doe@gmail.com deliver to the "
        "same mailbox johndoe@gmail.com."
    ) in page
    assert ADVOCATE in page and FRIEND in page
    assert "How it was attributed: <code>cookie</code>" in page
    assert "had clicked this advocate&#x27;s claim link" in page
    # the facts were stored at screening time, so no "as known now" warning
    assert "shown as known now" not in page
    # flagged referrals are voided after the review period by default
    assert "It will be <strong>voided</strong> automatically" in page
    # and an agent is offered approve and void, not unblock
    assert 'value="approve"' in page and 'value="void"' in page
    assert 'value="unblock"' not in page


def test_the_page_shows_a_phone_match_with_its_evidence(api, api_site, agent_client):
    # given a referral flagged because the friend bought with the advocate's phone number
    build_program(api_site.site)
    joined = join(api, api_site.slug, phone_number="+44 20 7946 0958")
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, "TEL-1", "friend@example.org", uuid=uuid, phone_number="020 7946 0958")
    referral = referral_of("TEL-1")

    # when an agent opens it
    response = agent_client.get(url(api_site.site, referral))

    # then the finding, the policy's evidence and both numbers as compared are on the page
    assert response.status_code == 200
    page = response.content.decode()
    assert "Screening flagged it: <strong>Matching Phone Number</strong>" in page
    assert (
        "Matching Phone Number (flagged): The friend&#x27;s phone number 020 7946 0958 is the "
        "advocate&#x27;s +44 20 7946 0958 (both read as 2079460958)."
    ) in page
    assert "Matching Phone Number on Friend Purchase" in page
    assert "<dt>normalised_phone</dt>" in page
    assert '<td class="mono match">+44 20 7946 0958</td>' in page
    assert '<td class="mono match">020 7946 0958</td>' in page


def test_approving_goes_through_the_api_transition_with_a_staff_actor(
    api, api_site, agent, agent_client
):
    # given a flagged referral on a site subscribed to referral_web_hook
    referral = flagged_referral(api, api_site.site)
    subscribe(api_site.site, "http://127.0.0.1:9/hooks", HookType.REFERRAL)

    # when the agent approves it with a note
    response = agent_client.post(url(api_site.site, referral, "approve"), {"note": "called them"})

    # then it is approved, by the staff user, with their note as the reason
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "approved"
    event = ReferralEvent.objects.filter(referral=referral).order_by("-id").first()
    assert (event.from_status, event.to_status) == ("flagged", "approved")
    assert (event.actor, event.actor_detail, event.reason) == ("staff", agent.email, "called them")
    # the referral webhook is queued and the advocate's reward waits for it, as for the API
    hooks = list(Delivery.objects.filter(subject=f"referral:{referral.pk}"))
    assert [(d.hook_type, d.status) for d in hooks] == [("referral_web_hook", "pending")]
    reward = Reward.objects.get(referral=referral, reason="referrer")
    assert reward.status == "Pending"
    assert reward.status_reason == "Waiting for the referral webhook to be delivered"
    # and the action is audited with its note
    entry = AuditEntry.objects.get(object_type="referral", object_id=referral.pk)
    assert (entry.action, entry.user_email, entry.note, entry.detail) == (
        "referral.approve",
        agent.email,
        "called them",
        "flagged -> approved",
    )
    # the page then shows the new status, the history, and no more actions
    page = client_for(agent).get(url(api_site.site, referral)).content.decode()
    assert 'id="status">approved<' in page
    assert f"Then <strong>approved</strong> by staff ({agent.email})" in page
    assert "“called them”" in page
    assert "staff (" + agent.email + ")" in page
    assert 'value="approve"' not in page and 'value="void"' not in page


def test_an_approval_pays_the_reward_like_an_api_approval(api, api_site, agent_client):
    # given two flagged referrals, one approved by staff and one through the API
    staff_ref = flagged_referral(api, api_site.site, "FLAG-A")
    api_ref = flagged_referral(api, api_site.site, "FLAG-B", program=False)

    agent_client.post(url(api_site.site, staff_ref, "approve"))
    put_status(api, api_site.slug, "FLAG-B", "approved")

    # then both advocates' rewards ended the same way
    def outcome(referral):
        return sorted(
            (r.reason, r.status, r.status_reason) for r in Reward.objects.filter(referral=referral)
        )

    assert outcome(staff_ref) == outcome(api_ref)
    assert ("referrer", "Paid", "") in outcome(staff_ref)


def test_voiding_and_unblocking(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site)

    agent_client.post(url(api_site.site, referral, "void"), {"note": "duplicate account"})

    referral.refresh_from_db()
    assert referral.status == "voided"
    assert Reward.objects.get(referral=referral, reason="referrer").status == "Voided"


def test_unblocking_moves_a_blocked_referral_to_pending(api, api_site, agent_client):
    # given a self-referral, blocked
    referral = flagged_referral(api, api_site.site)
    put_status(api, api_site.slug, "FLAG-1", "blocked")

    page = agent_client.get(url(api_site.site, referral)).content.decode()
    assert 'value="unblock"' in page and 'value="approve"' not in page
    response = agent_client.post(url(api_site.site, referral, "unblock"), {"note": "known couple"})

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "pending"
    event = ReferralEvent.objects.filter(referral=referral).order_by("-id").first()
    assert (event.from_status, event.to_status, event.reason) == (
        "blocked",
        "pending",
        "known couple",
    )


@pytest.mark.parametrize("final", ["approved", "voided"])
@pytest.mark.parametrize("action", ["approve", "void", "unblock"])
def test_final_states_refuse_every_action_and_show_none(api, api_site, agent_client, final, action):
    referral = flagged_referral(api, api_site.site)
    put_status(api, api_site.slug, "FLAG-1", final)
    events = ReferralEvent.objects.filter(referral=referral).count()

    response = agent_client.post(url(api_site.site, referral, action), follow=True)

    referral.refresh_from_db()
    assert referral.status == final
    assert ReferralEvent.objects.filter(referral=referral).count() == events
    assert not AuditEntry.objects.exists()
    page = response.content.decode()
    assert 'class="msg error"' in page
    assert 'id="actions"' not in page


def test_unblock_refuses_a_referral_that_is_not_blocked(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site)

    response = agent_client.post(url(api_site.site, referral, "unblock"), follow=True)

    assert (
        "Only a blocked referral can be unblocked; this one is flagged."
        in response.content.decode()
    )
    referral.refresh_from_db()
    assert referral.status == "flagged"


def test_an_htmx_action_answers_with_the_page_to_swap_in(api, api_site, agent_client):
    referral = flagged_referral(api, api_site.site)

    response = agent_client.post(
        url(api_site.site, referral, "approve"), HTTP_HX_REQUEST="true", follow=True
    )

    assert response.status_code == 200
    assert 'id="main"' in response.content.decode()
    assert f"Referral {referral.pk} approved" in response.content.decode()


def test_a_viewer_sees_no_action_and_cannot_act(api, api_site, viewer_client):
    referral = flagged_referral(api, api_site.site)

    page = viewer_client.get(url(api_site.site, referral)).content.decode()
    response = viewer_client.post(url(api_site.site, referral, "approve"))

    assert 'id="actions"' not in page
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == "flagged"


def test_another_sites_referral_is_not_found(api, api_site, other_site):
    referral = flagged_referral(api, api_site.site)
    outsider = client_for(make_staff(other_site, "manager"))

    # neither under the referral's own site (not theirs) nor under their site (not its)
    assert outsider.get(url(api_site.site, referral)).status_code == 404
    assert outsider.get(f"/portal/{other_site.slug}/referrals/{referral.pk}/").status_code == 404
    assert (
        outsider.post(f"/portal/{other_site.slug}/referrals/{referral.pk}/approve/").status_code
        == 404
    )
    referral.refresh_from_db()
    assert referral.status == "flagged"


def test_an_action_without_the_csrf_token_is_refused(api, api_site, agent):
    referral = flagged_referral(api, api_site.site)
    client = client_for(agent, csrf=True)

    response = client.post(url(api_site.site, referral, "approve"))

    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == "flagged"


def test_the_page_costs_the_same_queries_however_long_the_history(api, api_site, agent_client):
    # given two referrals, the second with a longer history and more webhooks
    subscribe(api_site.site, "http://127.0.0.1:9/hooks", HookType.REFERRAL)
    short = flagged_referral(api, api_site.site, "Q-1")
    long = flagged_referral(api, api_site.site, "Q-2", program=False)
    for status in ("pending", "flagged", "pending", "flagged", "approved"):
        put_status(api, api_site.slug, "Q-2", status)
    agent_client.get(url(api_site.site, short))  # warm the per-process program snapshot

    counts = []
    for referral in (short, long):
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(url(api_site.site, referral)).status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 10
