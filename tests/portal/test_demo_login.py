"""`goodword run` prints how to log in to the demo site's portal, and those credentials work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.test_cli import free_port

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
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "goodword.cli",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"goodword run exited {proc.returncode}:\n{log.read_text()}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or slow on a busy machine
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"goodword run did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.2)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


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
