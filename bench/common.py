"""Shared set-up for benchmarks: a PostgreSQL database, a site, and a real server process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/goodword_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def bench_env(database_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        GOODWORD_VAR_DIR=var_dir,
        GOODWORD_LOG_LEVEL="WARNING",
        **extra,
    )
    # One load generator is one address with one key: the API's request limits would measure
    # themselves, not the server.
    env.setdefault("GOODWORD_API_RATE_PER_IP", "0")
    env.setdefault("GOODWORD_API_RATE_PER_KEY", "0")
    return env


def goodword(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "goodword"), *args], env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def create_site(env: dict[str, str], prefix: str = "bench") -> tuple[str, str]:
    slug = f"{prefix}-{int(time.time() * 1000) % 10**9}"
    created = json.loads(goodword(env, "site", "create", slug))
    return created["site_slug"], created["api_key"]


@contextmanager
def server(env: dict[str, str], workers: int, kind: str = "granian") -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "goodword"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--server",
            kind,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def var_dir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="goodword-bench-") as path:
        yield path


class Progress:
    """What the workers' log lines say: when each started, and the `done` of their `batch`
    events (one line per batch). Following them costs the database nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = 0
        self.started: list[float] = []

    def follow(self, stream: Any) -> None:
        for line in stream:
            at = line.find('{"event": ')
            if at < 0:
                continue
            try:
                event = json.loads(line[at:])
            except ValueError:
                continue
            with self.lock:
                if event.get("event") == "batch":
                    self.done += int(event.get("done", 0))
                elif event.get("event") == "worker_started":
                    self.started.append(time.perf_counter())
