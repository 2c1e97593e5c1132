"""A database outage seen from a live server: the API answers 503 with Retry-After in the
envelope, the claim page still sends the friend to the store, the outage is logged once, and
after the database is back requests succeed without restarting the server. On a PostgreSQL
cluster the test makes for itself and stops mid-test."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.core.pgcluster import PrivateCluster, postgres_bin
from tests.ops.support import GOODWORD, Process, clean_env, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL's initdb and pg_ctl"),
]

STORE = "https://shop.example.com/landing"
CONFIG = f"""
version: 1
site: {{slug: outage-shop, name: Outage Shop}}
campaigns:
  - slug: invite
    joinable: [affiliate_member]
    destination_url: {STORE}
    incentives:
      - {{identifier: rebate, reason: referrer, type: rebate, amount: 10}}
"""


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    made = PrivateCluster()
    try:
        yield made.init()
    finally:
        made.destroy()


def goodword(env: dict[str, str], cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [GOODWORD, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def served(cluster, tmp_path) -> Iterator[tuple[str, str, Process]]:
    """A migrated site on the private cluster and `goodword serve` on it: the base URL, the
    site's API key and the server process."""
    env = clean_env(
        DATABASE_URL=cluster.url(),
        GOODWORD_VAR_DIR=str(tmp_path),
        GOODWORD_OUTAGE_RETRY_AFTER="7",
    )
    goodword(env, tmp_path, "migrate")
    (tmp_path / "site.yml").write_text(CONFIG)
    key = json.loads(goodword(env, tmp_path, "config", "apply", "site.yml"))["api_key"]
    port = free_port()
    argv = [GOODWORD, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = Process(
        [*argv, "--workers", "1", "--threads", "2"],
        env=env,
        cwd=tmp_path,
        log=tmp_path / "server.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(f"{base}/readyz")
        yield base, key, server
    finally:
        server.stop()


def join(base: str, key: str, email: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v2/origins/affiliate_member",
        json={"site_slug": "outage-shop", "data": {"email": email}},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def until(what: str, check, server: Process, timeout: float = 60.0):
    """Poll `check` until it returns something true (bounded; the bound is not what is tested)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen:\n{server.text()}")
        time.sleep(0.2)


def test_a_database_outage_is_503_with_retry_after_and_the_server_recovers(cluster, served):
    base, key, server = served
    # given a working server, and a friend's claim link followed once before the outage
    joined = join(base, key, "ada@example.com")
    assert joined.status_code == 201, joined.text
    claim_path = urlsplit(joined.json()["result"]["offer"]["claim_url"]).path
    before = requests.get(f"{base}{claim_path}", allow_redirects=False, timeout=30)
    assert before.status_code == 302 and before.headers["Location"].startswith(STORE)

    # when the database stops
    cluster.stop()

    # then every API request answers 503 with Retry-After, in the Talkable envelope
    answers = [join(base, key, f"down{n}@example.com") for n in range(6)]
    answers.append(
        requests.get(
            f"{base}/api/v2/people/ada@example.com?site_slug=outage-shop",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    )
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "7"
        body = answer.json()
        assert body["ok"] is False
        assert "temporarily unavailable" in body["error_message"]
        assert "Traceback" not in answer.text
    # and a friend following the claim link is still sent to the store, as a visitor
    during = requests.get(f"{base}{claim_path}", allow_redirects=False, timeout=30)
    assert during.status_code == 302, during.text
    assert during.headers["Location"].startswith(STORE)
    assert parse_qs(urlsplit(during.headers["Location"]).query)["tkbl_cvuuid"]
    # and the outage was logged once, not once per request
    log = server.text()
    assert log.count("database unavailable") == 1, log
    assert "Traceback" not in log

    # when the database is back
    cluster.start()

    # then requests succeed again on the same server process, and the recovery is logged once
    recovered = until(
        "a request after the restart",
        lambda: join(base, key, "back@example.com").status_code == 201,
        server,
    )
    assert recovered
    assert server.proc.poll() is None
    until("the recovery log line", lambda: "database available again" in server.text(), server)
    again = requests.get(f"{base}{claim_path}", allow_redirects=False, timeout=30)
    assert again.status_code == 302 and again.headers["Location"].startswith(STORE)
    log = server.text()
    assert log.count("database unavailable") == 1 and log.count("database available again") == 1
