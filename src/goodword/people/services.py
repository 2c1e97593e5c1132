"""People writes: updating a person (People API `PUT`), unsubscribing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from goodword.core.clock import now
from goodword.core.errors import DomainError
from goodword.core.validators import email_normalise
from goodword.people.locks import people_lock
from goodword.people.models import Person
from goodword.people.schemas import PersonChanges
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


# The plain fields an update sets as sent (None clears them).
_PLAIN = ("first_name", "last_name", "username", "customer_id", "phone_number")


def _invalid(message: str) -> DomainError:
    return DomainError("person_invalid", f"Validation failed: {message}")


def _find_or_create(*, site_id: int, person_slug: str, email: str | None) -> Person:
    """The person the slug names, or a new one with the slug's (or the data's) email, as
    Talkable's update does for someone not known yet."""
    try:
        return person_find(site_id=site_id, person_slug=person_slug)
    except DomainError:
        pass
    address = email_normalise(person_slug) or email
    if address is None:
        raise _invalid("Email isn't valid") from None
    stamp = now()
    try:
        with transaction.atomic():
            return Person.objects.create(
                site_id=site_id, email=address, created_at=stamp, updated_at=stamp
            )
    except IntegrityError:  # made concurrently (by an origin, say): update that one
        return Person.objects.get(site_id=site_id, email=address)


def _taken(site_id: int, person_id: int, **field: str) -> bool:
    return Person.objects.filter(site_id=site_id, **field).exclude(pk=person_id).exists()


def person_update(*, site_id: int, person_slug: str, changes: PersonChanges) -> Person:
    """Update a person's names, identifiers, custom properties (merged: a null value removes
    a key), opt-in and subscription; create them first when the slug is an unknown email.
    Becoming unsubscribed tells the merchant (`unsubscribe_web_hook`) once, as the
    unsubscribe endpoint does; subscribing again clears it and stamps `subscribed_at`."""
    sent = changes.model_fields_set
    email = None
    if "email" in sent:
        email = email_normalise(changes.email or "")
        if email is None:
            raise _invalid("Email isn't valid")
    stamp = now()
    with transaction.atomic():
        found = _find_or_create(site_id=site_id, person_slug=person_slug, email=email)
        (person,) = people_lock(ids=[found.pk])
        if person.anonymized_at is not None:
            raise _invalid("Person has been anonymized and cannot be changed")
        if email is not None and email != person.email:
            if _taken(site_id, person.pk, email=email):
                raise _invalid("Email has already been taken")
            person.email = email
        new_username = changes.username if changes.username != person.username else None
        if new_username and _taken(site_id, person.pk, username=new_username):
            raise _invalid("Username has already been taken. Please try another one.")
        for name in _PLAIN:
            if name in sent:
                setattr(person, name, getattr(changes, name))
        if changes.custom_properties is not None:
            merged = dict(person.custom_properties or {})
            for key, value in changes.custom_properties.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            person.custom_properties = merged
        if changes.gated_param_subscribed is not None:
            if not changes.gated_param_subscribed:
                person.opted_in_at = None
            elif person.opted_in_at is None:
                person.opted_in_at = stamp
        unsubscribe = changes.unsubscribed
        if unsubscribe is None and changes.unsubscribed_at is not None:
            unsubscribe = True
        newly_unsubscribed = False
        if unsubscribe is True and person.unsubscribed_at is None:
            person.unsubscribed_at = changes.unsubscribed_at or stamp
            newly_unsubscribed = True
        elif unsubscribe is False and person.unsubscribed_at is not None:
            person.unsubscribed_at = None
            person.subscribed_at = stamp
        person.updated_at = stamp
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # the email was taken concurrently
            raise _invalid("Email has already been taken") from None
        if newly_unsubscribed:
            unsubscribe_emit(person=person)
    return person
