"""The referral queues of a site (flagged, pending, blocked, recent approvals and voids) and the
bulk action that approves, voids or unblocks many referrals of a queue at once.

A queue is read a page at a time from a keyset cursor (the last row's status time and id),
never with OFFSET: page 1,000 costs what page 1 costs, and a referral that leaves the queue
while an agent works through it shifts nothing. The bulk action is one transaction per
referral through `referral_act`, the portal's single action (the API's guarded transition with
a staff actor): webhooks and rewards follow exactly as for one referral, and a referral that
cannot move is refused on its own without holding back the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from goodword.campaigns.program import Program, program_for
from goodword.core.errors import DomainError, ValidationFailed
from goodword.core.validators import datetime_in_window
from goodword.fraud.screening import DETAIL_NAMES
from goodword.portal.access import Staff, require_role
from goodword.portal.audit import audit_record
from goodword.portal.keyset import cursor_make, cursor_read
from goodword.portal.models import Role
from goodword.portal.services import PAST, referral_act
from goodword.referrals.models import Referral, ReferralStatus, TrackMethod
from goodword.referrals.resolution import approval_settings, referral_resolution

QUEUE_PAGE = 50
# More than this many referrals in one bulk action is refused: one transaction each, inside
# one web request.
BULK_MAX = 200


@dataclass(frozen=True)
class Queue:
    name: str
    title: str
    status: str
    newest_first: bool  # the done queues show the latest first; the waiting ones the oldest
    actions: tuple[str, ...]  # what its bulk action offers


QUEUES: dict[str, Queue] = {
    q.name: q
    for q in (
        Queue("flagged", "Flagged", ReferralStatus.FLAGGED, False, ("approve", "void")),
        Queue("pending", "Pending", ReferralStatus.PENDING, False, ("approve", "void")),
        Queue("blocked", "Blocked", ReferralStatus.BLOCKED, False, ("unblock",)),
        Queue("approved", "Recent approvals", ReferralStatus.APPROVED, True, ()),
        Queue("voided", "Recent voids", ReferralStatus.VOIDED, True, ()),
    )
}
WAITING = ("flagged", "pending", "blocked")
QUEUE_COLUMNS = (
    "id",
    "site_id",
    "campaign_id",
    "status",
    "track_method",
    "fraud_details",
    "updated_at",
    "origin__id",
    "origin__type",
    "origin__order_number",
    "origin__event_category",
    "origin__event_number",
    "origin__subtotal",
    "origin__currency",
    "origin__occurred_at",
    "advocate__id",
    "advocate__email",
    "friend__id",
    "friend__email",
)

# Filter by fraud policy: the name `fraud_details` carries for it (a referral that policy
# flagged or blocked), and blocklist hits.
POLICY_FILTERS: dict[str, str] = {
    **{detail: detail for detail in DETAIL_NAMES.values()},
    "Blocklist": "Blocklisted",
}


@dataclass(frozen=True)
class QueueFilters:
    campaign_id: int | None = None
    track_method: str | None = None
    policy: str | None = None
    since: date | None = None  # the day (UTC) the referral entered its status, from
    until: date | None = None  # ... to, inclusive

    def query(self) -> dict[str, str]:
        """The filters as URL query parameters (empty ones left out)."""
        values = {
            "campaign": str(self.campaign_id) if self.campaign_id is not None else "",
            "method": self.track_method or "",
            "policy": self.policy or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


def queue_filters(params: Any) -> tuple[QueueFilters, list[str]]:
    """Filters from a query string (a QueryDict or a dict), and what was wrong with it: a bad
    value is left out and named, never an error page."""
    problems: list[str] = []

    def text(name: str) -> str:
        return str(params.get(name, "") or "").strip()[:100]

    campaign_id = None
    campaign = text("campaign")
    if campaign:
        if campaign.isdigit() and len(campaign) < 19:
            campaign_id = int(campaign)
        else:
            problems.append(f"campaign {campaign!r} is not a campaign of this site")
    method = text("method") or None
    if method is not None and method not in TrackMethod.values:
        problems.append(f"{method!r} is not a tracking method")
        method = None
    policy = text("policy") or None
    if policy is not None and policy not in POLICY_FILTERS:
        problems.append(f"{policy!r} is not a fraud policy")
        policy = None

    def day(name: str) -> date | None:
        value = text(name)
        if not value:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            problems.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
            return None
        try:
            # The dates a client may send, so that a year 9999 cannot overflow the day after.
            datetime_in_window(_day_start(parsed), name)
        except ValueError as exc:
            problems.append(str(exc).replace("`", ""))
            return None
        return parsed

    return (
        QueueFilters(
            campaign_id=campaign_id,
            track_method=method,
            policy=policy,
            since=day("since"),
            until=day("until"),
        ),
        problems,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(qs: QuerySet[Referral], filters: QueueFilters) -> QuerySet[Referral]:
    if filters.campaign_id is not None:
        qs = qs.filter(campaign_id=filters.campaign_id)
    if filters.track_method is not None:
        qs = qs.filter(track_method=filters.track_method)
    if filters.policy is not None:
        qs = qs.filter(fraud_details__contains=POLICY_FILTERS[filters.policy])
    if filters.since is not None:
        qs = qs.filter(updated_at__gte=_day_start(filters.since))
    if filters.until is not None:
        qs = qs.filter(updated_at__lt=_day_start(filters.until) + timedelta(days=1))
    return qs


@dataclass
class QueueRow:
    referral: Referral
    due: dict[str, Any] | None  # {"to_status", "due_at"} when it resolves by itself
    campaign: str  # its name


@dataclass
class QueuePage:
    queue: Queue
    rows: list[QueueRow] = field(default_factory=list)
    next_cursor: str | None = None


def queue_page(
    *,
    site_id: int,
    queue: str,
    filters: QueueFilters | None = None,
    after: str = "",
    limit: int = QUEUE_PAGE,
    program: Program | None = None,
) -> QueuePage:
    """A page of a queue with each referral's origin, campaign and people, and, for waiting
    referrals, when it resolves by itself. One query (the site's program is the cached
    snapshot)."""
    spec = QUEUES.get(queue)
    if spec is None:
        raise ValidationFailed("unknown_queue", f"There is no {queue!r} queue.")
    filters = filters or QueueFilters()
    qs = _filtered(Referral.objects.filter(site_id=site_id, status=spec.status), filters)
    cursor = cursor_read(after)
    if cursor is not None:
        at, ident = cursor
        if spec.newest_first:
            qs = qs.filter(Q(updated_at__lt=at) | Q(updated_at=at, id__lt=ident))
        else:
            qs = qs.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=ident))
    order = ("-updated_at", "-id") if spec.newest_first else ("updated_at", "id")
    # Only the columns a row shows: the JSON columns (evidence, items, custom properties)
    # would cost more to decode than the rest of the page. Campaign names come from the
    # program snapshot.
    referrals = list(
        qs.select_related("origin", "advocate", "friend")
        .only(*QUEUE_COLUMNS)
        .order_by(*order)[: limit + 1]
    )
    more = len(referrals) > limit
    referrals = referrals[:limit]
    program = program or program_for(site_id)
    settings = approval_settings(program)
    rows = []
    for referral in referrals:
        due = None
        if queue in WAITING:
            found = referral_resolution(referral, settings)
            if found is not None:
                due = {"to_status": found.to_status, "due_at": found.due_at}
        campaign = program.campaign(referral.campaign_id)
        rows.append(
            QueueRow(
                referral=referral,
                due=due,
                campaign=campaign.name if campaign is not None else str(referral.campaign_id),
            )
        )
    return QueuePage(
        queue=spec,
        rows=rows,
        next_cursor=cursor_make(referrals[-1].updated_at, referrals[-1].pk)
        if more and referrals
        else None,
    )


# ---- bulk action ----------------------------------------------------------------------------


@dataclass
class BulkResult:
    action: str
    changed: list[tuple[int, str]] = field(default_factory=list)  # (id, new status)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (id, why)

    def summary(self) -> str:
        done = f"{len(self.changed)} {PAST[self.action]}"
        return f"{done}, {len(self.refused)} refused" if self.refused else done


def referrals_bulk_act(
    *, staff: Staff, referral_ids: list[int], action: str, note: str = ""
) -> BulkResult:
    """Approve, void or unblock each referral in its own transaction, through the single
    action's guarded transition (with its audit entry); a refusal is collected with its reason
    and the others go on. The bulk action itself is audited once with its summary."""
    require_role(staff, Role.AGENT)
    if action not in PAST:
        raise DomainError("unknown_action", f"Unknown referral action {action!r}")
    ids = list(dict.fromkeys(referral_ids))
    if not ids:
        raise ValidationFailed("nothing_selected", "Select at least one referral.")
    if len(ids) > BULK_MAX:
        raise ValidationFailed(
            "too_many_selected",
            f"{len(ids)} referrals selected: one action takes at most {BULK_MAX}.",
        )
    result = BulkResult(action=action)
    for referral_id in sorted(ids):
        try:
            referral = referral_act(staff=staff, referral_id=referral_id, action=action, note=note)
        except DomainError as exc:
            result.refused.append((referral_id, exc.message))
        else:
            result.changed.append((referral.pk, referral.status))
    with transaction.atomic():
        audit_record(
            staff=staff,
            action=f"referral.bulk_{action}",
            object_type="referral",
            object_id=None,
            object_label=f"{len(ids)} referrals",
            note=note.strip(),
            detail=_bulk_detail(result),
        )
    return result


def _bulk_detail(result: BulkResult) -> str:
    changed = ", ".join(str(i) for i, _ in result.changed) or "none"
    detail = f"{PAST[result.action]}: {changed}"
    if result.refused:
        detail += "; refused: " + ", ".join(str(i) for i, _ in result.refused)
    return detail
