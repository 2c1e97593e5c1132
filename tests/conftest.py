"""Shared fixtures. The database is SQLite unless DATABASE_URL points elsewhere (the Makefile
runs the suite a second time with DATABASE_URL=$TEST_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from goodword.sites import auth
from goodword.sites.models import Site
from goodword.worker.loop import drain
from tests.factories import SiteFactory, make_key

# Several test runs share this machine's two cores: a slow example is the machine's doing, not
# a failure, so no per-example deadline and no "too slow" health check. HYPOTHESIS_PROFILE
# picks another registered profile.
hypothesis_settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "shared-machine"))

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "shared" / "contract"
NOW = datetime(2026, 7, 7, 18, 0, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now(time_machine) -> datetime:
    """The clock stands still at NOW for the whole test."""
    time_machine.move_to(NOW, tick=False)
    return NOW


def load_contract(path: Path) -> dict[str, Any]:
    """The contract document at `path`. Missing, it skips the comparisons on a laptop; with `CI`
    set it fails, because there a missing contract is a broken checkout, not a pass."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"contract not found at {path} and CI is set: contract tests cannot run")
        pytest.skip(f"contract not found at {path}: contract comparisons skipped")
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open() as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The Talkable API v2 OpenAPI document from ../shared/contract/ (never copied here)."""
    return load_contract(CONTRACT_DIR / "talkable-api-v2.openapi.yml")


@pytest.fixture(scope="session")
def _deep_listen_backlog() -> None:
    """Django's test server listens with a backlog of 10. Fifty clients connecting at once then
    overflow the accept queue, and with SYN cookies some of them get connection resets: a
    failure of the test rig, not of the code under test."""
    from django.core.servers.basehttp import WSGIServer

    WSGIServer.request_queue_size = 128


@pytest.fixture(scope="session")
def live_server(_deep_listen_backlog, live_server):
    """pytest-django's live server, created with a listen backlog deep enough for bursts."""
    return live_server


@pytest.fixture(autouse=True)
def _fresh_key_cache(settings):
    # The once-a-second read of the key version would land in whichever statement count a
    # slow test happens to straddle; the tests of that signal set their own interval.
    settings.API_KEY_VERSION_SECONDS = 3600
    auth.clear_cache()
    yield
    auth.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The API's per-process request counts: every test's requests come from 127.0.0.1, often
    under the same frozen minute, so counts must not carry from one test to the next."""
    from goodword.api.v2.ratelimit import forget_counts

    forget_counts()
    yield
    forget_counts()


@pytest.fixture(autouse=True)
def _fresh_program_cache():
    """The per-process program cache is keyed by site id, and SQLite hands a rolled-back test's
    ids out again: a program cached by an earlier test must not leak into the next one."""
    from goodword.campaigns.program import forget_program

    forget_program()
    yield
    forget_program()


@dataclass
class ApiSite:
    site: Site
    key: str

    @property
    def slug(self) -> str:
        return self.site.slug


@pytest.fixture
def api_site(db) -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


class ApiClient:
    """Django's test client speaking the Talkable API with a Bearer key.

    After each request it runs the jobs that request made due (attribution of a friend's
    purchase), through the worker's own code, as a `goodword worker` beside the server would:
    tests then read the referral a purchase made. `drain=False` leaves them queued."""

    def __init__(self, key: str | None, *, basic: bool = False, drain: bool = True) -> None:
        self.client = Client()
        self.key = key
        self.basic = basic
        self.drain = drain

    def _after(self, response: Any) -> Any:
        if self.drain:
            drain()
        return response

    def _headers(self) -> dict[str, str]:
        if self.key is None:
            return {}
        if self.basic:
            token = base64.b64encode(f"{self.key}:".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, body: Any, raw: bool = False, **extra: Any) -> Any:
        """`extra` goes to Django's client as WSGI environ (e.g. REMOTE_ADDR)."""
        data = body if raw else json.dumps(body)
        return self._after(
            self.client.post(
                path, data=data, content_type="application/json", headers=self._headers(), **extra
            )
        )

    def put(self, path: str, body: Any) -> Any:
        return self._after(
            self.client.put(
                path,
                data=json.dumps(body),
                content_type="application/json",
                headers=self._headers(),
            )
        )

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self._headers())


@pytest.fixture
def api(api_site: ApiSite) -> ApiClient:
    return ApiClient(api_site.key)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: run with TEST_DATABASE_URL set"
)
