"""Storing origins: person upsert, identity, idempotency (what follows from a new origin is
`origins.intake`'s to decide).

The hot path of the product. It runs as raw SQL (one statement on PostgreSQL) rather than
through the ORM: DESIGN.md measured an ORM `.get()` at about seven times the CPU of the same
query on a cursor, and the request rate here is decided by Python work per request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction

from goodword.core.clock import now
from goodword.core.db import is_postgres
from goodword.core.errors import DomainError
from goodword.origins.models import TRACKING_FIELDS, Origin, OriginType
from goodword.people.models import Person
from goodword.sites.auth import SiteRef
from goodword.worker import queue


@dataclass(slots=True)
class PersonData:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    customer_id: str | None = None
    phone_number: str | None = None
    custom_properties: dict[str, Any] | None = None


@dataclass(slots=True)
class OriginData:
    """A validated origin as the API received it. `sent` is the normalised data as sent, for the
    idempotency fingerprint."""

    type: str
    person: PersonData
    sent: dict[str, Any]
    order_number: str | None = None
    event_category: str | None = None
    event_number: str | None = None
    subtotal: Decimal | None = None
    currency: str | None = None
    coupon_codes: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    shipping_address: str | None = None
    shipping_zip: str | None = None
    ip_address: str | None = None
    uuid: UUID | None = None
    occurred_at: datetime | None = None
    traffic_source: str | None = None
    segment1: str | None = None
    segment2: str | None = None
    segment3: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    campaign_tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class OriginResult:
    origin: Origin
    created: bool


def fingerprint(sent: dict[str, Any]) -> str:
    blob = json.dumps(sent, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


# The person fields an origin may set (a value sent overwrites, one not sent keeps).
PERSON_UPDATABLE = ("first_name", "last_name", "username", "customer_id", "phone_number")

# Origin columns written on insert (all concrete fields but the key), in model order.
_ORIGIN_FIELDS = [f for f in Origin._meta.concrete_fields if not f.primary_key]
_ORIGIN_COLUMNS = [str(f.column) for f in _ORIGIN_FIELDS]
_JSON_COLUMNS = {"coupon_codes", "items", "campaign_tags"}
_P = Person._meta.db_table
_O = Origin._meta.db_table
_J = queue.JOB_TABLE
_JOB_VALUES = queue.job_insert_values(
    site_id="%(site_id)s",
    kind="%(job_kind)s::text",
    ref_id="o.id",
    payload="%(job_payload)s::jsonb",
    run_after="%(created_at)s",
    created_at="%(created_at)s",
)

_IDENTITY: dict[str, tuple[str, str]] = {
    OriginType.PURCHASE: (
        "site_id = %(site_id)s AND type = 'Purchase' AND order_number = %(order_number)s",
        "ON CONFLICT (site_id, order_number) WHERE type = 'Purchase' DO NOTHING",
    ),
    OriginType.EVENT: (
        "site_id = %(site_id)s AND type = 'Event' AND event_category = %(event_category)s "
        "AND event_number = %(event_number)s",
        "ON CONFLICT (site_id, event_category, event_number) WHERE type = 'Event' DO NOTHING",
    ),
    OriginType.AFFILIATE_MEMBER: ("false", ""),
}


def _pg_sql(kind: str) -> str:
    """One statement, one round trip, for the whole write on PostgreSQL.

    - `existing`: the origin, when it is already there (then nothing below writes anything).
    - `ins_p`/`p`: the person, inserted when new, else found.
    - `o`: the origin; a concurrent twin meets it at the unique index (DO NOTHING).
    - `u`: the person's fields updated, only when the origin was stored and the person was not
      new (a row may be modified once per statement, and a new person already has the fields).
    - `j`: the follow-up job for the worker (attribution), when the caller asked for one: it
      exists exactly when the origin does.
    """
    match, conflict = _IDENTITY[kind]
    casts = {"ip_address": "::inet", "uuid": "::uuid"}
    values = ", ".join(
        "p.id"
        if c == "person_id"
        else f"%({c})s{'::jsonb' if c in _JSON_COLUMNS else casts.get(c, '')}"
        for c in _ORIGIN_COLUMNS
    )
    keep = ", ".join(f"{c} = COALESCE(%(p_{c})s, {c})" for c in PERSON_UPDATABLE)
    # A returning customer usually sends what we already have: then the row is not rewritten.
    changed = " OR ".join(
        f"{c} IS DISTINCT FROM COALESCE(%(p_{c})s, {c})" for c in PERSON_UPDATABLE
    )
    return f"""
