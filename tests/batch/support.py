"""Posting batches and reading what became of them."""

from __future__ import annotations

from typing import Any

from goodword.origins.models import OriginBatch, OriginBatchError
from tests.conftest import ApiClient

PURCHASES_URL = "/api/v2/origins/batch/purchases"
EVENTS_URL = "/api/v2/origins/batch/events"
MEMBERS_URL = "/api/v2/origins/batch/affiliate_members"


def purchase(order: str, **data: Any) -> dict[str, Any]:
    return {
        "email": f"{order.lower()}@buyers.example.org",
        "order_number": order,
        "subtotal": 10,
        **data,
    }


def post_batch(api: ApiClient, url: str, slug: str, rows: list[Any], **body: Any) -> Any:
    response = api.post(url, {"site_slug": slug, "data": rows, **body})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True,
        "result": {"batch_id": int(response["X-Goodword-Batch-Id"])},
    }
    return response


def the_batch(response: Any) -> OriginBatch:
    return OriginBatch.objects.get(pk=int(response["X-Goodword-Batch-Id"]))


def row_errors(batch: OriginBatch) -> list[tuple[int, str]]:
    return list(
        OriginBatchError.objects.filter(batch=batch)
        .order_by("row_index")
        .values_list("row_index", "message")
    )
