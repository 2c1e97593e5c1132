"""The metrics app's worker housekeeping: folding the per-day totals' deltas (ADR 0017)."""

from __future__ import annotations

from goodword.metrics.services import rollup_compact
from goodword.worker import queue

# Between two runs a read sums at most this many seconds of deltas beside the folded rows.
COMPACT_EVERY_SECONDS = 10.0


@queue.periodic("metrics_compact", every=COMPACT_EVERY_SECONDS)
def compact() -> int:
    return rollup_compact()