WITH existing AS (
  SELECT id FROM {_O} WHERE {match}
), ins_p AS (
  INSERT INTO {_P} (site_id, email, {", ".join(PERSON_UPDATABLE)}, custom_properties,
                    created_at, updated_at)
  SELECT %(site_id)s, %(email)s, {", ".join(f"%(p_{c})s" for c in PERSON_UPDATABLE)},
         %(p_custom)s::jsonb, %(created_at)s, %(created_at)s
  WHERE NOT EXISTS (SELECT 1 FROM existing)
  ON CONFLICT (site_id, email) DO NOTHING
  RETURNING id
), p AS (
  SELECT id FROM ins_p
  UNION ALL
  SELECT id FROM {_P} WHERE site_id = %(site_id)s AND email = %(email)s
  LIMIT 1
), o AS (
  INSERT INTO {_O} ({", ".join(_ORIGIN_COLUMNS)})
  SELECT {values} FROM p WHERE NOT EXISTS (SELECT 1 FROM existing)
  {conflict}
  RETURNING id
), u AS (
  UPDATE {_P} SET {keep}, custom_properties = custom_properties || %(p_custom)s::jsonb,
                  updated_at = %(created_at)s
  WHERE id = (SELECT id FROM p) AND EXISTS (SELECT 1 FROM o) AND NOT EXISTS (SELECT 1 FROM ins_p)
    AND ({changed} OR NOT custom_properties @> %(p_custom)s::jsonb)
  RETURNING id
), j AS (
  INSERT INTO {_J} ({queue.JOB_INSERT_COLUMNS})
  SELECT {_JOB_VALUES}
  FROM o WHERE %(job_kind)s::text IS NOT NULL
)
SELECT (SELECT id FROM o), (SELECT id FROM ins_p), (SELECT id FROM p), (SELECT count(*) FROM u)
"""


def _sqlite_person_sql() -> str:
    cols = ", ".join(PERSON_UPDATABLE)
    keep = ", ".join(f"{c} = COALESCE(excluded.{c}, {_P}.{c})" for c in PERSON_UPDATABLE)
    return (
        f"INSERT INTO {_P} (site_id, email, {cols}, custom_properties, created_at, updated_at) "
        f"VALUES (%s, %s, {', '.join(['%s'] * len(PERSON_UPDATABLE))}, %s, %s, %s) "
        f"ON CONFLICT (site_id, email) DO UPDATE SET {keep}, "
        f"updated_at = excluded.updated_at RETURNING id, custom_properties"
    )


def _sqlite_origin_sql(kind: str) -> str:
    return (
        f"INSERT INTO {_O} ({', '.join(_ORIGIN_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_ORIGIN_COLUMNS))}) {_IDENTITY[kind][1]} RETURNING id"
    )


_sql_cache: dict[tuple[str, str], str] = {}


def _sql(name: str, kind: str = "") -> str:
    key = (name, kind)
    sql = _sql_cache.get(key)
    if sql is None:
        if name == "pg":
            sql = _pg_sql(kind)
        elif name == "sqlite_person":
            sql = _sqlite_person_sql()
        else:
            sql = _sqlite_origin_sql(kind)
        _sql_cache[key] = sql
    return sql


def _values(origin: Origin) -> dict[str, Any]:
    """Column values as Python objects (the driver adapts them)."""
    return {
        str(f.column): getattr(origin, f.attname) for f in _ORIGIN_FIELDS if f.column != "person_id"
    }


def duplicate_error(kind: str) -> DomainError:
    number = "event_number" if kind == OriginType.EVENT else "order_number"
    return DomainError(
        "duplicate_origin",
        f"Duplicate entity: Talkable already has existing {kind} with the same {number} "
        "but different data\n",
    )


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A job to enqueue together with a new origin (never for a repeated one)."""

    kind: str
    payload: dict[str, Any]


def origin_columns(*, site: SiteRef, data: OriginData, stamp: datetime) -> dict[str, Any]:
    """A new origin's stored values (by attribute name, the person aside), for one origin
    (`origin_create`) and for many (`origins_create_many`) alike."""
    return {
        "site_id": site.id,
        "type": data.type,
        "order_number": data.order_number,
        "event_category": data.event_category,
        "event_number": data.event_number,
        "email": data.person.email,
        "customer_id": data.person.customer_id,
        "subtotal": data.subtotal,
        "currency": data.currency or site.currency,
        "coupon_codes": data.coupon_codes,
        "items": data.items,
        "shipping_address": data.shipping_address,
        "shipping_zip": data.shipping_zip,
        "ip_address": data.ip_address,
        "uuid": data.uuid,
        **{name: getattr(data, name) for name in TRACKING_FIELDS},
        "campaign_tags": data.campaign_tags,
        "occurred_at": data.occurred_at or stamp,
        "fingerprint": fingerprint(data.sent),
        "created_at": stamp,
    }


