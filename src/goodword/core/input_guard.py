"""Text no database can store refused at the door: a NUL character in the path, the query
string, a header or a form body answers 400 before any view, session or authentication lookup
runs, on every URL (the API, the claim pages, the portal, the admin).

PostgreSQL refuses NUL in any text value, so without this a `%00` reached the database through
a slug, a code or a search and answered 500. JSON bodies are checked where they are decoded
(api/v2/parser.py), since a NUL there is spelled `\\u0000`. The API answers in the Talkable
envelope; other pages with a short plain page.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

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
        # The fields only: an uploaded file (a coupon list) is the view's to judge.
        try:
            fields = request.POST
        except RequestDataTooBig:
            return None
        if any(NUL in value for _, values in fields.lists() for value in values):
            return "form body"
    return None


def refusal(request: HttpRequest, where: str) -> HttpResponse:
    message = f"The request's {where} contains a NUL character, which is not accepted"
    if request.path.startswith("/api/"):
        body = json.dumps({"ok": False, "error_message": message}).encode()
        response = HttpResponse(body, status=400, content_type="application/json")
        response["Content-Length"] = str(len(body))
        return response
    return HttpResponse(
        f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{message}.</p>",
        status=400,
        content_type="text/html; charset=utf-8",
    )


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_found(request)
        if where is not None:
            return refusal(request, where)
        return self.get_response(request)
