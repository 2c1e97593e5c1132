"""The worker's batch job: validate and store one chunk of a batch's rows.

Each row goes through exactly what POST /api/v2/origins/purchase (event, affiliate_member) does:
the same validation and error sentences (`origins.schemas`) and the same intake
(`origins.intake.origin_ingest`: the origin, its person, the attribution job on a site with
campaigns, the event webhook and, when the batch asked for it, the advocate offer). A row that
the single endpoint would refuse (invalid, or a duplicate with other data) is recorded as an
OriginBatchError instead.

On PostgreSQL, a chunk without offers to make or event webhooks to send is stored set-based
(ADR 0018): every row validated first, exactly as above, then the valid rows stored together by
`origin_ingest_many` in a fixed number of statements, with the same answers row for row. If the
database refuses any of it (a value validation let through) or a concurrent writer got in
between, the chunk runs again row by row, so only the bad row is recorded.

One chunk is one transaction (the job runner's): its origins, its errors, the batch's counters
and the chunk's deletion commit together, so a worker that dies mid-chunk leaves the chunk and
its job to be run again from scratch, and a chunk already recorded is never run twice. That is
what keeps affiliate members, which have no identity to be idempotent on, from being doubled.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from goodword.core.db import ROW_ERRORS
from goodword.core.errors import DomainError
from goodword.origins.batches import BATCH_JOB, RowError, origin_batch_record
from goodword.origins.bulk import BulkConflict
from goodword.origins.intake import (
    origin_ingest,
    origin_ingest_many,
    origin_ingest_many_fits,
    origin_prepare,
)
from goodword.origins.models import OriginBatch, OriginBatchChunk
from goodword.origins.schemas import PersonFields, origin_data_validate
from goodword.origins.services import OriginData
from goodword.sites.auth import SiteRef, site_ref
from goodword.worker import queue

log = logging.getLogger("goodword.origins")
# What sends a chunk's fast path back to one row at a time.
_FALL_BACK: tuple[type[Exception], ...] = (*ROW_ERRORS, BulkConflict)


class _RowRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _store_set(
    site: SiteRef, batch: OriginBatch, chunk: OriginBatchChunk
) -> tuple[int, list[RowError]]:
    """The chunk's rows validated one by one and the valid ones stored together."""
    errors: list[RowError] = []
    valid: list[tuple[int, Any, OriginData]] = []
    for offset, row in enumerate(chunk.rows):
        index = chunk.first_row + offset
        try:
            data = _row_validate(batch, row)
            prepared, _channels = origin_prepare(
                kind=batch.type, data=data, current_ip=batch.client_ip
            )
        except (_RowRefused, DomainError) as exc:
            errors.append(RowError(index=index, message=exc.message, data=row))
        else:
            valid.append((index, row, prepared))
    outcomes = origin_ingest_many(site=site, kind=batch.type, origins=[v[2] for v in valid])
    stored = 0
    for (index, row, _data), refused in zip(valid, outcomes, strict=True):
        if refused is None:
            stored += 1
        else:
            errors.append(RowError(index=index, message=refused.message, data=row))
    errors.sort(key=lambda e: e.index)
    return stored, errors


def _row_validate(batch: OriginBatch, row: Any) -> PersonFields:
    """A row's data as the single-origin endpoint validates it (DomainError), after the one
    check a batch adds: a row that is not an object is _RowRefused."""
    if not isinstance(row, dict):
        # Said before validation, whose sentence for a non-object would name no row.
        raise _RowRefused("`data` must be an object")
    return origin_data_validate(kind=batch.type, data=row)


def _store_row(site: SiteRef, batch: OriginBatch, row: Any) -> None:
    """One row as the single-origin endpoint would take it; _RowRefused with its sentence."""
    try:
        data = _row_validate(batch, row)
        origin_ingest(
            site=site,
            kind=batch.type,
            data=data,
            current_ip=batch.client_ip,
            with_offer=batch.create_offers,
        )
    except DomainError as exc:
        raise _RowRefused(exc.message) from None


def _store_rows(
    site: SiteRef, batch: OriginBatch, chunk: OriginBatchChunk, *, one_by_one: bool
) -> tuple[int, list[RowError]]:
    stored = 0
    errors: list[RowError] = []
    for offset, row in enumerate(chunk.rows):
        index = chunk.first_row + offset
        try:
            if one_by_one:
                with transaction.atomic():
                    _store_row(site, batch, row)
            else:
                _store_row(site, batch, row)
        except _RowRefused as refused:
            errors.append(RowError(index=index, message=refused.message, data=row))
        except ROW_ERRORS as exc:
            if not one_by_one:
                raise
            # Validation let through something the database refuses: a bug to fix, but the
            # row is accounted for and the rest of the batch goes on.
            log.warning("batch %s row %s refused by the database: %s", batch.pk, index, exc)
            message = f"The database refused this row: {type(exc).__name__}: {exc}".strip()
            errors.append(RowError(index=index, message=message, data=row))
        else:
            stored += 1
    return stored, errors


@queue.handler(BATCH_JOB)
def process_batch_chunk(job: queue.Claimed) -> None:
    chunk = (
        OriginBatchChunk.objects.select_related("batch").filter(pk=job.ref_id).first()
        if job.ref_id is not None
        else None
    )
    if chunk is None:  # recorded already, or the batch's site was deleted
        return
    batch = chunk.batch
    site = site_ref(batch.site_id)
    try:
        # Fast path: the whole chunk under one savepoint; set-based where it fits, else one
        # row after another with no per-row savepoint.
        with transaction.atomic():
            if origin_ingest_many_fits(site=site, kind=batch.type, with_offer=batch.create_offers):
                stored, errors = _store_set(site, batch, chunk)
            else:
                stored, errors = _store_rows(site, batch, chunk, one_by_one=False)
    except _FALL_BACK as exc:
        # A row the database refused (whichever cursor raised it) aborted the chunk, or a
        # concurrent writer stored one of its origins meanwhile: again, each row under its own
        # savepoint, so that one row is recorded as failed and the others are stored.
        log.info("batch %s chunk %s goes row by row: %s", batch.pk, chunk.pk, exc)
        stored, errors = _store_rows(site, batch, chunk, one_by_one=True)
    origin_batch_record(chunk=chunk, stored=stored, errors=errors)
