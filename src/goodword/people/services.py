"""People writes: unsubscribing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from goodword.core.clock import now
from goodword.core.errors import DomainError
from goodword.core.validators import email_normalise
from goodword.people.locks import people_lock
from goodword.people.models import Person
from goodword.people.selectors import person_find
from goodword.webhooks.emitters import unsubscribe_emit


def person_unsubscribe(*, site_id: int, person_slug: str) -> Person:
    """Mark a person unsubscribed (once: a repeat keeps the first time and tells nobody twice).
    An unknown slug that is a valid email is a new person, unsubscribed from the start, so a
    later signup cannot email them; anything else is refused as Talkable does (`person_invalid`)."""
    stamp = now()
    with transaction.atomic():
        try:
            person = person_find(site_id=site_id, person_slug=person_slug)
        except DomainError:
            email = email_normalise(person_slug)
            if email is None:
                raise DomainError(
                    "person_invalid", "Validation failed: Email isn't valid"
                ) from None
            try:
                with transaction.atomic():
                    person = Person.objects.create(
                        site_id=site_id, email=email, created_at=stamp, updated_at=stamp
                    )
            except IntegrityError:  # made concurrently by an origin: use that one
                person = Person.objects.get(site_id=site_id, email=email)
        (locked,) = people_lock(ids=[person.pk])
        if locked.unsubscribed_at is None:
            locked.unsubscribed_at = stamp
            locked.updated_at = stamp
            locked.save(update_fields=["unsubscribed_at", "updated_at"])
            unsubscribe_emit(person=locked)
    return locked
