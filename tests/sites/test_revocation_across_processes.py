"""Key revocation reaches every server process within a second (sites/auth.py's version row):
two `goodword serve` processes, each with a key cache far longer than a second, have both
answered with a key; `goodword site keys --revoke` in a third process revokes it, and both
servers refuse it at the next version read."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from tests.factories import SiteFactory, make_key
from tests.ops.support import GOODWORD, Process, clean_env, free_port
from tests.worker.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough that only the version signal, not the cache's TTL, can explain a refusal.
KEY_CACHE_SECONDS = "300"
# A bound on the polling, not a measured duration: the signal is read once a second.
BOUND_SECONDS = 10.0


@pytest.fixture
def servers(tmp_path) -> Iterator[list[str]]:
    started: list[Process] = []
    bases = []
    try:
        for name in ("a", "b"):
            var = tmp_path / f"server-{name}"
            var.mkdir()
            port = free_port()
            server = Process(
                [GOODWORD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env=clean_env(
                    DATABASE_URL=database_url(),
                    GOODWORD_VAR_DIR=str(var),
                    GOODWORD_API_KEY_CACHE_SECONDS=KEY_CACHE_SECONDS,
                ),
                cwd=var,
                log=tmp_path / f"server-{name}.log",
            )
            started.append(server)
            base = f"http://127.0.0.1:{port}"
            server.wait_http(f"{base}/readyz")
            bases.append(base)
        yield bases
    finally:
        for server in started:
            server.stop()


def rewards_status(base: str, slug: str, key: str) -> int:
    """The status of a read that an accepted key answers 200 (an empty list of rewards)."""
    response = requests.get(
        f"{base}/api/v2/rewards",
        params={"site_slug": slug, "visitor_uuid": "7a0f0e57-1e49-4b7c-9a55-3f0e8ac1d2b4"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    return response.status_code


def test_a_key_revoked_by_the_cli_is_refused_by_every_server(servers, tmp_path):
    # given a key that both servers have accepted (and so cached)
    site = SiteFactory()
    key = make_key(site).raw_key
    assert [rewards_status(base, site.slug, key) for base in servers] == [200, 200]
    assert [rewards_status(base, site.slug, key) for base in servers] == [200, 200]

    # when the CLI, a process of its own, revokes it
    revoked = subprocess.run(
        [GOODWORD, "site", "keys", site.slug, "--revoke", key[:8]],
        env=clean_env(DATABASE_URL=database_url(), GOODWORD_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert revoked.returncode == 0, revoked.stderr

    # then each server refuses it at its next read of the version, long before its key cache
    # would have expired
    deadline = time.monotonic() + BOUND_SECONDS
    answers = [rewards_status(base, site.slug, key) for base in servers]
    while answers != [401, 401] and time.monotonic() < deadline:
        time.sleep(0.1)
        answers = [rewards_status(base, site.slug, key) for base in servers]
    print(f"\nrevocation: servers answer {answers} after the CLI revoked the key")
    assert answers == [401, 401]
