"""Our OpenAPI description made exact where ninja cannot see it: the parameters views read
from the query string themselves, the ways to send the key, the Talkable envelope of every
answer, each error status an operation can answer, and the enums and formats of bodies.
Swagger's "Try it out" then works on every operation, and schemathesis holds us to it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from goodword.origins.models import OriginType
from goodword.referrals.models import ReferralStatus
from goodword.rewards.models import RewardStatus

SUCCESS = {
    "type": "object",
    "required": ["ok"],
    "properties": {"ok": {"type": "boolean", "enum": [True]}, "result": {}},
}
ERROR = {
    "type": "object",
    "required": ["ok", "error_message"],
    "properties": {
        "ok": {"type": "boolean", "enum": [False]},
        "error_message": {"type": "string"},
        "request_id": {"type": "string"},
    },
}
# What any operation may answer besides its success: bad input or a missing record (400, as
# Talkable answers), a refused key (401), a conflict (409), a body too large (413), an
# unprocessable slug (422), rate limits (429), the database unavailable (503).
ERROR_STATUSES = {
    "400": "Invalid input, or no such record (Talkable answers a missing record with 400)",
    "401": "Missing or invalid API key, or a key of another site",
    "409": "The referral is still being screened: retry shortly",
    "413": "Request body too large",
    "422": "Unprocessable slug",
    "429": "Too many requests",
    "503": "Service unavailable: retry later",
}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict:
    param: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }
    if schema.get("type") == "array":
        param.update(style="form", explode=True)
    return param


SITE_SLUG = "Your site's slug; the API key must belong to it"
CHANNELS = _query(
    "sharing_channels[]",
    {"type": "array", "items": {"type": "string"}},
    "Sharing channels to make claim links for",
)
# Parameters the views read from the query string (ninja sees only their signatures).
EXTRA_QUERY: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("get", "/api/v2/offers/{short_url_code}"): [CHANNELS],
    ("get", "/api/v2/offers/{short_url_code}/claim_url_status"): [
        _query("claim_url", {"type": "string"}, "The claim link to check"),
    ],
    ("get", "/api/v2/rewards"): [
        _query("visitor_uuid", {"type": "string", "format": "uuid"}, "The visitor's UUID"),
        _query(
            "status",
            {"type": "string", "enum": [s.value for s in RewardStatus]},
            "Only rewards in this status",
        ),
    ],
    ("get", "/api/v2/people/{person_slug}/rewards"): [
        _query(
            "status",
            {"type": "string", "enum": [s.value for s in RewardStatus]},
            "Only rewards in this status",
        ),
    ],
}
# Enums and formats of body fields, by component schema and property.
BODY_FIELDS: dict[tuple[str, str], dict[str, Any]] = {
    ("StatusData", "status"): {
        "type": "string",
        "enum": [
            s.value
            for s in (
                ReferralStatus.PENDING,
                ReferralStatus.FLAGGED,
                ReferralStatus.APPROVED,
                ReferralStatus.VOIDED,
                ReferralStatus.BLOCKED,
            )
        ],
    },
    ("AnyOriginBody", "type"): {"type": "string", "enum": [t.value for t in OriginType]},
}
# Bodies of operations the contract gives no site_slug: the key's site is used without one.
OPTIONAL_SITE = ("ShareBody",)
EMAIL_SCHEMAS = ("PurchaseData", "EventData", "AffiliateMemberData")


def _security(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components["securitySchemes"] = {
        "ApiKeyAuth": {"type": "http", "scheme": "bearer"},
        "BasicAuth": {
            "type": "http",
            "scheme": "basic",
            "description": "The API key as the user name, with an empty password",
        },
        "ApiKeyParam": {"type": "apiKey", "in": "query", "name": "api_key"},
    }


def _operation(method: str, path: str, op: dict[str, Any]) -> None:
    params = op.setdefault("parameters", [])
    names = {p["name"] for p in params}
    body = op.get("requestBody")
    for param in params:
        if param["name"] == "site_slug" and body is None:
            param["required"] = True  # the view takes it optional only to answer in our words
    if "site_slug" not in names and body is None:
        # Without a body it comes in the query string; with one, in the body (see _bodies).
        params.append(_query("site_slug", {"type": "string"}, SITE_SLUG, required=True))
    for extra in EXTRA_QUERY.get((method, path), []):
        if extra["name"] not in names:
            params.append(copy.deepcopy(extra))
    op["security"] = [{"ApiKeyAuth": []}, {"BasicAuth": []}, {"ApiKeyParam": []}]
    responses = {str(k): v for k, v in op.get("responses", {}).items()}
    op["responses"] = responses
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("content", {"application/json": {"schema": SUCCESS}})
    for status, description in ERROR_STATUSES.items():
        responses.setdefault(
            status,
            {"description": description, "content": {"application/json": {"schema": ERROR}}},
        )


def _bodies(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    for (name, field), replacement in BODY_FIELDS.items():
        props = components.get(name, {}).get("properties", {})
        if field in props:
            props[field] = {**replacement, "title": props[field].get("title", field)}
    for name, component in components.items():
        # A body names its site (the query string may carry it instead, as Talkable accepts).
        props = component.get("properties", {})
        if "site_slug" in props and name not in OPTIONAL_SITE:
            required = component.setdefault("required", [])
            if "site_slug" not in required:
                required.append("site_slug")
            props["site_slug"] = {"type": "string", "title": "Site Slug", "description": SITE_SLUG}
    for name in EMAIL_SCHEMAS:
        props = components.get(name, {}).get("properties", {})
        if "email" in props:
            props["email"] = {"type": "string", "format": "email", "title": "Email"}


def exact(schema: dict[str, Any]) -> dict[str, Any]:
    """The document ninja generated, completed (in place) and returned."""
    _security(schema)
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if isinstance(op, dict) and method in {"get", "post", "put", "patch", "delete"}:
                _operation(method, path, op)
    _bodies(schema)
    return schema


def install(get_schema: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps NinjaAPI.get_openapi_schema so every caller (the JSON, Swagger) sees the result."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return exact(get_schema(*args, **kwargs))

    return wrapped
