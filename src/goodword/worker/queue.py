"""Enqueue, claim, complete and fail jobs (ADR 0001).

Claiming is one conditional UPDATE: on PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so any number of workers take disjoint batches; on SQLite the
immediate transaction serialises claimers. A claim sets a lease (`claimed_until`) and a token.
A job's effect and the deletion of the job commit in one transaction, and the deletion only
happens while the token is still ours: a worker that lost its lease (it stalled past it and
another worker took the job) rolls its effect back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from goodword.core.clock import now
from goodword.core.db import fetch, is_postgres
from goodword.worker.models import Job

log = logging.getLogger("goodword.worker")

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10
_T = Job._meta.db_table


@dataclass(frozen=True)
class Claimed:
    id: int
    site_id: int
    kind: str
    ref_id: int | None
    payload: dict[str, Any]
    attempts: int
    token: str


# The columns a statement fills when it enqueues jobs inside a larger SQL statement (a CTE that
# stores a row and its follow-up job in one round trip). Such a statement inserts into
# JOB_TABLE (JOB_INSERT_COLUMNS) the values of `job_insert_values()`, in this order.
JOB_TABLE = _T
JOB_INSERT_COLUMNS = "site_id, kind, ref_id, payload, run_after, attempts, last_error, created_at"


def job_insert_values(
    *, site_id: str, kind: str, ref_id: str, payload: str, run_after: str, created_at: str
) -> str:
    """The SELECT list matching JOB_INSERT_COLUMNS, from SQL expressions (placeholders or
    column references) for the fields a caller decides; the others take a new job's values."""
    return f"{site_id}, {kind}, {ref_id}, {payload}, {run_after}, 0, '', {created_at}"


@dataclass(frozen=True)
class NewJob:
    site_id: int
    kind: str
    ref_id: int | None = None
    payload: dict[str, Any] | None = None
    run_after: datetime | None = None


