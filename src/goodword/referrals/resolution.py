"""When a waiting referral resolves by itself (ENGINE.md, approval settings). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goodword.campaigns.program import Program
    from goodword.referrals.models import Referral


@dataclass(frozen=True)
class ApprovalSettings:
    mode: str  # "automatic" | "manual"
    delay_seconds: int
    flagged_resolution: str  # "voided" | "approved" | "never"
    flagged_delay_seconds: int


@dataclass(frozen=True)
class Resolution:
    to_status: str
    due_at: datetime
    reason: str


def resolution(
    *, status: str, settings: ApprovalSettings, origin_at: datetime, status_since: datetime
) -> Resolution | None:
    """What a referral in `status` turns into by itself, and when; None when it waits for a
    person (manual mode, flagged referrals set to `never`, any other status).

    - pending, automatic mode: approved `delay` after the friend's origin.
    - flagged: the configured outcome `flagged delay` after it was flagged. Manual mode still
      voids flagged referrals when told to (that approves nothing), but never approves them.
    """
    automatic = settings.mode == "automatic"
    if status == "pending" and automatic:
        return Resolution(
            "approved",
            origin_at + timedelta(seconds=settings.delay_seconds),
            "approval delay passed",
        )
    if status == "flagged" and settings.flagged_resolution in ("voided", "approved"):
        if settings.flagged_resolution == "approved" and not automatic:
            return None
        return Resolution(
            settings.flagged_resolution,
            status_since + timedelta(seconds=settings.flagged_delay_seconds),
            "flagged review period passed",
        )
    return None


def approval_settings(program: Program) -> ApprovalSettings:
    """The site's approval settings as the resolution rule reads them."""
    return ApprovalSettings(
        mode=program.approval_mode,
        delay_seconds=program.approval_delay_seconds,
        flagged_resolution=program.flagged_resolution,
        flagged_delay_seconds=program.flagged_delay_seconds,
    )


def referral_resolution(referral: Referral, settings: ApprovalSettings) -> Resolution | None:
    """`resolution` of a stored referral (with its origin loaded): what it is now, since when."""
    return resolution(
        status=referral.status,
        settings=settings,
        origin_at=referral.origin.occurred_at,
        status_since=referral.updated_at,
    )
