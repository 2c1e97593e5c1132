"""What origins hold about a person (registered with goodword.privacy): their origins (email,
customer id, IP, shipping address, items), and raw batch rows and batch errors that name them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.origins.models import Origin, OriginBatchChunk, OriginBatchError
from goodword.people.models import Person
from goodword.privacy.registry import (
    EMAIL,
    IP,
    ORIGIN,
    OTHER,
    Subject,
    Traces,
    register,
    scrub_rows,
)


def _traces(person: Person) -> Traces:
    traces = Traces()
    rows = Origin.objects.filter(site_id=person.site_id, person_id=person.pk).values_list(
        "pk", "email", "customer_id", "ip_address", "shipping_address"
    )
    for pk, email, customer_id, ip, address in rows:
        traces.add_ids(ORIGIN, [pk])
        traces.add(EMAIL, [email])
        traces.add(IP, [ip])
        traces.add(OTHER, [customer_id, address])
    return traces


def _export(person: Person) -> dict[str, Any]:
    origins = Origin.objects.filter(site_id=person.site_id, person_id=person.pk).order_by("id")
    return {
        "origins": [
            {
                "type": o.type,
                "created_at": o.created_at,
                "occurred_at": o.occurred_at,
                "id": o.pk,
                "order_number": o.order_number,
                "event_category": o.event_category,
                "event_number": o.event_number,
                "email": o.email,
                "customer_id": o.customer_id,
                "ip_address": o.ip_address,
                "uuid": o.uuid,
                "subtotal": o.subtotal,
                "currency": o.currency,
                "coupon_codes": list(o.coupon_codes or []),
                "items": list(o.items or []),
                "shipping_address": o.shipping_address,
                "shipping_zip": o.shipping_zip,
                "refunded_at": o.refunded_at,
            }
            for o in origins
        ]
    }


def _erase(subject: Subject) -> dict[str, int]:
    mine = Origin.objects.filter(site_id=subject.site_id, pk__in=subject.ids(ORIGIN))
    origins = mine.update(
        email=subject.replacement_email,
        customer_id=None,
        ip_address=None,
        shipping_address=None,
        shipping_zip=None,
    )
    scrub_rows(mine, ["items"], subject.scrubber)
    # Rows still waiting in a batch (a chunk is deleted once stored), and refused rows kept
    # with their reason: the raw data as posted.
    chunks = OriginBatchChunk.objects.filter(batch__site_id=subject.site_id)
    errors = OriginBatchError.objects.filter(
        Q(batch__site_id=subject.site_id) & subject.contains_any("message", "data")
    )
    return {
        "origins": origins,
        "origin_batch_chunks": scrub_rows(chunks, ["rows"], subject.scrubber),
        "origin_batch_errors": scrub_rows(errors, ["message", "data"], subject.scrubber),
    }


register("origins", traces=_traces, export=_export, erase=_erase)
