"""What each app stores about a person, and how to export and erase it.

Every app that keeps a person's data registers one `Holder` from its own `personal_data`
module (found by autodiscovery when Django starts, like the worker's `jobs` modules), so the
apps above this one (offers, referrals, webhooks, the portal, ...) depend on it and never the
other way round (ADR 0011). A holder has up to three parts:

- `traces`: the identifying values and the row ids it holds for the person, collected before
  anything is erased (an IP seen on an origin is looked for in the webhook log too);
- `export`: its rows about the person, as JSON sections of the personal-data answer;
- `erase`: replace what identifies the person in its rows; returns rows changed per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from goodword.people.models import Person
from goodword.privacy.scrub import Scrubber

# The kinds of identifying values a holder reports.
EMAIL, NAME, PHONE, IP, USER_AGENT, OTHER = "email", "name", "phone", "ip", "user_agent", "other"
# The kinds of row ids a holder reports for other holders to use.
ORIGIN, OFFER, CLAIM, REFERRAL, REWARD = "origin", "offer", "claim", "referral", "reward"


@dataclass
class Traces:
    """Identifying values by kind, and row ids by kind."""

    values: dict[str, set[str]] = field(default_factory=dict)
    ids: dict[str, set[int]] = field(default_factory=dict)

    def add(self, kind: str, values: Iterable[Any]) -> None:
        self.values.setdefault(kind, set()).update(str(v) for v in values if v)

    def add_ids(self, kind: str, ids: Iterable[int | None]) -> None:
        self.ids.setdefault(kind, set()).update(i for i in ids if i is not None)

    def merge(self, other: Traces) -> None:
        for kind, values in other.values.items():
            self.add(kind, values)
        for kind, ids in other.ids.items():
            self.add_ids(kind, ids)


@dataclass(frozen=True)
class Subject:
    """The person being erased, as found before the erasure began."""

    site_id: int
    person_id: int
    replacement_email: str
    traces: Traces
    scrubber: Scrubber

    def values(self, kind: str) -> set[str]:
        return self.traces.values.get(kind, set())

    def ids(self, kind: str) -> set[int]:
        return self.traces.ids.get(kind, set())

    @property
    def emails(self) -> set[str]:
        return {e.lower() for e in self.values(EMAIL)}

    def contains_any(self, *fields: str) -> models.Q:
        """Rows whose text `fields` contain one of the person's values (a prefilter: the
        scrubber decides what really matches)."""
        needles = [v for vs in self.traces.values.values() for v in vs if len(v) >= 3]
        q = models.Q(pk__in=[])
        for name in fields:
            for needle in needles:
                q |= models.Q(**{f"{name}__icontains": needle})
        return q


Erase = Callable[[Subject], dict[str, int]]
Export = Callable[[Person], dict[str, Any]]
Trace = Callable[[Person], Traces]


@dataclass(frozen=True)
class Holder:
    app: str
    erase: Erase
    export: Export | None = None
    traces: Trace | None = None


HOLDERS: dict[str, Holder] = {}


def register(
    app: str, *, erase: Erase, export: Export | None = None, traces: Trace | None = None
) -> None:
    """Called once by each app's `personal_data` module."""
    HOLDERS[app] = Holder(app=app, erase=erase, export=export, traces=traces)


def scrub_rows(queryset: models.QuerySet[Any], fields: Iterable[str], scrubber: Scrubber) -> int:
    """Scrub the text and JSON `fields` of the rows of `queryset`; the number of rows changed.
    Rows are read in batches and only changed ones are written."""
    names = list(fields)
    model = queryset.model
    json_fields = {n for n in names if isinstance(model._meta.get_field(n), models.JSONField)}
    changed = 0
    for row in queryset.only("pk", *names).iterator(chunk_size=500):
        dirty = []
        for name in names:
            old = getattr(row, name)
            if old is None:
                continue
            new = scrubber.json(old) if name in json_fields else scrubber.text(old)
            if new != old:
                setattr(row, name, new)
                dirty.append(name)
        if dirty:
            row.save(update_fields=dirty)
            changed += 1
    return changed
