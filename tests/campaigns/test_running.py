"""The pure rule of when a campaign runs (campaigns/running.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goodword.campaigns.running import campaign_running

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize("status", ["Live", "Test"])
def test_a_live_or_test_campaign_without_a_period_runs(status):
    assert campaign_running(status, None, None, AT)


@pytest.mark.parametrize("status", ["Disabled", "Archived", "Draft", ""])
def test_any_other_status_does_not_run(status):
    assert not campaign_running(status, None, None, AT)


def test_a_scheduled_campaign_runs_only_from_its_start():
    assert not campaign_running("Scheduled", None, None, AT)
    assert not campaign_running("Scheduled", AT + HOUR, None, AT)
    assert campaign_running("Scheduled", AT, None, AT)


def test_the_period_is_start_inclusive_and_end_exclusive():
    assert campaign_running("Live", AT, AT + HOUR, AT)
    assert not campaign_running("Live", AT - HOUR, AT, AT)
    assert not campaign_running("Live", AT + HOUR, None, AT)
