from __future__ import annotations

from collections.abc import Iterator

import pytest

from goodword.webhooks import transport
from goodword.webhooks.selectors import forget_hooks
from tests.webhooks.support import Receiver, receiver_fixture


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiver_fixture()


@pytest.fixture(autouse=True)
def _fresh_hooks_cache():
    forget_hooks()
    yield
    forget_hooks()


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    # A hanging receiver costs the test half a second, not the production ten.
    monkeypatch.setattr(transport, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(transport, "CONNECT_TIMEOUT", 0.5)
