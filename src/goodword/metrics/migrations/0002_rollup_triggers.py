"""Triggers that keep `metrics_daytotal` exact with every write, and the backfill (ADR 0017).

Each trigger appends signed deltas: an insert adds the new rows, a delete subtracts the old, an
update subtracts the old and adds the new (nothing when no counted column changed). PostgreSQL
runs one statement-level trigger per statement over its transition tables, so a bulk statement
appends one delta per key, not per row; SQLite runs row-level triggers. The backfill runs after
the triggers exist, in the same transaction: on PostgreSQL, CREATE TRIGGER waits for writers
on the table and blocks new ones until commit, so every row is counted exactly once."""

from typing import Any

from django.db import migrations

COLUMNS = (
    "site_id, kind, day, status, campaign_id, traffic_source, qa_generated, count, amount,"
    " compacted"
)
T = "metrics_daytotal"


def _pg_origin_rows(table: str, sign: str) -> str:
    return (
        f"SELECT site_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, traffic_source,"
        f" {sign}1 AS c, {sign}coalesce(subtotal, 0) AS a FROM {table} WHERE type = 'Purchase'"
    )


def _pg_referral_rows(table: str, sign: str) -> str:
    return (
        f"SELECT r.site_id, (r.created_at AT TIME ZONE 'UTC')::date AS day, r.status,"
        f" r.campaign_id, o.traffic_source, r.qa_generated, {sign}1 AS c,"
        f" {sign}coalesce(r.subtotal, 0) AS a"
        f" FROM {table} r LEFT JOIN origins_origin o ON o.id = r.origin_id"
    )


def _pg_origin_insert(rows: str) -> str:
    return (
        f"INSERT INTO {T} ({COLUMNS}) SELECT site_id, 'purchase', day, '', NULL, traffic_source,"
        f" false, sum(c), sum(a), false FROM ({rows}) d GROUP BY site_id, day, traffic_source"
        " HAVING sum(c) <> 0 OR sum(a) <> 0"
    )


def _pg_referral_insert(rows: str) -> str:
    return (
        f"INSERT INTO {T} ({COLUMNS}) SELECT site_id, 'referral', day, status, campaign_id,"
        f" traffic_source, qa_generated, sum(c), sum(a), false FROM ({rows}) d"
        " GROUP BY site_id, day, status, campaign_id, traffic_source, qa_generated"
        " HAVING sum(c) <> 0 OR sum(a) <> 0"
    )


PG_DELTAS = {
    ("origin", "insert"): _pg_origin_insert(_pg_origin_rows("new_rows", "")),
    ("origin", "delete"): _pg_origin_insert(_pg_origin_rows("old_rows", "-")),
    ("origin", "update"): _pg_origin_insert(
        f"{_pg_origin_rows('old_rows', '-')} UNION ALL {_pg_origin_rows('new_rows', '')}"
    ),
    ("referral", "insert"): _pg_referral_insert(_pg_referral_rows("new_rows", "")),
    ("referral", "delete"): _pg_referral_insert(_pg_referral_rows("old_rows", "-")),
    ("referral", "update"): _pg_referral_insert(
        f"{_pg_referral_rows('old_rows', '-')} UNION ALL {_pg_referral_rows('new_rows', '')}"
    ),
}
TABLES = {"origin": "origins_origin", "referral": "referrals_referral"}
REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_forward() -> list[str]:
    statements = []
    for (source, event), body in PG_DELTAS.items():
        name = f"metrics_{source}_{event}"
        statements.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body}; RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {TABLES[source]}"
            f" REFERENCING {REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


def _sqlite_origin(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {T} ({COLUMNS}) SELECT {row}.site_id, 'purchase', date({row}.occurred_at),"
        f" '', NULL, {row}.traffic_source, 0, {sign}1, {sign}coalesce({row}.subtotal, 0), 0"
        f" WHERE {row}.type = 'Purchase';"
    )


def _sqlite_referral(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {T} ({COLUMNS}) SELECT {row}.site_id, 'referral', date({row}.created_at),"
        f" {row}.status, {row}.campaign_id,"
        f" (SELECT traffic_source FROM origins_origin WHERE id = {row}.origin_id),"
        f" {row}.qa_generated, {sign}1, {sign}coalesce({row}.subtotal, 0), 0;"
    )


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


ORIGIN_COLUMNS = ("site_id", "type", "occurred_at", "subtotal", "traffic_source")
REFERRAL_COLUMNS = (
    "site_id",
    "created_at",
    "status",
    "campaign_id",
    "origin_id",
    "qa_generated",
    "subtotal",
)


def _sqlite_forward() -> list[str]:
    origin, referral = TABLES["origin"], TABLES["referral"]
    return [
        f"CREATE TRIGGER metrics_origin_insert AFTER INSERT ON {origin} BEGIN"
        f" {_sqlite_origin('NEW', '')} END",
        f"CREATE TRIGGER metrics_origin_delete AFTER DELETE ON {origin} BEGIN"
        f" {_sqlite_origin('OLD', '-')} END",
        f"CREATE TRIGGER metrics_origin_update AFTER UPDATE ON {origin}"
        f" WHEN {_changed(ORIGIN_COLUMNS)} BEGIN"
        f" {_sqlite_origin('OLD', '-')} {_sqlite_origin('NEW', '')} END",
        f"CREATE TRIGGER metrics_referral_insert AFTER INSERT ON {referral} BEGIN"
        f" {_sqlite_referral('NEW', '')} END",
        f"CREATE TRIGGER metrics_referral_delete AFTER DELETE ON {referral} BEGIN"
        f" {_sqlite_referral('OLD', '-')} END",
        f"CREATE TRIGGER metrics_referral_update AFTER UPDATE ON {referral}"
        f" WHEN {_changed(REFERRAL_COLUMNS)} BEGIN"
        f" {_sqlite_referral('OLD', '-')} {_sqlite_referral('NEW', '')} END",
    ]


def _backfill(day: str, true: str) -> list[str]:
    return [
        f"INSERT INTO {T} ({COLUMNS}) SELECT site_id, 'purchase', {day.format('occurred_at')},"
        " '', NULL, traffic_source, false, count(*), coalesce(sum(subtotal), 0), "
        f"{true} FROM origins_origin WHERE type = 'Purchase'"
        f" GROUP BY site_id, {day.format('occurred_at')}, traffic_source",
        f"INSERT INTO {T} ({COLUMNS}) SELECT r.site_id, 'referral',"
        f" {day.format('r.created_at')}, r.status, r.campaign_id, o.traffic_source,"
        f" r.qa_generated, count(*), coalesce(sum(r.subtotal), 0), {true}"
        " FROM referrals_referral r LEFT JOIN origins_origin o ON o.id = r.origin_id"
        f" GROUP BY r.site_id, {day.format('r.created_at')}, r.status, r.campaign_id,"
        " o.traffic_source, r.qa_generated",
    ]


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = [*_pg_forward(), *_backfill("({} AT TIME ZONE 'UTC')::date", "true")]
    else:
        statements = [*_sqlite_forward(), *_backfill("date({})", "1")]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def backward(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for source, event in PG_DELTAS:
            name = f"metrics_{source}_{event}"
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {name}" + (f" ON {TABLES[source]}" if postgres else "")
            )
            if postgres:
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        cursor.execute(f"DELETE FROM {T}")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        ("origins", "0005_merge_20261130_0239"),
        ("referrals", "0002_metrics_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
