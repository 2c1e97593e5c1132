"""Origin and origin batch row locks (one helper per model; several rows in primary-key order)."""

from __future__ import annotations

from goodword.origins.models import Origin, OriginBatch


def origin_lock(*, id: int) -> Origin:
    """The origin, locked until the transaction ends (Origin.DoesNotExist when it is gone)."""
    return Origin.objects.select_for_update().get(pk=id)


def origin_batch_lock(*, id: int) -> OriginBatch:
    """The batch, locked until the transaction ends: its chunks record their counts one at a
    time."""
    return OriginBatch.objects.select_for_update().get(pk=id)
