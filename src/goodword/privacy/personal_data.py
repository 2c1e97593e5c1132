"""The person row itself, Django's admin log (staff may have edited the person in /admin/) and
the shared rate-limit counters (keyed by a visitor's IP address): the holders of this app. The
other apps register theirs in their own `personal_data` modules."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry

from goodword.core.models import RateCounter
from goodword.people.models import Person
from goodword.privacy.registry import (
    EMAIL,
    NAME,
    OTHER,
    PHONE,
    Subject,
    Traces,
    register,
    scrub_rows,
)


def _traces(person: Person) -> Traces:
    traces = Traces()
    traces.add(EMAIL, [person.email])
    full = " ".join(n for n in (person.first_name, person.last_name) if n)
    traces.add(NAME, [person.first_name, person.last_name, full])
    traces.add(PHONE, [person.phone_number])
    traces.add(OTHER, [person.customer_id, person.username])
    # Custom properties are the merchant's notes about the person: their text values too.
    traces.add(OTHER, [v for v in (person.custom_properties or {}).values() if isinstance(v, str)])
    return traces


def _export(person: Person) -> dict[str, Any]:
    return {
        "created_at": person.created_at,
        "customer_id": person.customer_id,
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "opted_in_at": person.opted_in_at,
        "phone_opted_in_at": None,
        "unsubscribed_at": person.unsubscribed_at,
        "subscribed_at": person.subscribed_at,
        "username": person.username,
        "phone_number": person.phone_number,
        "custom_properties": dict(person.custom_properties or {}),
        "anonymized_at": person.anonymized_at,
    }


def _erase(subject: Subject) -> dict[str, int]:
    people = Person.objects.filter(site_id=subject.site_id, pk=subject.person_id).update(
        email=subject.replacement_email,
        first_name=None,
        last_name=None,
        username=None,
        customer_id=None,
        phone_number=None,
        custom_properties={},
    )
    return {"people": people}


def _erase_admin_log(subject: Subject) -> dict[str, int]:
    rows = LogEntry.objects.filter(subject.contains_any("object_repr", "change_message"))
    return {"admin_log": scrub_rows(rows, ["object_repr", "change_message"], subject.scrubber)}


def _erase_rate_counters(subject: Subject) -> dict[str, int]:
    # A counter only says how often an address or visitor hit a limit within a short window:
    # dropping it at most lets that visitor in once more, so the rows go rather than being
    # rewritten.
    deleted, _ = RateCounter.objects.filter(subject.contains_any("key")).delete()
    return {"rate_counters": deleted}


register("people", traces=_traces, export=_export, erase=_erase)
register("admin_log", erase=_erase_admin_log)
register("rate_counters", erase=_erase_rate_counters)
