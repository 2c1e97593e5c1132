"""The only place where errors become HTTP answers for the API."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from goodword.api.v2.envelope import error
from goodword.core.errors import DomainError, Unauthorized

log = logging.getLogger("goodword.api")

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "datetime_type": "an ISO 8601 date-time",
    "datetime_parsing": "an ISO 8601 date-time",
    "datetime_from_date_parsing": "an ISO 8601 date-time",
    "uuid_type": "a UUID",
    "uuid_parsing": "a UUID",
}


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    # ninja puts ("body", "<param name>") in front; the caller knows neither.
    parts = [str(p) for p in loc]
    if parts[:1] in (["body"], ["query"], ["path"]):
        parts = parts[2:] if parts[0] == "body" else parts[1:]
    return ".".join(parts)


def describe(err: dict[str, Any]) -> str:
    """One pydantic error as a sentence that names the field."""
    kind = err.get("type", "")
    path = _path(err.get("loc", ()))
    if not path:
        if kind in {"missing", "model_type", "model_attributes_type", "dict_type"}:
            return "The request body must be a JSON object"
        return str(err.get("msg", "Invalid request"))
    if kind == "missing":
        return f"`{path}` is required"
    if kind == "value_error":
        ctx = err.get("ctx") or {}
        return str(ctx.get("error") or err.get("msg"))
    if kind in _TYPE_WORDS:
        return f"`{path}` must be {_TYPE_WORDS[kind]}"
    if kind in {"string_too_long"}:
        limit = (err.get("ctx") or {}).get("max_length")
        return f"`{path}` is too long (at most {limit} characters)"
    if kind in {"string_too_short"}:
        return f"`{path}` can't be blank"
    return f"`{path}` is invalid: {err.get('msg')}"


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
        messages = list(dict.fromkeys(describe(e) for e in exc.errors))
        return error("; ".join(messages), status=400)

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
