"""The Hypothesis profile tests/conftest.py loads: fit for a machine shared by several runs."""

from __future__ import annotations

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def test_the_shared_machine_profile_has_no_deadline():
    profile = hypothesis_settings.get_profile("shared-machine")
    assert profile.deadline is None
    assert HealthCheck.too_slow in profile.suppress_health_check
