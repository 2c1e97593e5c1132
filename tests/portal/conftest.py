from __future__ import annotations

from typing import Any

import pytest

from goodword.webhooks.selectors import forget_hooks
from tests.factories import SiteFactory
from tests.portal.support import client_for, make_staff


@pytest.fixture(autouse=True)
def _fresh_hooks_cache():
    forget_hooks()
    yield
    forget_hooks()


@pytest.fixture
def agent(api_site) -> Any:
    return make_staff(api_site.site, "agent")


@pytest.fixture
def viewer(api_site) -> Any:
    return make_staff(api_site.site, "viewer")


@pytest.fixture
def agent_client(agent):
    return client_for(agent)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def other_site(db):
    return SiteFactory()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashing costs about a second per password on this machine; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
