"""Folding the per-day totals' deltas into one row per key (ADR 0017).

Triggers append a delta per written statement (PostgreSQL) or row (SQLite); reads sum whatever
rows a day has, so compaction changes no answer, only how many rows a read sums."""

from __future__ import annotations

from django.db import connection, transaction

from goodword.core.db import is_postgres
from goodword.metrics.models import DayTotal

# Days (site, kind, day) folded per transaction: short transactions, bounded work per call.
DAYS_PER_ROUND = 500
_T = DayTotal._meta.db_table
_KEY = "site_id, kind, day, status, campaign_id, traffic_source, qa_generated"
_COLUMNS = f"{_KEY}, count, amount, compacted"

# One statement: the rows deleted are exactly the rows summed, so a concurrent compaction (it
# skips rows this one deleted) or a concurrent writer (its new deltas are not in this snapshot,
# they wait for the next round) cannot make a day count twice or not at all.
_PG_ROUND = (
    f"WITH fresh AS (SELECT DISTINCT site_id, kind, day FROM {_T} WHERE NOT compacted LIMIT %s),"
    f" gone AS (DELETE FROM {_T} t USING fresh f WHERE t.site_id = f.site_id"
    f" AND t.kind = f.kind AND t.day = f.day RETURNING t.*),"
    f" kept AS (INSERT INTO {_T} ({_COLUMNS}) SELECT {_KEY}, sum(count), sum(amount), true"
    f" FROM gone GROUP BY {_KEY} HAVING sum(count) <> 0 OR sum(amount) <> 0 RETURNING 1)"
    " SELECT (SELECT count(*) FROM fresh)"
)


def _sqlite_round(limit: int) -> int:
    # SQLite has one writer at a time, and this transaction is it (IMMEDIATE): nothing changes
    # between the reads and the writes below.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS metrics_fresh (site_id, kind, day)")
        cursor.execute("DELETE FROM metrics_fresh")
        cursor.execute(
            f"INSERT INTO metrics_fresh SELECT DISTINCT site_id, kind, day FROM {_T}"
            " WHERE NOT compacted LIMIT %s",
            [limit],
        )
        cursor.execute("SELECT count(*) FROM metrics_fresh")
        days = cursor.fetchone()[0]
        if not days:
            return 0
        inside = "(site_id, kind, day) IN (SELECT site_id, kind, day FROM metrics_fresh)"
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS metrics_folded AS SELECT * FROM {_T} WHERE 0"
        )
        cursor.execute("DELETE FROM metrics_folded")
        cursor.execute(
            f"INSERT INTO metrics_folded ({_COLUMNS}) SELECT {_KEY}, sum(count), sum(amount), 1"
            f" FROM {_T} WHERE {inside} GROUP BY {_KEY}"
            " HAVING sum(count) <> 0 OR sum(amount) <> 0"
        )
        cursor.execute(f"DELETE FROM {_T} WHERE {inside}")
        cursor.execute(f"INSERT INTO {_T} ({_COLUMNS}) SELECT {_COLUMNS} FROM metrics_folded")
        return int(days)


def rollup_compact(*, max_rounds: int = 1000) -> int:
    """Fold every day that received deltas into one row per key; returns the days folded."""
    folded = 0
    for _ in range(max_rounds):
        with transaction.atomic():
            if is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute(_PG_ROUND, [DAYS_PER_ROUND])
                    days = int(cursor.fetchone()[0])
            else:
                days = _sqlite_round(DAYS_PER_ROUND)
        folded += days
        if days < DAYS_PER_ROUND:
            break
    return folded
