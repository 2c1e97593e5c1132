"""Checking a webhook body against talkable-webhooks.openapi.yml (read from ../shared/contract/,
never copied): the subset of OpenAPI the document uses ($ref, allOf, type, enum, items, format).

Stricter than the schema in one way: an object that lists properties must carry exactly those
keys (the contract's fields, no more, none left out). Looser in one: any field may be null, as
Talkable's own webhooks send null for what they do not know (the contract says so for some)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.conftest import CONTRACT_DIR

PATH = CONTRACT_DIR / "talkable-webhooks.openapi.yml"
_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


def load() -> dict[str, Any]:
    if not PATH.exists():
        pytest.skip(f"contract not found at {PATH}: webhook contract checks skipped")
    import yaml

    return yaml.safe_load(PATH.read_text())


def body_schema(document: dict[str, Any], hook_type: str) -> dict[str, Any]:
    path = document["paths"][f"/your_api_{hook_type}_path"]
    return path["post"]["requestBody"]["content"]["application/json"]["schema"]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            part = _resolve(document, part)
            merged["properties"].update(part.get("properties", {}))
        return merged
    return schema


def errors(document: dict[str, Any], schema: dict[str, Any], value: Any, loc: str = "") -> list:
    schema = _resolve(document, schema)
    if value is None:
        return []
    out: list[str] = []
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind is not None:
        expected = _TYPES[kind]
        if isinstance(value, bool) and kind in ("integer", "number"):
            return [f"{loc}: a boolean where {kind} is expected"]
        if not isinstance(value, expected):
            return [f"{loc}: {type(value).__name__} where {kind} is expected"]
    # share_type: "custom share_types can be created" (the contract's note)
    if "enum" in schema and value not in schema["enum"] and not loc.endswith("share_type"):
        out.append(f"{loc}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            out.append(f"{loc}: {value!r} is not a date-time")
    if kind == "object" and "properties" in schema:
        props = schema["properties"]
        if set(value) != set(props):
            out.append(
                f"{loc}: keys differ: extra {sorted(set(value) - set(props))}, "
                f"missing {sorted(set(props) - set(value))}"
            )
        for key, sub in props.items():
            if key in value:
                out.extend(errors(document, sub, value[key], f"{loc}.{key}"))
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            out.extend(errors(document, schema["items"], item, f"{loc}[{i}]"))
    return out


def assert_valid(body: dict[str, Any], hook_type: str) -> None:
    document = load()
    problems = errors(document, body_schema(document, hook_type), body, "body")
    assert not problems, "\n".join(problems)
    assert body["type"] == hook_type
