"""`goodword worker`: claim due jobs, run them, repeat; stop cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from django.db import DatabaseError

from goodword.core.db import is_postgres
from goodword.observability.logs import job_context
from goodword.observability.metrics import observe_jobs
from goodword.worker import queue

log = logging.getLogger("goodword.worker")
SEND_THREADS = 8  # requests at once for a batch handler (webhook deliveries), by default


def load_handlers() -> None:
    """Import every installed app's `jobs` module, where its @queue.handler registrations live."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")


def _event(event: str, **fields: object) -> None:
    # One JSON object a line: easy to grep, easy to ship to a log pipeline.
    log.info(json.dumps({"event": event, "pid": os.getpid(), **fields}, default=str))


class Worker:
    def __init__(
        self, *, batch: int = 100, poll: float = 0.2, concurrency: int | None = None
    ) -> None:
        self.batch = batch
        self.poll = poll
        self.stopping = threading.Event()
        # Jobs that wait on the network (webhook deliveries) run side by side in threads, each
        # with its own database connection; on SQLite, one writer at a time anyway, one thread.
        # A batch handler's requests hold no database connection: as many at once on both.
        self.send_threads = max(1, concurrency or SEND_THREADS)
        if concurrency is None:
            concurrency = 8 if is_postgres() else 1
        self.concurrency = max(1, concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._last_periodic: dict[str, float] = {}
        load_handlers()

    def run_periodic(self) -> None:
        """The periodic housekeeping that is due; one that fails is logged and tried next time."""
        clock = time.monotonic()
        for name, (every, fn) in queue.PERIODIC.items():
            last = self._last_periodic.get(name)
            if last is not None and clock - last < every:
                continue
            self._last_periodic[name] = clock
            started = time.perf_counter()
            try:
                result = fn()
            except Exception as exc:  # housekeeping must not stop the worker
                log.exception("periodic task failed name=%s", name)
                _event("periodic_failed", name=name, error=f"{type(exc).__name__}: {exc}")
                continue
            _event(
                "periodic",
                name=name,
                result=result,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )

    def _run_concurrent(self, jobs: list[queue.Claimed]) -> dict[str, int]:
        """Own-transaction jobs, up to `concurrency` at once. A stop gives back those not
        started yet."""
        outcomes: dict[str, int] = {}
        if self.concurrency == 1 or len(jobs) == 1:
            for index, job in enumerate(jobs):
                if self.stopping.is_set():
                    queue.release(jobs[index:])
                    break
                outcome = _run_observed(job)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            return outcomes
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="job")
        futures = [(job, self._pool.submit(self._run_in_thread, job)) for job in jobs]
        unstarted: list[queue.Claimed] = []
        for job, future in futures:
            if self.stopping.is_set() and future.cancel():
                unstarted.append(job)
                continue
            outcome = future.result()
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        queue.release(unstarted)
        return outcomes

    def _close_pool(self, pool: ThreadPoolExecutor) -> None:
        """Close each thread's database connection, then the threads: one task per thread,
        held together by a barrier so that every thread takes exactly one."""
        barrier = threading.Barrier(self.concurrency, timeout=5)

        def close() -> None:
            from django.db import connection

            connection.close()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

        for _ in range(self.concurrency):
            pool.submit(close)
        pool.shutdown(wait=True)

    @staticmethod
    def _run_in_thread(job: queue.Claimed) -> str:
        from django.db import close_old_connections

        close_old_connections()
        return _run_observed(job)

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
            self.run_periodic()
            if claimed == 0:
                if once:
                    break
                self.stopping.wait(self.poll)
        if self._pool is not None:
            self._close_pool(self._pool)
            self._pool = None
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
        own_batches: dict[str, list[queue.Claimed]] = {}
        for job in jobs:
            if job.kind in queue.OWN_BATCH_HANDLERS:
                own_batches.setdefault(job.kind, []).append(job)
        concurrent = [
            job for job in jobs if job.kind in queue.OWN_TRANSACTION and job.kind not in own_batches
        ]
        rest = [
            job
            for job in jobs
            if job.kind not in queue.OWN_TRANSACTION and job.kind not in own_batches
        ]
        for kind, group in own_batches.items():
            if self.stopping.is_set():
                queue.release(group)
                continue
            ran = run_own_batch(kind, group, threads=self.send_threads)
            for outcome, count in ran.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        for index, group in _groups(rest):
            if self.stopping.is_set():
                queue.release(rest[index:])
                break
            sites = {job.site_id for job in group}
            with job_context(
                group[0].kind, [job.id for job in group], sites.pop() if len(sites) == 1 else None
            ):
                ran = queue.run_many(group)
            observe_jobs(group[0].kind, ran)
            for outcome, count in ran.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        if concurrent:
            for outcome, count in self._run_concurrent(concurrent).items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        _event(
            "batch",
            claimed=len(jobs),
            ms=round((time.perf_counter() - started) * 1000, 1),
            **outcomes,
        )
        return len(jobs), outcomes.get("done", 0)


def run_own_batch(kind: str, jobs: list[queue.Claimed], *, threads: int) -> dict[str, int]:
    """The claimed jobs of a kind with an own-transaction batch handler, all at once. A handler
    that raises does not stop the worker: its jobs that are still ours are retried later (an
    effect it already committed stays; the job's handler finds it when it runs again)."""
    sites = {job.site_id for job in jobs}
    with job_context(kind, [job.id for job in jobs], sites.pop() if len(sites) == 1 else None):
        try:
            ran = queue.OWN_BATCH_HANDLERS[kind](jobs, threads)
        except Exception as exc:
            log.exception("batch failed kind=%s jobs=%s", kind, len(jobs))
            for job in jobs:
                queue.fail(job, f"{type(exc).__name__}: {exc}")
            ran = {"failed": len(jobs)}
    observe_jobs(kind, ran)
    return ran


def _run_observed(job: queue.Claimed) -> str:
    """One job, with its kind and id on its log lines, counted in the metrics."""
    with job_context(job.kind, [job.id], job.site_id):
        outcome = queue.run_one(job)
    observe_jobs(job.kind, {outcome: 1})
    return outcome


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
        own: dict[str, list[queue.Claimed]] = {}
        for job in jobs:
            if job.kind in queue.OWN_BATCH_HANDLERS:
                own.setdefault(job.kind, []).append(job)
        # In the worker's order (Worker.run_batch): the own-batch kinds first, so that a job
        # waiting on a delivery claimed with it (an email share on its unsubscribe check)
        # sees the delivery done.
        for kind, group in own.items():
            # One request at a time, in order: what tests of ordering need to see.
            run_own_batch(kind, group, threads=1)
        for _, group in _groups([job for job in jobs if job.kind not in own]):
            queue.run_many(group)
        done += len(jobs)
    return done
