"""Many origins of one kind stored at once (a batch chunk), with the results `origin_create`
would give each one in turn. PostgreSQL only (ADR 0018); SQLite batches go row by row.

A chunk costs a fixed number of statements, whatever its size:
1. the identities already stored, with their fingerprints (purchases and events);
2. the people of the new origins, upserted (inserted when new; otherwise each field sent
   overwrites, each field not sent is kept, custom properties merge by key, and the row is
   written only when something changes, as `origin_create` does one by one);
3. the new origins, one INSERT ... SELECT from the chunk's rows as one JSON parameter;
4. their follow-up jobs, when any (`queue.enqueue_many`).

Idempotency is decided here as the single path decides it, in row order: an identity stored
before, or stored by an earlier row of the chunk, makes a row with the same fingerprint a
repeat (nothing written) and one with another fingerprint a `duplicate_origin` error. A
concurrent writer that stores one of the identities between (1) and (3) makes (3) insert fewer
rows than asked: `BulkConflict`, and the caller runs the chunk again one row at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from goodword.core.clock import now
from goodword.core.db import fetch
from goodword.core.errors import DomainError
from goodword.origins.models import Origin, OriginType
from goodword.origins.services import (
    PERSON_UPDATABLE,
    FollowUp,
    OriginData,
    duplicate_error,
    origin_columns,
)
from goodword.people.models import Person
from goodword.sites.auth import SiteRef
from goodword.worker import queue

_O = Origin._meta.db_table
_P = Person._meta.db_table
_INSERTED = [f for f in Origin._meta.concrete_fields if not f.primary_key]
_ORIGIN_COLUMNS = ", ".join(str(f.column) for f in _INSERTED)

_CONFLICT: dict[str, str] = {
    OriginType.PURCHASE: "ON CONFLICT (site_id, order_number) WHERE type = 'Purchase' DO NOTHING",
    OriginType.EVENT: (
        "ON CONFLICT (site_id, event_category, event_number) WHERE type = 'Event' DO NOTHING"
    ),
    OriginType.AFFILIATE_MEMBER: "",
}

# (1) The fingerprints of identities already stored: one probe of the unique index per
# identity (LATERAL, kept a nested loop by its LIMIT). As `order_number = ANY(...)` or as a
# plain join, a planner without statistics (a bulk load, autovacuum off or behind: ADR 0014)
# read the site's every origin per chunk (measured: 355 ms a chunk at 20,000 origins, growing
# with the table; 7 ms with the probes).
_STORED: dict[str, str] = {
    OriginType.PURCHASE: (
        "SELECT n.num, NULL, o.fingerprint FROM unnest(%s::varchar[]) AS n(num) "
        f"CROSS JOIN LATERAL (SELECT fingerprint FROM {_O} WHERE site_id = %s "
        "AND type = 'Purchase' AND order_number = n.num LIMIT 1) AS o"
    ),
    OriginType.EVENT: (
        "SELECT n.cat, n.num, o.fingerprint FROM unnest(%s::varchar[], %s::varchar[]) "
        f"AS n(cat, num) CROSS JOIN LATERAL (SELECT fingerprint FROM {_O} WHERE site_id = %s "
        "AND type = 'Event' AND event_category = n.cat AND event_number = n.num LIMIT 1) AS o"
    ),
}

# (2) People: every row as sent, folded per email; the changed ones come back from the upsert,
# the unchanged ones from the table (the statement's snapshot has them, not what it inserts).
_PERSON_TYPES = ", ".join(f"{c} varchar" for c in PERSON_UPDATABLE)
_PERSON_CHANGED = " OR ".join(
    f"p.{c} IS DISTINCT FROM COALESCE(EXCLUDED.{c}, p.{c})" for c in PERSON_UPDATABLE
)
_PEOPLE = f"""
WITH r AS (
  SELECT * FROM jsonb_to_recordset(%s::jsonb)
    AS r(email varchar, {_PERSON_TYPES}, custom_properties jsonb)
), up AS (
  INSERT INTO {_P} AS p (site_id, email, {", ".join(PERSON_UPDATABLE)}, custom_properties,
                        created_at, updated_at)
  SELECT %s, email, {", ".join(PERSON_UPDATABLE)}, custom_properties, %s, %s
  FROM r ORDER BY email
  ON CONFLICT (site_id, email) DO UPDATE SET
    {", ".join(f"{c} = COALESCE(EXCLUDED.{c}, p.{c})" for c in PERSON_UPDATABLE)},
    custom_properties = p.custom_properties || EXCLUDED.custom_properties,
    updated_at = EXCLUDED.updated_at
  WHERE {_PERSON_CHANGED}
    OR NOT p.custom_properties @> EXCLUDED.custom_properties
  RETURNING p.email, p.id
)
SELECT email, id FROM up
UNION ALL
SELECT r.email, x.id FROM r
CROSS JOIN LATERAL (SELECT id FROM {_P} WHERE site_id = %s AND email = r.email LIMIT 1) AS x
WHERE r.email NOT IN (SELECT email FROM up)
"""
_PEOPLE_AGAIN = f"SELECT email, id FROM {_P} WHERE site_id = %s AND email = ANY(%s::varchar[])"

# (3) The new origins: the chunk's rows as one JSON array, each row's values converted to the
# column types by PostgreSQL, as a single INSERT would convert its parameters.
_ORIGINS: dict[str, str] = {
    kind: (
        f"INSERT INTO {_O} ({_ORIGIN_COLUMNS}) "
        f"SELECT {_ORIGIN_COLUMNS} FROM jsonb_populate_recordset(NULL::{_O}, %s::jsonb) "
        f"{conflict} RETURNING id, type, order_number, event_category, event_number"
    )
    for kind, conflict in _CONFLICT.items()
}


class BulkConflict(Exception):
    """A concurrent writer stored one of the chunk's identities meanwhile: run it row by row."""


