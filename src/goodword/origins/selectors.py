"""Reads for origins."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from goodword.core.db import fetch, is_postgres
from goodword.origins.models import Origin, OriginType

# What attribution and screening read of a friend's origin.
_ATTRIBUTION_FIELDS = (
    "id",
    "site_id",
    "person_id",
    "type",
    "order_number",
    "event_category",
    "event_number",
    "email",
    "subtotal",
    "coupon_codes",
    "ip_address",
    "uuid",
    "shipping_address",
    "shipping_zip",
    "occurred_at",
)


def origin_for_attribution(*, origin_id: int, site_id: int) -> Origin | None:
    """The origin with the fields attribution reads. On PostgreSQL one prepared statement (the
    worker runs this for every friend purchase; the ORM's query building costs ~40x the
    query itself here)."""
    if not is_postgres():
        return (
            Origin.objects.filter(pk=origin_id, site_id=site_id).only(*_ATTRIBUTION_FIELDS).first()
        )
    columns = ", ".join("host(ip_address)" if f == "ip_address" else f for f in _ATTRIBUTION_FIELDS)
    rows = fetch(
        f"SELECT {columns} FROM {Origin._meta.db_table} WHERE id = %s AND site_id = %s",
        [origin_id, site_id],
    )
    return _origin(rows[0]) if rows else None


def origins_for_attribution(*, origin_ids: list[int], site_id: int) -> dict[int, Origin]:
    """`origin_for_attribution` for many origins of one site, in one statement, by id."""
    if not origin_ids:
        return {}
    if not is_postgres():
        found = Origin.objects.filter(pk__in=origin_ids, site_id=site_id).only(*_ATTRIBUTION_FIELDS)
        return {origin.pk: origin for origin in found}
    columns = ", ".join("host(ip_address)" if f == "ip_address" else f for f in _ATTRIBUTION_FIELDS)
    rows = fetch(
        f"SELECT {columns} FROM {Origin._meta.db_table} WHERE id = ANY(%s) AND site_id = %s",
        [list(origin_ids), site_id],
    )
    origins = [_origin(row) for row in rows]
    return {origin.pk: origin for origin in origins}


def _origin(row: tuple[Any, ...]) -> Origin:
    values: dict[str, Any] = dict(zip(_ATTRIBUTION_FIELDS, row, strict=True))
    codes = values["coupon_codes"]
    values["coupon_codes"] = json.loads(codes) if isinstance(codes, str) else codes
    if values["uuid"] is not None and not isinstance(values["uuid"], uuid.UUID):
        values["uuid"] = uuid.UUID(str(values["uuid"]))
    if values["subtotal"] is not None:
        values["subtotal"] = Decimal(values["subtotal"])
    return Origin(**values)


def origin_event_count(*, site_id: int, person_id: int) -> int:
    """How many events the person caused."""
    return Origin.objects.filter(
        site_id=site_id, person_id=person_id, type=OriginType.EVENT
    ).count()


# The most traffic sources one answer lists: each costs one index probe.
TRAFFIC_SOURCES_MAX = 1000
_O = Origin._meta.db_table
# A loose index scan over the (site, traffic_source) index: each step jumps to the next
# distinct value, so the work is one probe per source, however many origins carry it (a plain
# DISTINCT reads every origin of the site).
_TRAFFIC_SOURCES = f"""
WITH RECURSIVE t(v) AS (
  SELECT (SELECT MIN(traffic_source) FROM {_O} WHERE site_id = %s AND traffic_source > '')
  UNION ALL
  SELECT (SELECT MIN(traffic_source) FROM {_O} WHERE site_id = %s AND traffic_source > t.v)
  FROM t WHERE t.v IS NOT NULL
)
SELECT v FROM t WHERE v IS NOT NULL LIMIT %s
"""


def traffic_source_list(*, site_id: int) -> list[str]:
    """The distinct traffic sources the site's origins were reported with, in order."""
    rows = fetch(_TRAFFIC_SOURCES, [site_id, site_id, TRAFFIC_SOURCES_MAX])
    return [str(row[0]) for row in rows]
