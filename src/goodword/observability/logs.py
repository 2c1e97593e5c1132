"""Structured logs. With GOODWORD_LOG_FORMAT=json every line is one JSON object carrying the
request id, the site and the job being run (when there are such), so a log pipeline can follow
one request or one job across processes."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
site: ContextVar[str | None] = ContextVar("site", default=None)
job: ContextVar[dict[str, Any] | None] = ContextVar("job", default=None)


def set_site(slug: str) -> None:
    site.set(slug)


@contextlib.contextmanager
def job_context(kind: str, ids: list[int], site_id: int | None = None) -> Iterator[None]:
    fields: dict[str, Any] = {"kind": kind, "id": ids[0] if len(ids) == 1 else ids}
    if site_id is not None:
        fields["site_id"] = site_id
    token = job.set(fields)
    try:
        yield
    finally:
        job.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context on every record (plain format ignores it; JSON writes it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.site = site.get()
        record.job = job.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line. A message that is itself a JSON object (the worker's events) is
    merged in rather than quoted."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        merged = False
        if message.startswith("{"):
            try:
                parsed = json.loads(message)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                out.update(parsed)
                merged = True
        if not merged:
            out["message"] = message
        for key in ("request_id", "site", "job"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)
