"""Scheduling and running the automatic resolution of waiting referrals (worker job `resolve`)."""

from __future__ import annotations

from goodword.origins.models import Origin
from goodword.referrals.approval import ApprovalSettings, resolution
from goodword.referrals.models import Referral
from goodword.sites.program import Program, program_for
from goodword.worker import queue

RESOLVE = "resolve"


def approval_settings(program: Program) -> ApprovalSettings:
    return ApprovalSettings(
        mode=program.approval_mode,
        delay_seconds=program.approval_delay_seconds,
        flagged_resolution=program.flagged_resolution,
        flagged_delay_seconds=program.flagged_delay_seconds,
    )


def schedule_resolution(*, referral: Referral, program: Program | None = None) -> None:
    """(Re)place the referral's `resolve` job for its current status and the site's settings.
    Call inside the transaction that changed the referral or the settings."""
    program = program or program_for(referral.site_id)
    queue.cancel(kind=RESOLVE, ref_ids=[referral.pk])
    origin_at = Origin.objects.filter(pk=referral.origin_id).values_list("occurred_at", flat=True)
    due = resolution(
        status=referral.status,
        settings=approval_settings(program),
        origin_at=origin_at.get(),
        status_since=referral.updated_at,
    )
    if due is not None:
        queue.enqueue(
            site_id=referral.site_id, kind=RESOLVE, ref_id=referral.pk, run_after=due.due_at
        )


def resolutions_retime(*, site_id: int) -> int:
    """After the site's approval settings changed: every waiting referral's job moves to its
    new time (or goes, or comes, with the mode). Returns how many referrals were looked at."""
    from goodword.sites.program import forget_program

    forget_program(site_id)
    program = program_for(site_id)
    count = 0
    waiting = Referral.objects.filter(site_id=site_id, status__in=("pending", "flagged"))
    for referral in waiting.iterator(chunk_size=1000):
        schedule_resolution(referral=referral, program=program)
        count += 1
    return count
