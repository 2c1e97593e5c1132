"""The audit trail of staff actions: one row per action, written inside the action's own
transaction (call `audit_record` from within it), read per object and per site."""

from __future__ import annotations

from django.db.models import QuerySet

from goodword.core.clock import now
from goodword.core.paging import newest_first_page
from goodword.portal.access import Staff
from goodword.portal.models import AuditEntry

AUDIT_PAGE = 50


def audit_record(
    *,
    staff: Staff,
    action: str,
    object_type: str,
    object_id: int | None,
    object_label: str = "",
    note: str = "",
    detail: str = "",
) -> AuditEntry:
    """Store one staff action. `action` is a short verb ("referral.approve"), `object_type` the
    kind of object ("referral", "person", "blocklist", ...)."""
    return AuditEntry.objects.create(
        site_id=staff.site.pk,
        user_id=staff.user.pk,
        user_email=staff.email,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:300],
        note=note[:1000],
        detail=detail[:300],
        created_at=now(),
    )


def audit_for_object(
    *, site_id: int, object_type: str, object_id: int, limit: int = AUDIT_PAGE
) -> list[AuditEntry]:
    """The staff actions on one object, newest first. One query."""
    return list(
        AuditEntry.objects.filter(
            site_id=site_id, object_type=object_type, object_id=object_id
        ).order_by("-id")[:limit]
    )


def audit_page(
    *,
    site_id: int,
    before_id: int | None = None,
    object_type: str | None = None,
    limit: int = AUDIT_PAGE,
) -> tuple[list[AuditEntry], int | None]:
    """A page of the site's audit list, newest first, and the id to continue from (keyset
    pagination: `before_id`), or None at the end. One query."""
    qs: QuerySet[AuditEntry] = AuditEntry.objects.filter(site_id=site_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return newest_first_page(qs, before_id=before_id, limit=limit)
