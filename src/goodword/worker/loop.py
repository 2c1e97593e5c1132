"""`goodword worker`: claim due jobs, run them, repeat; stop cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from types import FrameType

from django.db import DatabaseError

from goodword.worker import queue

log = logging.getLogger("goodword.worker")

# Modules whose @handler registrations the worker runs.
JOB_MODULES = (
    "goodword.referrals.jobs",
    "goodword.referrals.resolution",
    "goodword.origins.batch_jobs",
    "goodword.webhooks.jobs",
    "goodword.rewards.services",
)


def load_handlers() -> None:
    import importlib

    for name in JOB_MODULES:
        importlib.import_module(name)


def _event(event: str, **fields: object) -> None:
    # One JSON object a line: easy to grep, easy to ship to a log pipeline.
    log.info(json.dumps({"event": event, "pid": os.getpid(), **fields}, default=str))


class Worker:
    def __init__(self, *, batch: int = 100, poll: float = 0.2) -> None:
        self.batch = batch
        self.poll = poll
        self.stopping = threading.Event()
        load_handlers()

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self.stopping.set()

    def run(self, *, once: bool = False) -> int:
        """Work until stopped (or, with `once`, until nothing is due). Returns jobs done."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Outside the main thread (tests) signals cannot be set; stop() is called directly.
            with contextlib.suppress(ValueError):
                signal.signal(sig, self.stop)
        _event("worker_started", batch=self.batch, once=once)
        total = 0
        while not self.stopping.is_set():
            try:
                claimed, done = self.run_batch()
            except DatabaseError as exc:
                # The database went away (restart, failover): keep trying, the jobs wait.
                _event("database_error", error=f"{type(exc).__name__}: {exc}")
                from django.db import connection

                connection.close()
                self.stopping.wait(max(self.poll, 1.0))
                continue
            total += done
            if claimed == 0:
                if once:
                    break
                self.stopping.wait(self.poll)
        _event("worker_stopped", jobs_done=total)
        return total

    def run_batch(self) -> tuple[int, int]:
        """Claim one batch and work through it: (jobs claimed, jobs done); (0, 0) when nothing
        was due. A stop mid-batch gives the rest back, so they count as claimed, not done."""
        from django.db import close_old_connections

        close_old_connections()
        jobs = queue.claim(limit=self.batch)
        if not jobs:
            return 0, 0
        started = time.perf_counter()
        outcomes: dict[str, int] = {}
        for index, group in _groups(jobs):
            if self.stopping.is_set():
                queue.release(jobs[index:])
                break
            for outcome, count in queue.run_many(group).items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        _event(
            "batch",
            claimed=len(jobs),
            ms=round((time.perf_counter() - started) * 1000, 1),
            **outcomes,
        )
        return len(jobs), outcomes.get("done", 0)


def _groups(jobs: list[queue.Claimed]) -> list[tuple[int, list[queue.Claimed]]]:
    """The claimed jobs as runs to execute, in claim order: all jobs of a kind that has a batch
    handler form one run (at its first job's place); any other job is a run of its own. Each
    with the index of the run's first job (a stop gives back from there)."""
    runs: list[tuple[int, list[queue.Claimed]]] = []
    batched: dict[str, list[queue.Claimed]] = {}
    for index, job in enumerate(jobs):
        if job.kind in queue.BATCH_HANDLERS:
            if job.kind in batched:
                batched[job.kind].append(job)
                continue
            batched[job.kind] = [job]
            runs.append((index, batched[job.kind]))
        else:
            runs.append((index, [job]))
    return runs


def drain(*, limit: int = 10_000) -> int:
    """Run everything due now, in this thread (tests, `goodword worker --once`)."""
    load_handlers()
    done = 0
    while done < limit:
        jobs = queue.claim(limit=100)
        if not jobs:
            break
        for _, group in _groups(jobs):
            queue.run_many(group)
        done += len(jobs)
    return done
