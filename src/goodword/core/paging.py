"""Keyset pages: newest first by id, continued from the last id shown rather than by an offset,
so a page costs the same however deep it is and rows added meanwhile do not shift it."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def newest_first_page(
    qs: QuerySet[M], *, before_id: int | None, limit: int
) -> tuple[list[M], int | None]:
    """A page of `qs`, newest first, and the id to continue before, or None at the end. One
    query: reading one row more than the page says whether another page follows."""
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)
