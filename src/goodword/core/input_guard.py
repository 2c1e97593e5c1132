"""Requests refused at the door, with a 400 before any view, session or authentication lookup
runs, on every URL (the API, the claim pages, the portal, the admin): text no database can
store, a NUL character in the path, the query string, a header or a form body; and a query
string of more parameters than Django parses (DATA_UPLOAD_MAX_NUMBER_FIELDS), which would
otherwise fail inside whichever view first reads it.

PostgreSQL refuses NUL in any text value, so without this a `%00` reached the database through
a slug, a code or a search and answered 500. JSON bodies are checked where they are decoded
(api/v2/parser.py), since a NUL there is spelled `\\u0000`. The API answers in the Talkable
envelope; other pages with a short plain page.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape

NUL = "\x00"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def nul_found(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character (`path`, `query string`, a header's name,
    `form body`), or None. Linear in what was sent, and each part is looked at once."""
    if NUL in request.path_info or NUL in request.path:
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if NUL in query or "%00" in query:
        return "query string"
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return name[5:].replace("_", "-").title() + " header"
    if request.content_type == _FORM:
        try:
            body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE
        except RequestDataTooBig:
            return None  # refused as too large where the body is read
        if b"\x00" in body or b"%00" in body:
            return "form body"
    elif request.content_type == _MULTIPART and request.method == "POST":
        # The fields only: an uploaded file (a coupon list) is the view's to judge. The API
        # takes no forms (its parser reads the body as JSON).
        if request.path.startswith("/api/"):
            return None
        try:
            fields = request.POST
        except (SuspiciousOperation, MultiPartParserError):
            return None  # a malformed form: refused where the view reads it
        if any(NUL in value for _, values in fields.lists() for value in values):
            return "form body"
    return None


def too_many_parameters(request: HttpRequest) -> str | None:
    """The refusal of a query string with more parameters than Django parses, or None."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = request.META.get("QUERY_STRING", "")
    if limit is None or query.count("&") < limit:
        return None
    return f"The query string has {query.count('&') + 1} parameters: at most {limit}"


def refusal(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = json.dumps({"ok": False, "error_message": message}).encode()
        response = HttpResponse(body, status=400, content_type="application/json")
        response["Content-Length"] = str(len(body))
        return response
    return HttpResponse(
        f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{escape(message)}.</p>",
        status=400,
        content_type="text/html; charset=utf-8",
    )


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_found(request)
        if where is not None:
            return refusal(
                request, f"The request's {where} contains a NUL character, which is not accepted"
            )
        too_many = too_many_parameters(request)
        if too_many is not None:
            return refusal(request, too_many)
        return self.get_response(request)
