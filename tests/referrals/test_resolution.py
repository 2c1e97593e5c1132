"""The pure rule of automatic resolution (referrals/resolution.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goodword.referrals.resolution import ApprovalSettings, resolution

ORIGIN_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FLAGGED_AT = datetime(2026, 5, 1, 12, 5, tzinfo=UTC)


def settings(mode="automatic", delay=3600, flagged="voided", flagged_delay=600):
    return ApprovalSettings(
        mode=mode,
        delay_seconds=delay,
        flagged_resolution=flagged,
        flagged_delay_seconds=flagged_delay,
    )


def decide(status, **kwargs):
    return resolution(
        status=status, settings=settings(**kwargs), origin_at=ORIGIN_AT, status_since=FLAGGED_AT
    )


def test_automatic_mode_approves_pending_the_delay_after_the_friends_origin():
    due = decide("pending", delay=90)
    assert due is not None
    assert (due.to_status, due.due_at) == ("approved", ORIGIN_AT + timedelta(seconds=90))


def test_manual_mode_approves_nothing():
    assert decide("pending", mode="manual") is None
    assert decide("flagged", mode="manual", flagged="approved") is None


def test_manual_mode_still_voids_flagged_referrals_when_told_to():
    due = decide("flagged", mode="manual", flagged="voided", flagged_delay=30)
    assert due is not None
    assert (due.to_status, due.due_at) == ("voided", FLAGGED_AT + timedelta(seconds=30))


@pytest.mark.parametrize("outcome", ["voided", "approved"])
def test_flagged_resolves_to_the_configured_outcome_after_its_own_delay(outcome):
    due = decide("flagged", flagged=outcome, flagged_delay=600, delay=5)
    assert due is not None
    assert (due.to_status, due.due_at) == (outcome, FLAGGED_AT + timedelta(seconds=600))


def test_flagged_set_to_never_waits_for_a_person():
    assert decide("flagged", flagged="never") is None


@pytest.mark.parametrize("status", ["approved", "voided", "blocked", "in_progress"])
def test_other_statuses_never_resolve_by_themselves(status):
    assert decide(status) is None
