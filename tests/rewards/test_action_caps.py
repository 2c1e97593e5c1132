"""Caps (`cap_total`, `cap_per_month`) and `once_per_advocate` on the rewards given at once for
what people do with an offer: `click`, `shared` and `signup` (rewards.facts.action_refusal
counting the advocate's given rewards, rewards.decision giving or blocking).

Clicks reach a cap through the API and the claim link, since each friend's click is a reward of
its own. A signup or share reward is one per offer and an offer one per advocate and campaign,
so the second one a cap must refuse is asked of `action_refusal` directly, with the first one
given through the API and counted from the database."""

from __future__ import annotations

import pytest

from goodword.campaigns.program import program_for
from goodword.core.clock import now
from goodword.offers.models import AdvocateOffer
from goodword.rewards.criteria import CAP_REACHED, NOT_MET
from goodword.rewards.facts import action_refusal
from goodword.rewards.models import Reward
from tests.conftest import NOW
from tests.referrals.program import build_program, click, join
from tests.rewards.program import set_incentive

pytestmark = pytest.mark.django_db

CODES = tuple(f"FRIEND-{i}" for i in range(1, 7))
NEXT_MONTH = NOW.replace(month=NOW.month + 1, day=1, hour=9)


@pytest.fixture
def campaign(api_site, frozen_now):
    return build_program(api_site.site, pool_codes=CODES)


def click_rewards() -> list[tuple[str, str]]:
    return [
        (r.status, r.status_reason) for r in Reward.objects.filter(reason="click").order_by("id")
    ]


def friends_click(offer: dict, count: int) -> None:
    for _ in range(count):  # each a browser of its own: a friend of their own
        click(offer["claim_url"])


# ---- click -------------------------------------------------------------------------------------


def test_a_click_reward_over_the_total_cap_is_blocked(api, api_site, campaign):
    # given click rewards capped at two per advocate
    set_incentive(campaign, "click", criteria={"cap_total": 2})
    offer = join(api, api_site.slug)["offer"]

    # when three friends click the advocate's link
    friends_click(offer, 3)

    # then two are paid and the third is blocked as capped
    statuses = click_rewards()
    assert [s for s, _ in statuses] == ["Paid", "Paid", "Blocked"]
    assert statuses[2][1].startswith(CAP_REACHED)


def test_a_click_reward_over_the_monthly_cap_waits_for_the_next_month(
    api, api_site, campaign, time_machine
):
    # given click rewards capped at two per advocate a month
    set_incentive(campaign, "click", criteria={"cap_per_month": 2})
    offer = join(api, api_site.slug)["offer"]

    # when three friends click this month, and one more next month
    friends_click(offer, 3)
    time_machine.move_to(NEXT_MONTH, tick=False)
    friends_click(offer, 1)

    # then the third is capped, and the month's turn pays the fourth
    statuses = click_rewards()
    assert [s for s, _ in statuses] == ["Paid", "Paid", "Blocked", "Paid"]
    assert statuses[2][1].startswith(CAP_REACHED)


def test_a_click_reward_once_per_advocate_pays_only_the_first_friend(api, api_site, campaign):
    # given a click reward given once per advocate
    set_incentive(campaign, "click", criteria={"reward_uniqueness": "once_per_advocate"})
    offer = join(api, api_site.slug)["offer"]

    # when two friends click
    friends_click(offer, 2)

    # then only the first is paid
    statuses = click_rewards()
    assert [s for s, _ in statuses] == ["Paid", "Blocked"]
    assert statuses[1][1] == NOT_MET + "the advocate already has this reward (once per advocate)"


def test_without_caps_every_friends_click_is_paid(api, api_site, campaign):
    set_incentive(campaign, "click", criteria={})
    offer = join(api, api_site.slug)["offer"]

    friends_click(offer, 3)

    assert [s for s, _ in click_rewards()] == ["Paid", "Paid", "Paid"]


# ---- signup and shared ---------------------------------------------------------------------------


def second_refusal(api_site, reason: str) -> str | None:
    """Whether another `reason` reward for the advocate would be refused now, the first having
    been given through the API."""
    offer = AdvocateOffer.objects.get()
    program = program_for(api_site.site.id)
    info = program.campaign(offer.campaign_id)
    assert info is not None
    incentive = info.incentive(reason)
    assert incentive is not None
    return action_refusal(
        program=program,
        campaign=info,
        incentive=incentive,
        offer=offer,
        person_id=offer.advocate_id,
        origin=None,
        stamp=now(),
    )


def give_first(api, api_site, reason: str) -> None:
    offer = join(api, api_site.slug)["offer"]
    if reason == "shared":
        response = api.post(
            f"/api/v2/offers/{offer['short_url_code']}/shares/social",
            {"site_slug": api_site.slug, "channel": "facebook"},
        )
        assert response.status_code == 200, response.content
    assert Reward.objects.get(reason=reason).status == "Paid"


@pytest.mark.parametrize("reason", ["signup", "shared"])
@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"cap_total": 1}, CAP_REACHED),
        ({"cap_per_month": 1}, CAP_REACHED),
        ({"reward_uniqueness": "once_per_advocate"}, NOT_MET),
    ],
    ids=["cap_total", "cap_per_month", "once_per_advocate"],
)
def test_a_second_action_reward_is_refused_by_its_cap(
    api, api_site, campaign, reason, criteria, message
):
    # given a capped incentive whose first reward the advocate was given
    set_incentive(campaign, reason, amount="3", criteria=criteria)
    give_first(api, api_site, reason)

    # when another would be given
    refused = second_refusal(api_site, reason)

    # then the count of the first refuses it
    assert refused is not None and refused.startswith(message), refused


@pytest.mark.parametrize("reason", ["signup", "shared"])
def test_the_monthly_cap_counts_this_month_only(api, api_site, campaign, reason, time_machine):
    # given an incentive capped at one a month, given once this month
    set_incentive(campaign, reason, amount="3", criteria={"cap_per_month": 1})
    give_first(api, api_site, reason)

    # when another is asked for next month
    time_machine.move_to(NEXT_MONTH, tick=False)

    # then it is allowed
    assert second_refusal(api_site, reason) is None


@pytest.mark.parametrize("reason", ["signup", "shared"])
def test_a_blocked_first_reward_does_not_count(api, api_site, campaign, reason):
    # given a first reward that was not given (blocked), under a total cap of one
    set_incentive(campaign, reason, amount="3", criteria={"cap_total": 1})
    give_first(api, api_site, reason)
    Reward.objects.filter(reason=reason).update(status="Blocked", given_at=None)

    # then a second is not capped by it
    assert second_refusal(api_site, reason) is None
