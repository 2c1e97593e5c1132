"""Our OpenAPI description made exact where ninja cannot see it: the parameters views read
from the query string themselves, the ways to send the key, the Talkable envelope of every
answer, each error status an operation can answer, and the enums and formats of bodies.
Swagger's "Try it out" then works on every operation, and schemathesis holds us to it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from goodword.core.money import MAX_AMOUNT
from goodword.offers.services import NOT_SHARING_CHANNELS
from goodword.origins.batches import max_rows
from goodword.origins.models import OriginType
from goodword.origins.schemas import MAX_ITEM_FIELDS, MAX_SHARING_CHANNELS
from goodword.referrals.models import ReferralStatus
from goodword.rewards.selectors import STATUS_FILTERS

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
REWARD_STATUS = _query(
    "status",
    {"type": "string", "enum": [*STATUS_FILTERS, ""]},
    "Only rewards in this status (Unpaid: awaiting approval or a code); empty or absent: All",
)
# Parameters the views read from the query string (ninja sees only their signatures).
EXTRA_QUERY: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("get", "/api/v2/offers/{short_url_code}"): [CHANNELS],
    ("get", "/api/v2/offers/{short_url_code}/claim_url_status"): [
        _query("claim_url", {"type": "string"}, "The claim link to check"),
    ],
    ("get", "/api/v2/rewards"): [
        _query(
            "visitor_uuid",
            {"type": "string", "format": "uuid"},
            "The visitor's UUID",
            required=True,
        ),
        REWARD_STATUS,
    ],
    ("get", "/api/v2/people/{person_slug}/rewards"): [
        REWARD_STATUS,
    ],
}
# Operations whose site_slug the contract puts in the query string even though a body may
# come too (the body may name the site instead; the description gives the contract's way).
QUERY_SITE = {("post", "/api/v2/offer_claims")}
EXTRA_QUERY[("post", "/api/v2/offer_claims")] = [
    _query(
        "advocate_email",
        {"type": "string", "format": "email"},
        "The advocate's email",
        required=True,
    ),
    _query(
        "friend_email", {"type": "string", "format": "email"}, "The friend's email", required=True
    ),
]

# What the origin validators accept, field by field (origins.schemas, core.money): money that
# fits NUMERIC(14, 2), a three-letter currency, a sharing channel's name, an IP address.
_AMOUNT_TEXT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
AMOUNT = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT)},
        {"type": "string", "pattern": _AMOUNT_TEXT},
    ]
}
PRICE = {
    "anyOf": [
        {"type": "number", "minimum": -float(MAX_AMOUNT), "maximum": float(MAX_AMOUNT)},
        {"type": "string", "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"},
        {"type": "null"},
    ]
}
CHANNELS_FIELD = {
    "anyOf": [
        {
            "type": "array",
            "maxItems": MAX_SHARING_CHANNELS,
            "items": {
                "type": "string",
                "pattern": r"^[a-z0-9][a-z0-9_-]{0,49}$",
                "not": {"enum": sorted(NOT_SHARING_CHANNELS)},
            },
        },
        {"type": "null"},
    ]
}
FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "currency_iso_code": {
        "anyOf": [{"type": "string", "pattern": "^([A-Za-z]{3})?$"}, {"type": "null"}]
    },
    "sharing_channels": CHANNELS_FIELD,
    "ip_address": {
        "anyOf": [
            {"type": "string", "format": "ipv4"},
            {"type": "string", "format": "ipv6"},
            {"type": "string", "enum": ["current", ""]},
            {"type": "null"},
        ],
        "description": 'An IP address, "current" for the caller\'s, or "" (or null) for none',
    },
}
# Origin fields that are not free text (numbers are refused there, or they have a shape).
NOT_TEXT = {
    "email",
    "subtotal",
    "coupon_codes",
    "currency_iso_code",
    "ip_address",
    "sharing_channels",
    "uuid",
    "created_at",
    "order_date",
    "custom_properties",
    "items",
}
ORIGIN_DATA = ("PurchaseData", "EventData", "AffiliateMemberData")
BATCHES = {
    "/api/v2/origins/batch/purchases": "PurchaseData",
    "/api/v2/origins/batch/events": "EventData",
    "/api/v2/origins/batch/affiliate_members": "AffiliateMemberData",
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
QUERY_SITE_BODIES = ("OfferClaimBody",)
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
    if "site_slug" not in names and (body is None or (method, path) in QUERY_SITE):
        # Without a body it comes in the query string; with one, in the body (see _bodies).
        params.append(_query("site_slug", {"type": "string"}, SITE_SLUG, required=True))
    if path in BATCHES and body is not None:
        body["content"]["application/json"]["schema"] = _ref(_batch_name(BATCHES[path]))
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


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _batch_name(data: str) -> str:
    return data.replace("Data", "BatchBody")


def _batch_body(data: str) -> dict[str, Any]:
    """A batch: its rows are origins' data, at most the configured number. Validation is the
    worker's, after the answer (the contract: a batch answers no error for an invalid payload):
    any `data` is taken with 200, a row that is not an origin's data is recorded as failed, and
    a `data` that is missing or no array makes a refused batch with its reason. So `data` has
    no type here; only an array's length is bounded (over the limit is a 400)."""
    return {
        "title": _batch_name(data),
        "type": "object",
        "required": ["site_slug"],
        "properties": {
            "site_slug": {"type": "string", "description": SITE_SLUG},
            "create_offers": {"type": "boolean", "default": False},
            "data": {
                "description": f"An array of origins' data, as in {data}. A row that is not "
                "is recorded as failed; a `data` that is missing or not an array makes a "
                "refused batch (GET the batch for its reason).",
                "maxItems": max_rows(),
                "items": {"description": f"An origin's data, as in {data}"},
            },
        },
    }


