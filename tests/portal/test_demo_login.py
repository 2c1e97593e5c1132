"""`goodword run` prints how to log in to the demo site's portal, and those credentials work."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.ops.support import REPO, Process, free_port

# `goodword run` always makes its own SQLite database: once per `make test` is enough.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="goodword run uses its own SQLite database"
)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`goodword run` on its own SQLite database in a temporary var directory."""
    port = free_port()
    env = {**os.environ, "GOODWORD_VAR_DIR": str(tmp_path / "var"), "GOODWORD_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)  # never the developer's or the test run's database
    run = [sys.executable, "-m", "goodword.cli", "run", "--host", "127.0.0.1", "--port", str(port)]
    server = Process(
        [*run, "--workers", "1", "--threads", "2"], env=env, cwd=REPO, log=tmp_path / "run.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(f"{base}/healthz", timeout=120)
        yield base, server.log
    finally:
        server.stop()


def test_the_printed_credentials_log_in_to_the_demo_portal(demo):
    base, log = demo
    printed = log.read_text()
    portal = re.search(r"portal:\s+(\S+)", printed)
    login = re.search(r"log in as (\S+) with the password (\S+)", printed)
    assert portal and login, printed
    assert portal.group(1).endswith("/portal/")
    email, password = login.groups()

    session = requests.Session()
    form = session.get(f"{base}/portal/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = session.post(
        f"{base}/portal/login/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": password},
        headers={"Referer": f"{base}/portal/login/"},
        timeout=30,
        allow_redirects=True,
    )

    assert response.status_code == 200
    assert response.url == f"{base}/portal/demo/"
    assert "Demo store" in response.text
    assert "(demo · agent)" in response.text
