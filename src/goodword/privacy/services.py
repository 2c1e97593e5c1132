"""GDPR erasure: `person_anonymize` replaces what identifies a person in every table that holds
it, in one transaction, and leaves a receipt (ADR 0011)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils.crypto import salted_hmac

from goodword.core.clock import now
from goodword.core.errors import DomainError
from goodword.core.validators import email_normalise
from goodword.people.locks import people_lock
from goodword.people.models import Person
from goodword.people.selectors import person_find
from goodword.privacy.models import Erasure
from goodword.privacy.registry import EMAIL, HOLDERS, Subject, Traces
from goodword.privacy.scrub import Scrubber

# The domain of replacement addresses: reserved, so no mail can ever reach one.
ANONYMIZED_DOMAIN = "anonymized.email"
# What stays, so the program's numbers still add up: the rows, pseudonymous.
KEPT = ("referrals", "rewards", "blocklist")


@dataclass(frozen=True)
class ErasureResult:
    person: Person
    erasure: Erasure
    # False when the person had been erased before: nothing changed this time.
    erased_now: bool


def email_digest(*, site_id: int, email: str) -> str:
    """A keyed hash of an address: recognises a repeated request without keeping the address."""
    return salted_hmac("goodword.privacy.erasure", f"{site_id}:{email}").hexdigest()


def _earlier(site_id: int, person_slug: str) -> Erasure | None:
    email = email_normalise(person_slug)
    if email is None:
        return None
    digest = email_digest(site_id=site_id, email=email)
    return (
        Erasure.objects.select_related("person")
        .filter(site_id=site_id, email_digest=digest)
        .first()
    )


def person_traces(person: Person) -> Traces:
    """Everything that identifies the person, as every holder finds it."""
    traces = Traces()
    for holder in HOLDERS.values():
        if holder.traces is not None:
            traces.merge(holder.traces(person))
    return traces


def person_anonymize(*, site_id: int, person_slug: str, actor: str) -> ErasureResult:
    """Erase a person: their identifying data replaced in every table (the person row, origins,
    offers, claims, share recipients, referral evidence and events, reward notes, webhook
    deliveries and attempts, jobs, staff audit, the admin log); referral and reward rows stay,
    tied to the pseudonymous person. Idempotent: a repeat (by the old address, or by the new
    one) answers with the first receipt and changes nothing."""
    earlier = _earlier(site_id, person_slug)
    if earlier is not None:
        return ErasureResult(person=earlier.person, erasure=earlier, erased_now=False)
    found = person_find(site_id=site_id, person_slug=person_slug)
    with transaction.atomic():
        (person,) = people_lock(ids=[found.pk])
        if person.anonymized_at is not None:
            erasure = Erasure.objects.filter(person_id=person.pk).first()
            if erasure is None:  # pragma: no cover - anonymized_at is only set with a receipt
                raise DomainError("erasure_missing", "This person was erased without a receipt.")
            return ErasureResult(person=person, erasure=erasure, erased_now=False)
        original_email = person.email
        replacement = f"{uuid.uuid4()}@{ANONYMIZED_DOMAIN}"
        traces = person_traces(person)
        traces.add(EMAIL, [original_email])
        emails = {e.lower(): replacement for e in traces.values.get(EMAIL, set())}
        others = [v for kind, vs in traces.values.items() if kind != EMAIL for v in vs]
        subject = Subject(
            site_id=site_id,
            person_id=person.pk,
            replacement_email=replacement,
            traces=traces,
            scrubber=Scrubber(emails=emails, values=others),
        )
        rows: dict[str, int] = {}
        for holder in HOLDERS.values():
            for kind, count in holder.erase(subject).items():
                rows[kind] = rows.get(kind, 0) + count
        stamp = now()
        Person.objects.filter(pk=person.pk).update(anonymized_at=stamp, updated_at=stamp)
        erasure = Erasure.objects.create(
            site_id=site_id,
            person_id=person.pk,
            email_digest=email_digest(site_id=site_id, email=original_email),
            actor=actor[:300],
            rows=dict(sorted(rows.items())),
            erased_at=stamp,
        )
        person.refresh_from_db()
    return ErasureResult(person=person, erasure=erasure, erased_now=True)
