"""The fault suite: servers, workers and receivers killed, stopped or fed garbage, on
PostgreSQL only (what production runs), each test bounded in time, loopback traffic only.
Each test prints one summary line of figures (run with `pytest -s` to see them)."""

from __future__ import annotations

import pytest

from tests.conftest import postgres_only

pytestmark = [pytest.mark.postgres, postgres_only]


def figures(test: str, **numbers: object) -> None:
    """One line a test: its name and its figures, for the closing note."""
    print(f"\nFAULTS {test}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))
