"""Assertions and request builders shared by the API tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goodword.origins.models import Origin
from goodword.people.models import Person
from tests.factories import (
    AffiliateMemberDataFactory,
    EventDataFactory,
    PurchaseDataFactory,
)

PURCHASE_URL = "/api/v2/origins/purchase"
DUPLICATE_PURCHASE = (
    "Duplicate entity: Talkable already has existing Purchase with the same order_number but "
    "different data\n"
)
DUPLICATE_EVENT = (
    "Duplicate entity: Talkable already has existing Event with the same event_number but "
    "different data\n"
)


@dataclass(frozen=True)
class Endpoint:
    """One way to create an origin: a typed route, or POST /origins with `type`."""

    id: str
    path: str
    kind: str  # Purchase, Event or AffiliateMember
    with_type: bool

    def body(self, site_slug: str | None, data: Any, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"data": data, **extra}
        if site_slug is not None:
            body["site_slug"] = site_slug
        if self.with_type:
            body.setdefault("type", self.kind)
        return body

    def data(self, **fields: Any) -> dict[str, Any]:
        factory = {
            "Purchase": PurchaseDataFactory,
            "Event": EventDataFactory,
            "AffiliateMember": AffiliateMemberDataFactory,
        }[self.kind]
        return dict(factory(**fields))


ENDPOINTS = [
    Endpoint("purchase", PURCHASE_URL, "Purchase", with_type=False),
    Endpoint("event", "/api/v2/origins/event", "Event", with_type=False),
    Endpoint("affiliate_member", "/api/v2/origins/affiliate_member", "AffiliateMember", False),
    Endpoint("origins:Purchase", "/api/v2/origins", "Purchase", with_type=True),
    Endpoint("origins:Event", "/api/v2/origins", "Event", with_type=True),
    Endpoint("origins:AffiliateMember", "/api/v2/origins", "AffiliateMember", with_type=True),
]
ENDPOINT_IDS = [e.id for e in ENDPOINTS]


def endpoint_by_id(id: str) -> Endpoint:
    return next(e for e in ENDPOINTS if e.id == id)


def endpoints(*kinds: str) -> list[Endpoint]:
    return [e for e in ENDPOINTS if e.kind in kinds]


def assert_json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


def assert_error(response: Any, status: int, message: str | None = None) -> str:
    """The Talkable error envelope with this status (and this exact message, when given)."""
    body = assert_json(response)
    assert response.status_code == status, body
    assert body["ok"] is False, body
    assert isinstance(body["error_message"], str) and body["error_message"], body
    if message is not None:
        assert body["error_message"] == message
    return body["error_message"]


def assert_created(response: Any) -> dict[str, Any]:
    body = assert_json(response)
    assert response.status_code == 201, body
    assert body["ok"] is True, body
    return body["result"]


def stored_counts() -> tuple[int, int]:
    """(origins, people): what a refused request must leave unchanged."""
    return Origin.objects.count(), Person.objects.count()
