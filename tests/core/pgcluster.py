"""A PostgreSQL cluster of a test's own (initdb + pg_ctl from Debian's binaries) on a free
127.0.0.1 port, in a temporary directory, to stop and start mid-test. The machine's shared
cluster on 5432 is never touched. As root, the cluster runs as the `postgres` OS user (initdb
refuses root)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.ops.support import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory with initdb, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.bin = bindir
        self.port = free_port()
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as
        # `postgres`, which must reach its data directory.
        self.root = Path(tempfile.mkdtemp(prefix="goodword-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.running = False

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bin / tool), *args]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def init(self) -> PrivateCluster:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE goodword")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self.running = True

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def url(self, database: str = "goodword") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