def enqueue(
    *,
    site_id: int,
    kind: str,
    ref_id: int | None = None,
    payload: dict[str, Any] | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Add a job; call it inside the transaction of the change that causes it."""
    stamp = now()
    return Job.objects.create(
        site_id=site_id,
        kind=kind,
        ref_id=ref_id,
        payload=payload or {},
        run_after=run_after or stamp,
        created_at=stamp,
    )


def enqueue_many(jobs: Iterable[NewJob]) -> int:
    """Add many jobs with one INSERT; call it inside the transaction of their cause."""
    stamp = now()
    made = Job.objects.bulk_create(
        Job(
            site_id=job.site_id,
            kind=job.kind,
            ref_id=job.ref_id,
            payload=job.payload or {},
            run_after=job.run_after or stamp,
            created_at=stamp,
        )
        for job in jobs
    )
    return len(made)


def cancel(*, kind: str, ref_ids: Iterable[int]) -> int:
    """Drop the waiting jobs of `kind` about these rows. A job a worker holds right now is left
    alone: its handler re-reads its row when it runs."""
    ids = list(ref_ids)
    if not ids:
        return 0
    deleted, _ = Job.objects.filter(kind=kind, ref_id__in=ids, claim_token__isnull=True).delete()
    return deleted


def wake(*, kind: str, ref_id: int, at: datetime | None = None) -> int:
    """Make the unclaimed jobs of `kind` about a row due now (or at `at`)."""
    return Job.objects.filter(kind=kind, ref_id=ref_id, claimed_until__isnull=True).update(
        run_after=at or now()
    )


def extend_lease(job: Claimed, *, until: datetime) -> bool:
    """Renew our lease before slow work; False when the job is no longer ours (the lease ran
    out and another worker took it), and the caller must not apply its effect."""
    return bool(Job.objects.filter(pk=job.id, claim_token=job.token).update(claimed_until=until))


@dataclass(frozen=True)
class JobState:
    ref_id: int
    last_error: str
    failed_at: datetime | None


def job_states(*, kind: str, ref_ids: Iterable[int]) -> list[JobState]:
    """The jobs of `kind` still in the queue for these rows, with their last error and whether
    they were parked: for showing progress and failures of work in flight."""
    ids = list(ref_ids)
    if not ids:
        return []
    return [
        JobState(ref_id=int(ref_id or 0), last_error=last_error, failed_at=failed_at)
        for ref_id, last_error, failed_at in Job.objects.filter(
            kind=kind, ref_id__in=ids
        ).values_list("ref_id", "last_error", "failed_at")
    ]


def claim(
    *, limit: int, kind: str | None = None, ref_id: int | None = None, due_only: bool = True
) -> list[Claimed]:
    """Lease up to `limit` due jobs (optionally one kind, or the jobs about one row).
    `due_only=False` also takes jobs waiting for a retry, for a caller that needs one now."""
    stamp = now()
    token = secrets.token_hex(16)
    where = ["failed_at IS NULL", "(claimed_until IS NULL OR claimed_until < %s)"]
    params: list[Any] = [stamp]
    if due_only:
        where.append("run_after <= %s")
        params.append(stamp)
    if kind is not None:
        where.append("kind = %s")
        params.append(kind)
    if ref_id is not None:
        where.append("ref_id = %s")
        params.append(ref_id)
    # Materialized on PostgreSQL: as a plain `IN (subquery)` the LIMITed subquery may run more
    # than once and claim more than `limit` jobs. The picked ids are handed to the UPDATE as
    # an array (`= ANY(ARRAY(...))`: one primary-key lookup each, in any plan), and the limit
    # is part of the text: as a parameter, the prepared statement's generic plan guessed a
    # tenth of the table would be picked and joined them by scanning the whole job table per
    # claim (20 ms a claim with 20,000 jobs queued, growing with the backlog; ADR 0014).
    pick = "MATERIALIZED " if is_postgres() else ""
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    ids = "= ANY(ARRAY(SELECT id FROM picked))" if is_postgres() else "IN (SELECT id FROM picked)"
    sql = (
        f"WITH picked AS {pick}(SELECT id FROM {_T} WHERE {' AND '.join(where)} "
        f"ORDER BY run_after, id LIMIT {int(limit)}{lock}) "
        f"UPDATE {_T} SET claimed_until = %s, claim_token = %s, attempts = attempts + 1 "
        f"WHERE id {ids} "
        f"RETURNING id, site_id, kind, ref_id, payload, attempts"
    )
    rows = fetch(sql, [*params, stamp + LEASE, token])
    claimed = [
        Claimed(
            id=row[0],
            site_id=row[1],
            kind=row[2],
            ref_id=row[3],
            payload=_json(row[4]),
            attempts=row[5],
            token=token,
        )
        for row in rows
    ]
    claimed.sort(key=lambda c: c.id)
    return claimed


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    import json

    return dict(json.loads(value or "{}"))


def complete(job: Claimed) -> bool:
    """Delete a job we still hold; call inside the transaction that applied its effect."""
    # Raw DELETE: the ORM's delete() collects related rows and sends signals, a cost paid per
    # job for nothing (no row points at a job).
    return bool(
        fetch(
            f"DELETE FROM {_T} WHERE id = %s AND claim_token = %s RETURNING id", [job.id, job.token]
        )
    )


def release(jobs: list[Claimed]) -> None:
    """Give back leases not worked on (a worker stopping mid-batch)."""
    for job in jobs:
        Job.objects.filter(pk=job.id, claim_token=job.token).update(
            claimed_until=None, claim_token=None, attempts=max(job.attempts - 1, 0)
        )


def fail(job: Claimed, error: str) -> None:
    """Record a failed attempt: retry later with exponential backoff, or park the job."""
    stamp = now()
    update: dict[str, Any] = {
        "claimed_until": None,
        "claim_token": None,
        "last_error": error[:4000],
    }
    if job.attempts >= MAX_ATTEMPTS:
        update["failed_at"] = stamp
    else:
        update["run_after"] = stamp + timedelta(seconds=min(2**job.attempts, 3600))
    Job.objects.filter(pk=job.id, claim_token=job.token).update(**update)


class Reschedule(Exception):
    """Raised by a handler that finds its job is not due yet: it runs again at `at`."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"not due before {at.isoformat()}")
        self.at = at


Handler = Callable[[Claimed], None]
HANDLERS: dict[str, Handler] = {}
# Kinds whose handler opens its own transactions and completes the job itself (with `complete`
# inside the transaction of its effect): work that waits on the network (webhooks) must not
# hold a transaction, which on SQLite is the database's write lock.
OWN_TRANSACTION: set[str] = set()


# Housekeeping that is no job of any row: each runs in the worker loop every `every` seconds
# (or less often when the worker is busy), in its own transactions. Registered by an app's
# `jobs` module like the handlers.
PERIODIC: dict[str, tuple[float, Callable[[], object]]] = {}


def periodic(name: str, *, every: float) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(fn: Callable[[], object]) -> Callable[[], object]:
        PERIODIC[name] = (every, fn)
        return fn

    return register


def handler(kind: str, *, own_transaction: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if own_transaction:
            OWN_TRANSACTION.add(kind)
        return fn

    return register


def run_one(job: Claimed) -> str:
    """Run a claimed job, its effect and its completion in one transaction.

    Returns "done", "lost" (our lease ran out and another worker took the job: our effect is
    rolled back, it runs there), "rescheduled" (not due yet after all) or "failed" (recorded
    for a retry, or parked)."""
    fn = HANDLERS.get(job.kind)
    if fn is None:
        fail(job, f"no handler for job kind {job.kind!r}")
        return "failed"
    try:
        if job.kind in OWN_TRANSACTION:
            fn(job)
            return "done"
        with transaction.atomic():
            fn(job)
            if not complete(job):
                transaction.set_rollback(True)
                return "lost"
    except Reschedule as later:
        _reschedule(job, later.at)
        return "rescheduled"
    except Exception as exc:  # a failing job must not stop the worker: it is retried
        log.exception("job failed id=%s kind=%s attempt=%s", job.id, job.kind, job.attempts)
        fail(job, f"{type(exc).__name__}: {exc}")
        return "failed"
    return "done"


def _reschedule(job: Claimed, at: datetime) -> None:
    """Not due yet after all: back in the queue for `at`, the attempt not counted."""
    Job.objects.filter(pk=job.id, claim_token=job.token).update(
        run_after=at, claimed_until=None, claim_token=None, attempts=job.attempts - 1
    )


def pending_for(*, kind: str, ref_id: int) -> bool:
    return Job.objects.filter(kind=kind, ref_id=ref_id, failed_at__isnull=True).exists()


# A kind may also have a batch handler: it applies the effect of many claimed jobs of that kind
# in one transaction (set-based statements instead of a round of queries per job) and returns
# the jobs that are not due yet, with when to come back.
BatchHandler = Callable[[list[Claimed]], dict[int, datetime]]
BATCH_HANDLERS: dict[str, BatchHandler] = {}


def batch_handler(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    def register(fn: BatchHandler) -> BatchHandler:
        BATCH_HANDLERS[kind] = fn
        return fn

    return register


class _Lost(Exception):
    pass


def run_many(jobs: list[Claimed]) -> dict[str, int]:
    """Run claimed jobs of one kind together: one transaction for all the effects and all the
    completions. If the batch fails or any lease was lost meanwhile, it is rolled back whole
    and each job runs on its own (`run_one`), so one bad job costs only itself."""
    outcomes: dict[str, int] = {}
    fn = BATCH_HANDLERS.get(jobs[0].kind) if jobs else None
    if fn is not None and len(jobs) > 1:
        try:
            with transaction.atomic():
                later = fn(jobs)
                finished = [job for job in jobs if job.id not in later]
                if _complete_many(finished) != len(finished):
                    raise _Lost
                for job in jobs:
                    if job.id in later:
                        _reschedule(job, later[job.id])
            return (
                {"done": len(finished), "rescheduled": len(later)}
                if later
                else {"done": len(finished)}
            )
        except _Lost:
            pass
        except Exception:
            log.exception(
                "batch failed kind=%s jobs=%s: running them one by one", jobs[0].kind, len(jobs)
            )
    for job in jobs:
        outcome = run_one(job)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _complete_many(jobs: list[Claimed]) -> int:
    return len(complete_many(jobs))


def _by_token(jobs: Iterable[Claimed]) -> dict[str, list[Claimed]]:
    # One claim hands out one token, so a batch is almost always a single group.
    groups: dict[str, list[Claimed]] = {}
    for job in jobs:
        groups.setdefault(job.token, []).append(job)
    return groups


def _ids_where(ids: list[int]) -> tuple[str, list[Any]]:
    if is_postgres():  # one statement text whatever the count: it stays prepared
        return "id = ANY(%s)", [ids]
    return f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)


def complete_many(jobs: Iterable[Claimed]) -> set[int]:
    """Delete the jobs we still hold, one statement per claim; the ids deleted. Call inside
    the transaction that applies their effects, and apply only those of the returned ids."""
    done: set[int] = set()
    for token, group in _by_token(jobs).items():
        where, params = _ids_where([job.id for job in group])
        rows = fetch(
            f"DELETE FROM {_T} WHERE {where} AND claim_token = %s RETURNING id", [*params, token]
        )
        done.update(row[0] for row in rows)
    return done


def extend_leases(jobs: Iterable[Claimed], *, until: datetime) -> set[int]:
    """`extend_lease` for many jobs, one statement per claim: the ids still ours."""
    kept: set[int] = set()
    for token, group in _by_token(jobs).items():
        where, params = _ids_where([job.id for job in group])
        rows = fetch(
            f"UPDATE {_T} SET claimed_until = %s WHERE {where} AND claim_token = %s RETURNING id",
            [until, *params, token],
        )
        kept.update(row[0] for row in rows)
    return kept


def reschedule_many(later: Iterable[tuple[Claimed, datetime]]) -> set[int]:
    """`Reschedule` for many jobs at once (each back in the queue at its own time, the attempt
    not counted), one statement per claim: the ids still ours."""
    at = {job.id: when for job, when in later}
    kept: set[int] = set()
    for token, group in _by_token(job for job, _ in later).items():
        ids = [job.id for job in group]
        if is_postgres():
            sql = (
                f"UPDATE {_T} AS j SET run_after = v.at, claimed_until = NULL, "
                f"claim_token = NULL, attempts = GREATEST(j.attempts - 1, 0) "
                f"FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::timestamptz[]) AS at) v "
                f"WHERE j.id = v.id AND j.claim_token = %s RETURNING j.id"
            )
            params: list[Any] = [ids, [at[i] for i in ids], token]
        else:
            cases = " ".join("WHEN %s THEN %s" for _ in ids)
            where, in_params = _ids_where(ids)
            sql = (
                f"UPDATE {_T} SET run_after = CASE id {cases} END, claimed_until = NULL, "
                f"claim_token = NULL, attempts = MAX(attempts - 1, 0) "
                f"WHERE {where} AND claim_token = %s RETURNING id"
            )
            pairs = [value for i in ids for value in (i, at[i])]
            params = [*pairs, *in_params, token]
        kept.update(row[0] for row in fetch(sql, params))
    return kept


def wake_many(*, kind: str, ref_ids: Iterable[int], at: datetime | None = None) -> int:
    """`wake` for many rows in one statement."""
    ids = sorted(set(ref_ids))
    if not ids:
        return 0
    return Job.objects.filter(kind=kind, ref_id__in=ids, claimed_until__isnull=True).update(
        run_after=at or now()
    )


# A kind may instead have an own-transaction batch handler: it gets all the claimed jobs of its
# kind at once, does work that waits on the network outside any transaction (with up to
# `threads` requests at a time) and records the outcomes of the whole batch itself, completing
# or rescheduling the jobs with `complete_many` / `reschedule_many` inside the transaction of
# their effects. It returns its outcome counts ("done", "rescheduled", "lost", "failed").
OwnBatchHandler = Callable[[list[Claimed], int], dict[str, int]]
OWN_BATCH_HANDLERS: dict[str, OwnBatchHandler] = {}


def own_batch_handler(kind: str) -> Callable[[OwnBatchHandler], OwnBatchHandler]:
    def register(fn: OwnBatchHandler) -> OwnBatchHandler:
        OWN_BATCH_HANDLERS[kind] = fn
        return fn

    return register
