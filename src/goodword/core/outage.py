"""The database is down: every request answers 503 with Retry-After instead of a traceback
(JSON in the Talkable envelope under /api/, a short page elsewhere), and each process logs the
outage once when it starts and once when it is over, not once per request.

A process learns that the database is back when a request after the outage succeeds and a
`SELECT 1` on its connection answers; Django already drops a connection that failed at the end
of the request (CONN_HEALTH_CHECKS), so the next request connects afresh and no restart is
needed."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("goodword.outage")


def _unavailable() -> tuple[type[Exception], ...]:
    """What a database that cannot be reached raises (connection refused or lost, server
    shutting down, a lock wait that timed out): all of it clears up without anything being
    fixed here. psycopg's own classes too: the hot paths run some statements on psycopg's
    cursor directly (core/db.py), past Django's wrapping of errors."""
    classes: list[type[Exception]] = [OperationalError, InterfaceError]
    try:
        import psycopg
    except ImportError:  # SQLite-only installs
        pass
    else:
        classes += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(classes)


UNAVAILABLE = _unavailable()


class Outage:
    """This process's view of the database: up, or down since a time with a count of the
    requests refused since. Thread-safe; the fast path (up) takes no lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.refused = 0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def note_down(self, exc: BaseException) -> None:
        with self._lock:
            self.refused += 1
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        log.error(
            "database unavailable (%s: %s): answering 503 until it is back",
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )

    def note_up(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            lasted = time.monotonic() - self.down_since
            refused, self.down_since, self.refused = self.refused, None, 0
        log.warning(
            "database available again after %.1f s; %d requests were answered 503",
            lasted,
            refused,
        )

    def reset(self) -> None:
        with self._lock:
            self.down_since = None
            self.refused = 0


outage = Outage()


def retry_after() -> int:
    return int(settings.OUTAGE_RETRY_AFTER_SECONDS)


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 answer to a request that met a database outage; logs the outage's start."""
    outage.note_down(exc)
    # An error raised on psycopg's cursor directly is unknown to Django: flag it so that the
    # connection is checked, and dropped if broken, when the request ends.
    connection.errors_occurred = True
    wait = retry_after()
    if request.path.startswith("/api/"):
        # The envelope of api/v2/envelope.py, written here because core imports nothing of ours.
        body = json.dumps(
            {
                "ok": False,
                "error_message": (
                    f"Service temporarily unavailable: the database cannot be reached. "
                    f"Retry in {wait} seconds."
                ),
            },
            separators=(",", ":"),
        ).encode()
        response = HttpResponse(body, status=503, content_type="application/json")
    else:
        response = HttpResponse(
            "<!doctype html><meta charset=utf-8><title>Back in a moment</title>"
            f'<meta http-equiv="refresh" content="{wait}">'
            "<p>This page is briefly unavailable. It will reload by itself in a moment.</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Content-Length"] = str(len(response.content))
    response["Retry-After"] = str(wait)
    # Django logs every 5xx answer; the outage is logged once, above.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except UNAVAILABLE:
        return False


class DatabaseOutageMiddleware:
    """Turns an unreachable database into 503 + Retry-After (the API's own exception handler
    does the same for API views), and notices when it is back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if outage.is_down and response.status_code < 500 and _database_answers():
            outage.note_up()
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, UNAVAILABLE):
            return unavailable_response(request, exc)
        return None