@dataclass(frozen=True, slots=True)
class NewOrigin:
    data: OriginData
    follow_up: FollowUp | None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _identity(kind: str, order_number: Any, category: Any, number: Any) -> tuple[str, ...]:
    if kind == OriginType.PURCHASE:
        return (str(order_number),)
    return (str(category), str(number))


def origins_create_many(
    *, site: SiteRef, kind: str, origins: Sequence[NewOrigin]
) -> list[DomainError | None]:
    """Store many validated origins of `kind` in a fixed number of statements; for each, what
    `origin_create` one by one would have done: None when it is stored or repeats a stored
    origin with the same data, `duplicate_origin` when it repeats one with other data (then
    nothing of it is stored). Call inside a transaction; BulkConflict: see the module."""
    if not origins:
        return []
    stamp = now()
    columns = [origin_columns(site=site, data=o.data, stamp=stamp) for o in origins]
    outcomes: list[DomainError | None] = [None] * len(origins)
    new: list[int] = []
    keys: list[tuple[str, ...]] = []
    if kind == OriginType.AFFILIATE_MEMBER:
        new = list(range(len(origins)))
    else:
        keys = [
            _identity(kind, c["order_number"], c["event_category"], c["event_number"])
            for c in columns
        ]
        known = _stored_fingerprints(site_id=site.id, kind=kind, columns=columns)
        for i, (key, values) in enumerate(zip(keys, columns, strict=True)):
            seen = known.get(key)
            if seen is None:
                known[key] = values["fingerprint"]
                new.append(i)
            elif seen != values["fingerprint"]:
                outcomes[i] = duplicate_error(kind)
    if not new:
        return outcomes
    people = _people_upsert(site_id=site.id, stamp=stamp, rows=[origins[i].data for i in new])
    rows = []
    for i in new:
        values = columns[i]
        values["person_id"] = people[values["email"]]
        rows.append({str(f.column): values.get(f.attname) for f in _INSERTED})
    stored = fetch(_ORIGINS[kind], [json.dumps(rows, default=_json_value)])
    if len(stored) != len(new):
        raise BulkConflict(f"{len(new) - len(stored)} of {len(new)} origins stored meanwhile")
    follow_ups = [i for i in new if origins[i].follow_up is not None]
    if follow_ups:
        ids = {_identity(kind, *row[2:]): int(row[0]) for row in stored}
        jobs = []
        for i in follow_ups:
            follow_up = origins[i].follow_up
            assert follow_up is not None
            jobs.append(
                queue.NewJob(
                    site_id=site.id,
                    kind=follow_up.kind,
                    ref_id=ids[keys[i]],
                    payload=follow_up.payload,
                    run_after=stamp,
                )
            )
        queue.enqueue_many(jobs)
    return outcomes


def _stored_fingerprints(
    *, site_id: int, kind: str, columns: list[dict[str, Any]]
) -> dict[tuple[str, ...], str]:
    if kind == OriginType.PURCHASE:
        params: list[Any] = [sorted({c["order_number"] for c in columns}), site_id]
    else:
        pairs = sorted({(c["event_category"], c["event_number"]) for c in columns})
        params = [[p[0] for p in pairs], [p[1] for p in pairs], site_id]
    return {
        _identity(kind, first, first, second): str(fp)
        for first, second, fp in fetch(_STORED[kind], params)
    }


def _people_upsert(*, site_id: int, stamp: datetime, rows: list[OriginData]) -> dict[str, int]:
    """Each email's person id, after applying the rows' person fields in order."""
    folded: dict[str, dict[str, Any]] = {}
    for data in rows:
        person = data.person
        into = folded.setdefault(person.email, {"email": person.email, "custom_properties": {}})
        for name in PERSON_UPDATABLE:
            value = getattr(person, name)
            if value is not None:
                into[name] = value
        if person.custom_properties:
            into["custom_properties"].update(person.custom_properties)
    payload = json.dumps(list(folded.values()), default=_json_value)
    found = {
        str(email): int(pk)
        for email, pk in fetch(_PEOPLE, [payload, site_id, stamp, stamp, site_id])
    }
    missing = sorted(set(folded) - set(found))
    if missing:
        # Inserted by a concurrent writer after this statement's snapshot and unchanged by it:
        # visible to a new statement.
        found.update((str(e), int(pk)) for e, pk in fetch(_PEOPLE_AGAIN, [site_id, missing]))
    return found