def _numbers_as_text(prop: dict[str, Any]) -> None:
    """Origins take a number where they take text (it is stored as its decimal spelling), as
    Talkable does: an order number or a customer id often goes out as a number."""
    if prop.get("type") == "string":
        text = {k: prop.pop(k) for k in list(prop) if k not in {"title", "description"}}
        if text.get("minLength"):
            text["pattern"] = r"[^\s\x1c-\x1f\x85]"  # trimmed (str.strip), not blank
        prop["anyOf"] = [text, {"type": "number"}]
    elif any(b.get("type") == "string" for b in prop.get("anyOf", [])) and (
        {"type": "number"} not in prop["anyOf"]
    ):
        prop["anyOf"].append({"type": "number"})


def _origin_fields(components: dict[str, Any]) -> None:
    for name in ORIGIN_DATA:
        props = components.get(name, {}).get("properties", {})
        for field, prop in props.items():
            if field not in NOT_TEXT:
                _numbers_as_text(prop)
        for field, replacement in FIELD_SCHEMAS.items():
            if field in props:
                props[field] = {**replacement, "title": props[field].get("title", field)}
        if "subtotal" in props:
            amount = copy.deepcopy(AMOUNT)
            if "subtotal" not in components[name].get("required", []):
                amount["anyOf"].append({"type": "null"})
            props["subtotal"] = {**amount, "title": "Subtotal"}
    item = components.get("Item")
    if item is not None:
        _numbers_as_text(item["properties"]["product_id"])
        item["properties"]["price"] = {**PRICE, "title": "Price"}
        item["maxProperties"] = MAX_ITEM_FIELDS
    # POST /origins: `type` names which data schema `data` follows.
    any_origin = components.get("AnyOriginBody")
    if any_origin is not None:
        any_origin["required"] = ["site_slug", "type", "data"]
        any_origin["oneOf"] = [
            {
                "properties": {"type": {"enum": [kind]}, "data": _ref(f"{kind}Data")},
            }
            for kind in ("Purchase", "Event", "AffiliateMember")
        ]


def _bodies(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    _origin_fields(components)
    for data in BATCHES.values():
        components[_batch_name(data)] = _batch_body(data)
    components.pop("BatchBody", None)  # one per kind instead, each naming its rows
    for (name, field), replacement in BODY_FIELDS.items():
        props = components.get(name, {}).get("properties", {})
        if field in props:
            props[field] = {**replacement, "title": props[field].get("title", field)}
    for name, component in components.items():
        # A body names its site (the query string may carry it instead, as Talkable accepts).
        props = component.get("properties", {})
        if "site_slug" in props and name not in OPTIONAL_SITE + QUERY_SITE_BODIES:
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
