"""Reads for people."""

from __future__ import annotations

from django.db.models import Q

from goodword.core.errors import NotFound
from goodword.people.models import Person


def person_find(*, site_id: int, person_slug: str) -> Person:
    """A person by email, phone number, customer id or username (in that order)."""
    slug = person_slug.strip()
    person = Person.objects.filter(site_id=site_id, email=slug.lower()).first()
    if person is None:
        person = (
            Person.objects.filter(site_id=site_id)
            .filter(Q(phone_number=slug) | Q(customer_id=slug) | Q(username=slug))
            .order_by("id")
            .first()
        )
    if person is None:
        raise NotFound("person_not_found", "No person found by `person_slug`.")
    return person
