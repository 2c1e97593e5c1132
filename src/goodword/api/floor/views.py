"""The benchmark's floor: a django-ninja endpoint that parses a small body and does one INSERT.

Mounted only when GOODWORD_BENCH_FLOOR is set (never in production), so bench/origins.py can
measure the origin endpoint against the cheapest possible endpoint in the same run.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from goodword.api.v2.envelope import ok
from goodword.core.clock import now
from goodword.core.models import FloorRow

router = Router(tags=["Benchmark"])


class FloorBody(Schema):
    order_number: str
    email: str
    subtotal: Decimal


_SQL = (
    f"INSERT INTO {FloorRow._meta.db_table} (order_number, email, subtotal, created_at) "
    "VALUES (%s, %s, %s, %s)"
)


@router.post("/bench/floor", auth=None, include_in_schema=False)
def floor(request: HttpRequest, payload: FloorBody) -> HttpResponse:
    created = FloorRow._meta.get_field("created_at").get_db_prep_save(now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [payload.order_number, payload.email, payload.subtotal, created])
    return ok({"order_number": payload.order_number}, status=201)
