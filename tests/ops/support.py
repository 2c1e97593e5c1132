"""Real `goodword` processes on 127.0.0.1 for the operations tests: servers, workers, scripts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
# The virtual environment running these tests (not resolved: .venv/bin/python is a symlink).
VENV = Path(sys.executable).parent.parent
GOODWORD = str(VENV / "bin" / "goodword")

# Variables of the test run that must not leak into a process meant to run as a user would.
_TEST_ONLY = (
    "DATABASE_URL",
    "GOODWORD_VAR_DIR",
    "GOODWORD_BASE_URL",
    "GOODWORD_TEST_DB_NAME",
    "GOODWORD_METRICS",
    "GOODWORD_METRICS_TOKEN",
    "GOODWORD_LOG_FORMAT",
    "GOODWORD_BENCH_FLOOR",
    "PROMETHEUS_MULTIPROC_DIR",
    "DJANGO_SETTINGS_MODULE",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY}
    env["GOODWORD_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


class Process:
    """A command in its own session (so it and its children stop together), its output in a
    log file."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        """Until `url` answers 200; fail with the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}:\n{self.text()}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout} s:\n{self.text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the whole session, SIGKILL to what is left after 15 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        # Children that outlived their parent (a receiver a failed script left behind).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def sqlite_pass_only() -> object:
    """For tests that run their own SQLite site whatever the suite's database: once per
    `make test` (in the SQLite pass) is enough."""
    import pytest
    from django.db import connection

    return pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="uses its own SQLite database: runs in the SQLite pass of `make test`",
    )
