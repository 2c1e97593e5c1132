"""JSON logs: one object a line, with the request id, the site and the job of the moment."""

from __future__ import annotations

import contextvars
import json
import logging
from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from goodword.api.v2.site import request_site
from goodword.observability import logs
from goodword.observability.logs import ContextFilter, JsonFormatter
from goodword.observability.middleware import ObservabilityMiddleware
from goodword.sites.auth import SiteRef
from goodword.worker import queue
from goodword.worker.loop import Worker
from tests.factories import SiteFactory


class Captured(logging.Handler):
    """Records as the console handler would see them: filtered for context, formatted JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ContextFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured():
    handler = Captured()
    logger = logging.getLogger("goodword.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def test_a_line_outside_any_request_or_job_has_no_context(captured):
    logging.getLogger("goodword.test").warning("disk %s%% full", 91)
    (line,) = captured.lines
    assert line["message"] == "disk 91% full"
    assert line["level"] == "WARNING"
    assert line["logger"] == "goodword.test"
    assert line["time"].endswith("+00:00")
    assert not {"request_id", "site", "job"} & set(line)


def test_a_worker_event_is_merged_not_quoted(captured):
    logging.getLogger("goodword.test").info(json.dumps({"event": "batch", "claimed": 3}))
    (line,) = captured.lines
    assert line["event"] == "batch" and line["claimed"] == 3
    assert "message" not in line


def test_an_exception_keeps_its_traceback(captured):
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("goodword.test").exception("failed")
    (line,) = captured.lines
    assert "ValueError: bad" in line["exception"]


def test_lines_during_a_request_carry_its_id_and_then_its_site(captured):
    # given a view that logs before and after the API key named its site
    def view(request):
        log = logging.getLogger("goodword.test")
        log.info("before")
        logs.set_site("shop")
        log.info("after")
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.request_id = "req-123"

    # when the request goes through the middleware, and a line is logged after it
    ObservabilityMiddleware(view)(request)
    logging.getLogger("goodword.test").info("later")

    # then its lines carry its id, the site once known, and nothing leaks past it
    before, after, later = captured.lines
    assert before["request_id"] == "req-123" and "site" not in before
    assert after["request_id"] == "req-123" and after["site"] == "shop"
    assert "request_id" not in later and "site" not in later


def test_the_api_names_the_site_of_the_key(monkeypatch):
    # given a key of site `shop`
    ref = SiteRef(id=7, slug="shop", currency="USD")
    monkeypatch.setattr("goodword.api.v2.site.authorize_site", lambda auth, slug: ref)
    request = SimpleNamespace(GET={}, auth="key")

    # when a request's site is resolved, the log context names it
    context = contextvars.copy_context()
    assert context.run(request_site, request, "shop") is ref
    assert context[logs.site] == "shop"


@pytest.mark.django_db(transaction=True)
def test_lines_of_a_job_carry_its_kind_id_and_site(captured, monkeypatch):
    # given a job whose handler logs
    def handler(job: queue.Claimed) -> None:
        logging.getLogger("goodword.test").info("working")

    monkeypatch.setitem(queue.HANDLERS, "logs_test", handler)
    site = SiteFactory()
    job = queue.enqueue(site_id=site.pk, kind="logs_test")

    # when a worker runs it
    Worker().run_batch()

    # then its line names the job
    (line,) = captured.lines
    assert line["job"] == {"kind": "logs_test", "id": job.pk, "site_id": site.pk}
