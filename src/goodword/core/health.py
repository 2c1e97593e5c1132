"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse(
            {"ok": False, "error_message": f"database unreachable: {type(exc).__name__}"},
            status=503,
        )
    return JsonResponse({"ok": True, "database": connection.vendor})
