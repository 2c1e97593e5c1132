"""Batch origins: POST /origins/batch/purchases, /events and /affiliate_members.

As the contract says, the rows are validated asynchronously ("API does not respond with error
messages in case of invalid payload"): the request stores the rows and answers `{"ok": true}` at
once, whatever `data` holds. The worker then stores each row as the single-origin endpoint
would, or records why not (a row that is not an object included); an empty `data` makes a batch
with nothing to do, and a `data` that is missing or no array a batch `refused` with that reason;
`goodword batches SLUG` shows all of them. What is still a 400: a body that is not a JSON (or
form-encoded) object, since no `data` can be read from it at all, a `create_offers` that is not
a boolean, since it decides what happens to every row, and more than `settings.BATCH_MAX_ROWS`
rows (10,000 unless configured), a limit on what one request may make the server keep.

The answer carries the batch's id, `{"ok": true, "result":
{"batch_id": N}}` (the contract's `{"ok": true}` plus a result a Talkable client ignores), and so
does the `X-Goodword-Batch-Id` header; `goodword batches SLUG --wait N` follows it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel as Schema
from pydantic import field_validator

from goodword.api.v2.envelope import ok
from goodword.api.v2.site import request_site
from goodword.core.http import client_ip
from goodword.origins.batches import max_rows, origin_batch_create
from goodword.origins.models import OriginType

router = Router(tags=["Origins"])


class BatchBody(Schema):
    site_slug: str | None = None
    create_offers: bool = False
    data: Any = None

    @field_validator("data")
    @classmethod
    def _rows(cls, value: Any) -> Any:
        limit = max_rows()
        if isinstance(value, list) and len(value) > limit:
            raise ValueError(
                f"`data` has {len(value)} rows: a batch takes at most {limit} rows, "
                "send the rest in further batches"
            )
        return value


def _accept(request: HttpRequest, kind: str, payload: BatchBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    batch = origin_batch_create(
        site=site,
        kind=kind,
        data=payload.data,
        create_offers=payload.create_offers,
        client_ip=client_ip(request),
    )
    response = ok({"batch_id": batch.pk})
    response["X-Goodword-Batch-Id"] = str(batch.pk)
    return response


@router.post("/origins/batch/purchases", summary="Create batch of purchases", response={200: dict})
def create_purchases(request: HttpRequest, payload: BatchBody) -> HttpResponse:
    return _accept(request, OriginType.PURCHASE, payload)


@router.post("/origins/batch/events", summary="Create batch of events", response={200: dict})
def create_events(request: HttpRequest, payload: BatchBody) -> HttpResponse:
    return _accept(request, OriginType.EVENT, payload)


@router.post(
    "/origins/batch/affiliate_members",
    summary="Create batch of affiliate members",
    response={200: dict},
)
def create_affiliate_members(request: HttpRequest, payload: BatchBody) -> HttpResponse:
    return _accept(request, OriginType.AFFILIATE_MEMBER, payload)
