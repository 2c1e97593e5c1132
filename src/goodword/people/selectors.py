"""Reads for people."""

from __future__ import annotations

from goodword.core.errors import NotFound
from goodword.people.models import Person


def person_find(*, site_id: int, person_slug: str) -> Person:
    """A person by email, phone number, customer id or username (in that order)."""
    slug = person_slug.strip()
    person = Person.objects.filter(site_id=site_id, email=slug.lower()).first()
    for field in ("phone_number", "customer_id", "username"):
        if person is not None:
            break
        person = Person.objects.filter(site_id=site_id, **{field: slug}).order_by("id").first()
    if person is None:
        raise NotFound("person_not_found", "No person found by `person_slug`.")
    return person
