"""Our OpenAPI description declares what Swagger's "Try it out" needs on every operation."""

from __future__ import annotations

from goodword.api.v2.api import api
from goodword.origins.batches import max_rows


def operations():
    schema = api.get_openapi_schema(path_prefix="/api/v2")
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield schema, path, method, op


def test_every_operation_names_its_site_and_declares_its_errors():
    for schema, path, method, op in operations():
        names = {p["name"]: p for p in op.get("parameters", [])}
        if "requestBody" in op:
            body_schema = op["requestBody"]["content"]["application/json"]["schema"]
            ref = body_schema.get("$ref") or next(
                s["$ref"] for s in body_schema.get("anyOf", []) if "$ref" in s
            )
            body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            query_site = names.get("site_slug", {}).get("required") is True
            if not path.endswith("/shares/social") and not query_site:
                assert "site_slug" in body.get("required", []), (method, path)
        else:
            assert names["site_slug"]["required"] is True, (method, path)
        for status in ("400", "401", "413", "429", "503"):
            error = op["responses"][status]["content"]["application/json"]["schema"]
            assert error["required"] == ["ok", "error_message"], (method, path, status)
        assert {"ApiKeyParam": []} in op["security"]


def test_query_parameters_the_views_read_are_declared():
    declared = {
        (method, path): {p["name"] for p in op.get("parameters", [])}
        for _, path, method, op in operations()
    }
    assert "sharing_channels[]" in declared[("get", "/api/v2/offers/{short_url_code}")]
    assert {"visitor_uuid", "status"} <= declared[("get", "/api/v2/rewards")]
    assert {"start_date", "end_date", "segment_by[period]"} <= declared[
        ("get", "/api/v2/metrics/{metric}/segmentize")
    ]


def test_body_enums_and_formats_are_declared():
    components = next(operations())[0]["components"]["schemas"]
    assert components["StatusData"]["properties"]["status"]["enum"] == [
        "pending",
        "flagged",
        "approved",
        "voided",
        "blocked",
    ]
    assert components["PurchaseData"]["properties"]["email"]["format"] == "email"


def test_origin_fields_are_described_as_the_validators_take_them():
    schema = next(operations())[0]
    components = schema["components"]["schemas"]
    purchase = components["PurchaseData"]["properties"]
    # money that fits the column, as a number or its decimal spelling
    number, text = purchase["subtotal"]["anyOf"]
    assert (number["minimum"], number["maximum"]) == (0, 999999999999.99)
    assert text["pattern"] == r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
    channel = purchase["sharing_channels"]["anyOf"][0]["items"]
    assert "email" in channel["not"]["enum"]
    assert {"type": "number"} in purchase["order_number"]["anyOf"]
    assert {"type": "number"} not in purchase["email"].get("anyOf", [])
    # a batch names its rows' kind and takes any `data` (bad rows and a `data` that is no
    # array are recorded after the answer); only an array's length is bounded
    ref = schema["paths"]["/api/v2/origins/batch/events"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    body = components[ref.rsplit("/", 1)[1]]
    rows = body["properties"]["data"]
    assert "type" not in rows and "type" not in rows["items"] and "data" not in body["required"]
    assert rows["maxItems"] == max_rows()


def test_query_parameters_follow_the_views():
    ops = {(method, path): op for _, path, method, op in operations()}
    rewards = {p["name"]: p for p in ops[("get", "/api/v2/rewards")]["parameters"]}
    assert rewards["visitor_uuid"]["required"] is True
    assert rewards["status"]["schema"]["enum"] == ["Paid", "Unpaid", "Voided", "All", ""]
    claims = {p["name"]: p for p in ops[("post", "/api/v2/offer_claims")]["parameters"]}
    assert all(claims[n]["required"] for n in ("site_slug", "advocate_email", "friend_email"))
