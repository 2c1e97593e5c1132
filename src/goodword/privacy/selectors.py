"""Reads for privacy: everything stored about a person (GDPR access)."""

from __future__ import annotations

from typing import Any

from goodword.people.selectors import person_find
from goodword.privacy.registry import HOLDERS


def person_personal_data(*, site_id: int, person_slug: str) -> dict[str, Any]:
    """The person and every row about them, one section per kind, as each app exports it."""
    person = person_find(site_id=site_id, person_slug=person_slug)
    data: dict[str, Any] = {}
    for holder in HOLDERS.values():
        if holder.export is not None:
            data.update(holder.export(person))
    return data
