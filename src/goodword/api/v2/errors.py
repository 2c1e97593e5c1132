"""The only place where errors become HTTP answers for the API."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from goodword.api.v2.envelope import error
from goodword.core.errors import DomainError, Unauthorized
from goodword.core.outage import UNAVAILABLE, unavailable_response
from goodword.core.validators import describe_all

log = logging.getLogger("goodword.api")


def _field_loc(loc: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
    # ninja puts ("body", "<param name>") in front; the caller knows neither.
    parts = tuple(loc)
    if parts[:1] in (("body",), ("query",), ("path",)):
        parts = parts[2:] if parts[0] == "body" else parts[1:]
    # Query parameters declared as one schema (`params: Query[Schema]`) come as
    # ("<param name>", "<field>", ...) for a list's items: query parameters are flat, so two
    # names in a row are the schema's name, then the field's.
    if loc[:1] == ("query",) and len(parts) > 1 and all(isinstance(p, str) for p in parts[:2]):
        parts = parts[1:]
    return parts


# Domain errors answer 400 (Talkable answers a missing record with 400 too), 401 when the
# key is refused, and these codes with the status the contract gives them.
_STATUS_BY_CODE = {
    "attribution_pending": 409,  # the referral is still being screened: retry shortly
    "person_invalid": 422,  # unsubscribe of a slug that is neither a person nor an email
}


def http_status(exc: DomainError) -> int:
    """The HTTP status of a domain error's answer."""
    if isinstance(exc, Unauthorized):
        return 401
    return _STATUS_BY_CODE.get(exc.code, 400)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error(exc.message, status=http_status(exc))

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = (dict(e, loc=_field_loc(e.get("loc", ()))) for e in exc.errors)
        return error(describe_all(errors), status=400)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error("Invalid API key.", status=401)

    @api.exception_handler(HttpError)
    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = exc.message
        cause = exc.__cause__
        if isinstance(cause, RequestDataTooBig):
            return error("Request body too large", status=413)
        if isinstance(cause, HttpError):  # ninja wraps what the body parser raised
            return error(cause.message, status=cause.status_code)
        if message.startswith("Cannot parse request body"):
            message = "The request body is not valid JSON"
        return error(message, status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error("Request body too large", status=413)

    @api.exception_handler(DataError)
    def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value validation let through and the database refused (a bug in a validator to
        # fix, hence the warning), but the request's fault all the same, and nothing was stored.
        log.warning("database refused a value: %s %s: %s", request.method, request.path, exc)
        return error("The request carries a value that cannot be stored", status=400)

    def on_database_down(request: HttpRequest, exc: Exception) -> HttpResponse:
        return unavailable_response(request, exc)

    for unavailable in UNAVAILABLE:  # Django's and psycopg's: 503 with Retry-After
        api.exception_handler(unavailable)(on_database_down)

    @api.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        return internal_error(request, exc)


def internal_error(request: HttpRequest, exc: BaseException | None) -> HttpResponse:
    request_id = getattr(request, "request_id", "-")
    log.error(
        "unhandled error request_id=%s %s %s",
        request_id,
        request.method,
        request.path,
        exc_info=exc if exc is not None else True,
    )
    return error(
        f"Internal server error. Quote request id {request_id} when reporting it.",
        status=500,
        request_id=request_id,
    )
