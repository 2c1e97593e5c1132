"""Batch origins (POST /api/v2/origins/batch/<kind>): store the posted rows, then report on them.

The contract validates a batch asynchronously: the request stores the rows as they came, in
chunks of CHUNK_ROWS, each with a worker job, all in one transaction (ADR 0001); the worker
(`goodword.origins.jobs`) validates and stores each chunk's rows exactly as the
single-origin endpoints do, and records a row that is not an object as that row's error. A
`data` that is no array at all (missing, null, an object) is kept as a batch with no rows and
that sentence as its error, finished at once: the contract answers a batch with `ok` whatever
its payload. A request may carry at most `settings.BATCH_MAX_ROWS` rows (default
DEFAULT_MAX_ROWS); a bigger one is refused whole, before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from goodword.core.clock import now
from goodword.origins.locks import origin_batch_lock
from goodword.origins.models import OriginBatch, OriginBatchChunk, OriginBatchError
from goodword.sites.auth import SiteRef
from goodword.sites.models import Site
from goodword.worker import queue

DEFAULT_MAX_ROWS = 10_000
# Rows validated and stored per worker transaction: big enough that the per-chunk work (claim,
# counters, the chunk's deletion) is noise, small enough that a job stays well inside its lease.
CHUNK_ROWS = 500
BATCH_JOB = "origin_batch"


def max_rows() -> int:
    return int(getattr(settings, "BATCH_MAX_ROWS", DEFAULT_MAX_ROWS))


def data_error(data: Any) -> str:
    """Why the posted `data` cannot be read as a batch's rows, or "" when it can."""
    if data is None:
        return "`data` is required"
    if not isinstance(data, list):
        return "`data` must be an array of objects"
    return ""


def origin_batch_create(
    *,
    site: SiteRef,
    kind: str,
    data: Any,
    create_offers: bool,
    client_ip: str | None,
) -> OriginBatch:
    """Keep a batch's raw rows durably and queue one job per chunk, in one transaction. A
    `data` that holds no rows (empty, or not an array) makes a batch finished at once."""
    stamp = now()
    error = data_error(data)
    rows: list[Any] = [] if error else data
    with transaction.atomic():
        batch = OriginBatch.objects.create(
            site_id=site.id,
            type=kind,
            create_offers=create_offers,
            client_ip=client_ip,
            row_count=len(rows),
            created_at=stamp,
            finished_at=None if rows else stamp,
            error=error,
        )
        chunks = OriginBatchChunk.objects.bulk_create(
            OriginBatchChunk(batch=batch, first_row=start, rows=rows[start : start + CHUNK_ROWS])
            for start in range(0, len(rows), CHUNK_ROWS)
        )
        queue.enqueue_many(
            queue.NewJob(site_id=site.id, kind=BATCH_JOB, ref_id=chunk.pk, run_after=stamp)
            for chunk in chunks
        )
    return batch


@dataclass(frozen=True, slots=True)
class RowError:
    index: int
    message: str
    data: Any


def origin_batch_record(
    *, chunk: OriginBatchChunk, stored: int, errors: list[RowError]
) -> OriginBatch:
    """Account for a processed chunk: its errors, the batch's counters, and the chunk's deletion
    (the progress marker); the batch is finished when its last chunk goes. Call inside the
    transaction that stored the chunk's origins."""
    OriginBatchError.objects.bulk_create(
        OriginBatchError(batch_id=chunk.batch_id, row_index=e.index, message=e.message, data=e.data)
        for e in errors
    )
    OriginBatchChunk.objects.filter(pk=chunk.pk).delete()
    batch = origin_batch_lock(id=chunk.batch_id)
    batch.stored += stored
    batch.failed += len(errors)
    # The row lock above waits for any other chunk of this batch being recorded, so the last
    # one to commit sees every other chunk gone.
    if not OriginBatchChunk.objects.filter(batch_id=batch.pk).exists():
        batch.finished_at = now()
    batch.save(update_fields=["stored", "failed", "finished_at"])
    return batch


# ---- selectors ---------------------------------------------------------------------------


def _status(batch: OriginBatch, parked: set[int]) -> str:
    if batch.error:
        return "refused"
    if batch.finished_at is not None:
        return "finished"
    if batch.pk in parked:
        return "stalled"
    return "processing"


def origin_batch_list(*, site: Site, limit: int = 20) -> list[dict[str, Any]]:
    """The site's most recent batches, newest first, with their counters and row errors. A batch
    whose chunk job keeps failing (parked by the worker) is `stalled`, with the job's error; one
    whose `data` held no readable rows is `refused`, with the reason as its `error`."""
    batches = list(OriginBatch.objects.filter(site=site).order_by("-created_at", "-pk")[:limit])
    ids = [b.pk for b in batches]
    chunk_batch = dict(
        OriginBatchChunk.objects.filter(batch_id__in=ids).values_list("id", "batch_id")
    )
    job_errors: dict[int, list[str]] = {}
    parked: set[int] = set()
    for job in queue.job_states(kind=BATCH_JOB, ref_ids=list(chunk_batch)):
        last_error, failed_at = job.last_error, job.failed_at
        batch_id = chunk_batch[job.ref_id]
        if failed_at is not None:
            parked.add(batch_id)
        if last_error:
            state = "parked" if failed_at is not None else "retrying"
            job_errors.setdefault(batch_id, []).append(f"{state}: {last_error}")
    errors: dict[int, list[dict[str, Any]]] = {}
    for batch_id, index, message in (
        OriginBatchError.objects.filter(batch_id__in=ids)
        .order_by("batch_id", "row_index")
        .values_list("batch_id", "row_index", "message")
    ):
        errors.setdefault(batch_id, []).append({"index": index, "message": message})
    return [
        {
            "id": b.pk,
            "type": b.type,
            "create_offers": b.create_offers,
            "status": _status(b, parked),
            "rows": b.row_count,
            "stored": b.stored,
            "failed": b.failed,
            "pending": b.row_count - b.stored - b.failed,
            "created_at": _iso(b.created_at),
            "finished_at": _iso(b.finished_at),
            "error": b.error or None,
            "job_errors": job_errors.get(b.pk, []),
            "errors": errors.get(b.pk, []),
        }
        for b in batches
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
