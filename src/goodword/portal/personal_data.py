"""What the staff audit trail holds about a person (registered with goodword.privacy): the
labels, notes and details of staff actions on them or naming them. The entries stay (who did
what, when), scrubbed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.people.models import Person
from goodword.portal.models import AuditEntry
from goodword.privacy.registry import REFERRAL, Subject, register, scrub_rows

_TEXT = ["object_label", "note", "detail"]


def _export(person: Person) -> dict[str, Any]:
    rows = AuditEntry.objects.filter(
        site_id=person.site_id, object_type="person", object_id=person.pk
    ).order_by("id")
    return {
        "staff_actions": [
            {"action": a.action, "created_at": a.created_at, "note": a.note, "detail": a.detail}
            for a in rows
        ]
    }


def _erase(subject: Subject) -> dict[str, int]:
    entries = AuditEntry.objects.filter(
        Q(site_id=subject.site_id)
        & (
            Q(object_type="person", object_id=subject.person_id)
            | Q(object_type="referral", object_id__in=subject.ids(REFERRAL))
            | subject.contains_any(*_TEXT)
        )
    )
    return {"staff_actions": scrub_rows(entries, _TEXT, subject.scrubber)}


register("portal", export=_export, erase=_erase)
