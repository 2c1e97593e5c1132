"""Per request: the log context (request id, then the site once the API key named it) and,
when metrics are on, the request's count and latency by route."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from goodword.observability import logs


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics = settings.METRICS_ENABLED

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = logs.request_id.set(getattr(request, "request_id", None))
        site = logs.site.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            logs.site.reset(site)
            logs.request_id.reset(rid)
        if self.metrics:
            from goodword.observability.metrics import UNMATCHED, observe_request

            match = request.resolver_match
            route = ("/" + match.route) if match is not None and match.route else UNMATCHED
            observe_request(
                route, request.method or "", response.status_code, time.perf_counter() - started
            )
        return response
