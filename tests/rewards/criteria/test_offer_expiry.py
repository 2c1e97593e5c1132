"""offer_not_expired (default true): no reward once the advocate's offer had expired."""

from __future__ import annotations

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import facts


def test_an_expired_offer_fails_by_default():
    # given criteria that say nothing about expiry
    verdict = evaluate(Criteria(), facts(offer_expired=True))

    # then an expired offer still fails: the check is on unless turned off
    assert verdict.failed == ("offer_not_expired",)
    assert verdict.reason == "Criteria not met: the advocate's offer had expired"
    assert verdict.evidence["offer_not_expired"] == {
        "outcome": "failed",
        "required": True,
        "offer_expired": True,
    }


def test_a_live_offer_passes():
    verdict = evaluate(Criteria(), facts(offer_expired=False))
    assert verdict.ok
    assert verdict.evidence["offer_not_expired"]["outcome"] == "passed"


def test_turned_off_an_expired_offer_passes():
    # given an incentive that pays after expiry too
    verdict = evaluate(Criteria(offer_not_expired=False), facts(offer_expired=True))

    # then it passes and the rule leaves no evidence
    assert verdict.ok
    assert "offer_not_expired" not in verdict.evidence
