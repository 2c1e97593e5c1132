"""The site's webhook delivery log in the portal, and redelivery by a staff user.

The log reads newest first a page at a time from a keyset cursor over (created_at, id), the
order of the webhooks app's (site, created_at) index; each delivery comes with its recent
attempts (status, latency, the start of what the receiver answered). Redelivery is the webhooks
app's own (`delivery_redeliver`: a new delivery id, to the subscription's current URL, sent by
the worker), audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from goodword.core.errors import NotFound
from goodword.portal.access import Staff, require_role
from goodword.portal.audit import audit_record
from goodword.portal.keyset import cursor_make, cursor_read
from goodword.portal.models import Role
from goodword.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, HookType
from goodword.webhooks.services import delivery_redeliver

DELIVERY_PAGE = 50
ATTEMPTS_SHOWN = 5
EXCERPT = 200

# The states the log filters by: the stored status, with "retrying" (pending after a failed
# attempt) told apart from "pending" (not tried yet).
STATES: dict[str, Q] = {
    "pending": Q(status=DeliveryStatus.PENDING, attempts=0),
    "retrying": Q(status=DeliveryStatus.PENDING, attempts__gt=0),
    "delivered": Q(status=DeliveryStatus.DELIVERED),
    "failed": Q(status=DeliveryStatus.FAILED),
}


@dataclass
class DeliveryRow:
    delivery: Delivery
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def state(self) -> str:
        d = self.delivery
        if d.status == DeliveryStatus.PENDING and d.attempts:
            return "retrying"
        return str(d.status)


@dataclass
class DeliveryPage:
    rows: list[DeliveryRow]
    next_cursor: str | None


def delivery_page(
    *,
    site_id: int,
    hook_type: str | None = None,
    state: str | None = None,
    before: str = "",
    limit: int = DELIVERY_PAGE,
) -> DeliveryPage:
    """A page of the log, newest first, each delivery with its latest attempts. Two queries."""
    qs = Delivery.objects.filter(site_id=site_id)
    if hook_type in HookType.values:
        qs = qs.filter(hook_type=hook_type)
    if state in STATES:
        qs = qs.filter(STATES[state])
    cursor = cursor_read(before)
    if cursor is not None:
        at, ident = cursor
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=ident))
    deliveries = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(deliveries) > limit
    deliveries = deliveries[:limit]
    rows = {d.pk: DeliveryRow(d) for d in deliveries}
    for attempt in DeliveryAttempt.objects.filter(delivery_id__in=list(rows)).order_by(
        "-started_at", "-id"
    ):
        row = rows[attempt.delivery_id]
        if len(row.attempts) < ATTEMPTS_SHOWN:
            attempt.response_body = attempt.response_body[:EXCERPT]
            row.attempts.append(attempt)
    return DeliveryPage(
        rows=list(rows.values()),
        next_cursor=cursor_make(deliveries[-1].created_at, deliveries[-1].pk)
        if more and deliveries
        else None,
    )


def delivery_redeliver_by_staff(*, staff: Staff, delivery_id: int, note: str = "") -> Delivery:
    """Send a delivery of the site again (a new delivery with a new id, as `goodword webhooks
    redeliver`); the worker sends it."""
    require_role(staff, Role.AGENT)
    delivery = Delivery.objects.filter(site_id=staff.site.pk, pk=delivery_id).first()
    if delivery is None:
        raise NotFound("delivery_not_found", "No such webhook delivery on this site.")
    with transaction.atomic():
        again = delivery_redeliver(delivery=delivery)
        audit_record(
            staff=staff,
            action="delivery.redeliver",
            object_type="delivery",
            object_id=delivery.pk,
            object_label=f"{delivery.hook_type} {delivery.pk}",
            note=note.strip(),
            detail=f"sent again as delivery {again.pk}",
        )
    return again
