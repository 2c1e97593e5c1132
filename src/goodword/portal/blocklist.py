"""The site's blocklist in the portal: list, preview, add and remove entries.

The entries are the configuration file's (`sites.BlocklistEntry`, normalised by
`fraud.blocklist.validate_entry`): one storage, so an entry added here is screened against at
once (the program snapshot is dropped on commit) and shows up in `goodword config export`, and
one removed from the file by `goodword config apply` is gone here too.

Before an entry is added the agent sees what it reaches: the people of the site it matches (by
email, or by the IP of one of their origins) and the waiting referrals (pending or flagged)
whose friend or advocate it matches. The counts use the same matcher as screening."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet

from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.core.paging import newest_first_page
from goodword.fraud.blocklist import Blocklist, validate_entry
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.portal.access import Staff, require_role
from goodword.portal.audit import audit_record
from goodword.portal.models import Role
from goodword.referrals.models import Referral, ReferralStatus
from goodword.sites.models import BlocklistEntry

BLOCKLIST_PAGE = 100
SAMPLE = 10
NOTE_MAX = 200  # BlocklistEntry.note


@dataclass(frozen=True)
class Preview:
    value: str  # normalised
    kind: str  # "email", "email pattern", "IP address", "IP range"
    people: int
    waiting_referrals: int
    sample: list[Person]
    exists: bool


def entry_kind(value: str) -> str:
    if "@" in value:
        return "email pattern" if "*" in value else "email"
    return "IP range" if "/" in value else "IP address"


def _normalised(value: str) -> str:
    try:
        return validate_entry(value)
    except ValueError as exc:
        raise ValidationFailed("blocklist_entry_invalid", str(exc)) from None


def _email_regex(pattern: str) -> str:
    """The pattern as an anchored regular expression that means the same on SQLite (Python's
    `re`) and PostgreSQL: literal parts escaped, `*` any run of characters."""
    parts = (re.sub(r"([.^$+?()\[\]{}|\\-])", r"\\\1", part) for part in pattern.split("*"))
    return "^" + ".*".join(parts) + "$"


def _email_q(pattern: str, field: str) -> Q:
    if "*" not in pattern:
        return Q(**{field: pattern})
    return Q(**{f"{field}__iregex": _email_regex(pattern)})


def _matching_ips(*, site_id: int, entry: str) -> QuerySet[Origin]:
    """The site's origins whose IP the entry (an address or a network) covers."""
    origins = Origin.objects.filter(site_id=site_id, ip_address__isnull=False)
    if "/" not in entry:
        return origins.filter(ip_address=entry)
    if connection.vendor == "postgresql":
        return origins.extra(where=["ip_address <<= %s::inet"], params=[entry])
    # SQLite keeps addresses as text: the distinct addresses are few next to the origins, and
    # the matcher screening uses decides.
    lookup = Blocklist.parse([entry])
    seen = origins.order_by().values_list("ip_address", flat=True).distinct()
    hits = [ip for ip in seen.iterator() if ip and lookup.match(email=None, ips=[ip])]
    return origins.filter(ip_address__in=hits)


def blocklist_preview(*, site_id: int, value: str) -> Preview:
    """What an entry would match before it is saved. Three queries (four for a range on
    SQLite)."""
    entry = _normalised(value)
    kind = entry_kind(entry)
    waiting = Referral.objects.filter(
        site_id=site_id, status__in=(ReferralStatus.PENDING, ReferralStatus.FLAGGED)
    )
    if "@" in entry:
        people_qs = Person.objects.filter(_email_q(entry, "email"), site_id=site_id)
        referrals = waiting.filter(
            _email_q(entry, "friend__email") | _email_q(entry, "advocate__email")
        )
    else:
        origins = _matching_ips(site_id=site_id, entry=entry)
        person_ids = origins.values("person_id")
        people_qs = Person.objects.filter(site_id=site_id, pk__in=person_ids)
        referrals = waiting.filter(
            Q(origin_id__in=origins.values("pk")) | Q(advocate_id__in=person_ids)
        )
    return Preview(
        value=entry,
        kind=kind,
        people=people_qs.count(),
        waiting_referrals=referrals.count(),
        sample=list(people_qs.order_by("id")[:SAMPLE]),
        exists=BlocklistEntry.objects.filter(site_id=site_id, value=entry).exists(),
    )


def blocklist_page(
    *, site_id: int, before_id: int | None = None, limit: int = BLOCKLIST_PAGE
) -> tuple[list[BlocklistEntry], int | None]:
    """The site's entries, newest first, a page at a time (keyset on id). One query."""
    qs = BlocklistEntry.objects.filter(site_id=site_id)
    return newest_first_page(qs, before_id=before_id, limit=limit)


def _forget_on_commit(site_id: int) -> None:
    # The screening snapshot of this process goes at once; other processes' within seconds.
    transaction.on_commit(lambda: forget_program(site_id))


def blocklist_add(*, staff: Staff, value: str, note: str = "") -> BlocklistEntry:
    """Add an entry (normalised as the configuration file's): who added it and when are kept."""
    require_role(staff, Role.AGENT)
    entry = _normalised(value)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            "blocklist_note_too_long", f"The note is {len(note)} characters: at most {NOTE_MAX}."
        )
    site_id = staff.site.pk
    try:
        with transaction.atomic():
            row = BlocklistEntry.objects.create(
                site_id=site_id, value=entry, note=note, added_by=staff.email, added_at=now()
            )
            audit_record(
                staff=staff,
                action="blocklist.add",
                object_type="blocklist",
                object_id=row.pk,
                object_label=entry,
                note=note,
                detail=entry_kind(entry),
            )
            _forget_on_commit(site_id)
    except IntegrityError:
        raise DomainError(
            "blocklist_entry_exists", f"{entry} is already on the blocklist."
        ) from None
    return row


def blocklist_remove(*, staff: Staff, entry_id: int, note: str = "") -> BlocklistEntry:
    """Remove an entry of the site; new referrals are no longer screened against it."""
    require_role(staff, Role.AGENT)
    site_id = staff.site.pk
    with transaction.atomic():
        row = (
            BlocklistEntry.objects.select_for_update().filter(site_id=site_id, pk=entry_id).first()
        )
        if row is None:
            raise NotFound("blocklist_entry_not_found", "No such blocklist entry on this site.")
        audit_record(
            staff=staff,
            action="blocklist.remove",
            object_type="blocklist",
            object_id=row.pk,
            object_label=row.value,
            note=note.strip(),
            detail=f"added by {row.added_by or 'the configuration file'}",
        )
        row.delete()
        _forget_on_commit(site_id)
    return row
