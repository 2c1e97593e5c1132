"""Shared fixtures. The database is SQLite unless DATABASE_URL points elsewhere (the Makefile
runs the suite a second time with DATABASE_URL=$TEST_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from goodword.sites import auth
from goodword.sites.models import Site
from tests.factories import SiteFactory, make_key


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    auth.clear_cache()
    yield
    auth.clear_cache()


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
    """Django's test client speaking the Talkable API with a Bearer key."""

    def __init__(self, key: str | None, *, basic: bool = False) -> None:
        self.client = Client()
        self.key = key
        self.basic = basic

    def _headers(self) -> dict[str, str]:
        if self.key is None:
            return {}
        if self.basic:
            token = base64.b64encode(f"{self.key}:".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, body: Any, raw: bool = False) -> Any:
        data = body if raw else json.dumps(body)
        return self.client.post(
            path, data=data, content_type="application/json", headers=self._headers()
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            path, data=json.dumps(body), content_type="application/json", headers=self._headers()
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