def origin_create(
    *, site: SiteRef, data: OriginData, follow_up: FollowUp | None = None
) -> OriginResult:
    """Store an origin and upsert its person; idempotent on the origin's identity.

    Same identity, same data: the stored origin comes back and nothing changes. Same identity,
    different data: DomainError `duplicate_origin` and nothing changes, the person included.
    Concurrent duplicates meet at the unique index: the loser's INSERT waits for the winner's
    commit, inserts nothing, and the loser then reads the winner's row.
    """
    origin = Origin(**origin_columns(site=site, data=data, stamp=now()))
    if is_postgres():
        origin_id, person_id = _insert_postgres(origin, data.person, follow_up)
    else:
        origin_id, person_id = _insert_generic(origin, data.person, follow_up)
    if origin_id is not None:
        origin.pk = origin_id
        origin.person_id = person_id
        return OriginResult(origin=origin, created=True)
    existing = _existing(site_id=site.id, data=data)
    if existing is None:  # pragma: no cover - _insert_* retry until one of the two exists
        raise RuntimeError("origin neither inserted nor found")
    if existing.fingerprint != origin.fingerprint:
        raise duplicate_error(data.type)
    return OriginResult(origin=existing, created=False)


def _insert_postgres(
    origin: Origin, person: PersonData, follow_up: FollowUp | None
) -> tuple[int | None, int]:
    from psycopg import Cursor
    from psycopg.types.json import Jsonb

    params = _values(origin)
    for column in _JSON_COLUMNS:
        params[column] = Jsonb(params[column])
    params.update(
        job_kind=follow_up.kind if follow_up else None,
        job_payload=Jsonb(follow_up.payload if follow_up else {}),
        email=person.email,
        p_custom=Jsonb(person.custom_properties or {}),
        **{f"p_{c}": getattr(person, c) for c in PERSON_UPDATABLE},
    )
    sql = _sql("pg", origin.type)
    connection.ensure_connection()
    # A server-binding cursor: the statement is prepared once per connection and then runs
    # without being parsed and planned again (Django's default cursor binds on the client).
    for _attempt in range(5):
        # wrap_database_errors: the driver's errors as Django's classes, as from any cursor, so
        # callers (the batch job's row-by-row fallback, the API's error answers) see one kind.
        with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            row = cursor.fetchone()
        assert row is not None
        origin_id, new_person_id, person_id, _updated = row
        if origin_id is not None:
            return int(origin_id), int(person_id)
        if new_person_id is not None:
            # Lost a race to a twin origin after creating its person: undo, so a refused
            # origin leaves nothing behind.
            Person.objects.filter(id=new_person_id, origins__isnull=True).delete()
        if _identity_exists(origin):
            return None, 0
        # The person was being created by a concurrent request when this statement took its
        # snapshot, so it could neither insert nor see it; it is visible on the next try.
    raise RuntimeError("could not store origin after repeated concurrent conflicts")


def _insert_generic(
    origin: Origin, person: PersonData, follow_up: FollowUp | None
) -> tuple[int | None, int]:
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(origin.created_at)
    person_params = [
        origin.site_id,
        person.email,
        *(getattr(person, c) for c in PERSON_UPDATABLE),
        json.dumps(person.custom_properties or {}),
        stamp,
        stamp,
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_sql("sqlite_person"), person_params)
            person_id, stored = cursor.fetchone()
            if person.custom_properties:
                # Merge by top-level key, as PostgreSQL's `||` does (json_patch would merge
                # nested objects and drop null values). The immediate transaction holds the
                # write lock, so nothing changes the row in between.
                merged = {**json.loads(stored or "{}"), **person.custom_properties}
                cursor.execute(
                    f"UPDATE {_P} SET custom_properties = %s WHERE id = %s",
                    [json.dumps(merged), person_id],
                )
            origin.person_id = person_id
            params = [
                f.get_db_prep_save(getattr(origin, f.attname), connection) for f in _ORIGIN_FIELDS
            ]
            cursor.execute(_sql("sqlite_origin", origin.type), params)
            row = cursor.fetchone()
        if row is None:
            # Undo the person update too: a refused or repeated origin changes nothing.
            transaction.set_rollback(True)
            return None, 0
        if follow_up is not None:
            queue.enqueue(
                site_id=origin.site_id,
                kind=follow_up.kind,
                ref_id=row[0],
                payload=follow_up.payload,
                run_after=origin.created_at,
            )
    return int(row[0]), person_id


def _identity_exists(origin: Origin) -> bool:
    if origin.type == OriginType.AFFILIATE_MEMBER:
        return False
    qs = Origin.objects.filter(site_id=origin.site_id, type=origin.type)
    if origin.type == OriginType.PURCHASE:
        return qs.filter(order_number=origin.order_number).exists()
    return qs.filter(
        event_category=origin.event_category, event_number=origin.event_number
    ).exists()


def _existing(*, site_id: int, data: OriginData) -> Origin | None:
    qs = Origin.objects.filter(site_id=site_id, type=data.type)
    if data.type == OriginType.PURCHASE:
        return qs.filter(order_number=data.order_number).first()
    return qs.filter(event_category=data.event_category, event_number=data.event_number).first()
