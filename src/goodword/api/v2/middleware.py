"""Everything under /api/ answers in the envelope, even what Django itself answers (unknown
routes, wrong methods, request bodies that are too large)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from goodword.api.v2.envelope import error, response_zone_scope
from goodword.api.v2.errors import internal_error

_MESSAGES = {
    404: "Not found: no such API endpoint",
    405: "Method not allowed",
    413: "Request body too large",
}


class ApiEnvelopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with response_zone_scope():
            response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        message = _MESSAGES.get(status, response.reason_phrase or "Error")
        wrapped = error(message, status=status)
        if status == 405 and response.has_header("Allow"):
            wrapped["Allow"] = response["Allow"]
        return wrapped

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return internal_error(request, exc)
        return None
