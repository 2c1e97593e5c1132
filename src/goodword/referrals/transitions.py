"""The referral status table (ENGINE.md) in one place."""

from __future__ import annotations

from goodword.core.errors import DomainError
from goodword.referrals.models import ReferralStatus as S

FINAL = frozenset({S.APPROVED, S.VOIDED})
# Waiting for a decision: these resolve by themselves (approval settings) and a refund voids them.
REVIEWABLE = frozenset({S.PENDING, S.FLAGGED})

# from-status -> statuses it may move to. Setting the current status again is a no-op, handled
# by the caller before this table is consulted.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.IN_PROGRESS: frozenset({S.BLOCKED, S.FLAGGED, S.PENDING}),
    S.BLOCKED: frozenset({S.PENDING}),  # unblock
    S.FLAGGED: frozenset({S.APPROVED, S.VOIDED, S.PENDING, S.BLOCKED}),
    S.PENDING: frozenset({S.APPROVED, S.VOIDED, S.FLAGGED, S.BLOCKED}),
    S.APPROVED: frozenset(),
    S.VOIDED: frozenset(),
}


def check_transition(current: str, target: str) -> None:
    """Raise DomainError `illegal_transition` unless current -> target is allowed."""
    if target in TRANSITIONS.get(current, frozenset()):
        return
    if current in FINAL:
        raise DomainError(
            "illegal_transition",
            f"Referral is already {current} and cannot be changed to {target}",
        )
    raise DomainError(
        "illegal_transition", f"Referral cannot be changed from {current} to {target}"
    )
