"""Scheduling and running the automatic resolution of waiting referrals (worker job `resolve`)."""

from __future__ import annotations

from datetime import datetime

from goodword.core.clock import now
from goodword.origins.models import Origin
from goodword.referrals.approval import ApprovalSettings, resolution
from goodword.referrals.models import Actor, Referral
from goodword.sites.program import Program, program_for
from goodword.worker import queue
from goodword.worker.models import Job

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
    # A job a worker holds right now is left alone: it re-reads the referral when it runs.
    Job.objects.filter(kind=RESOLVE, ref_id=referral.pk, claim_token__isnull=True).delete()
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


@queue.handler(RESOLVE)
def resolve_referral(job: queue.Claimed) -> None:
    """One resolve job: the batch handler's rule for a batch of one."""
    later = resolve_referrals([job])
    if job.id in later:
        # Settings moved the time later since this job was scheduled: come back then.
        raise queue.Reschedule(later[job.id])


@queue.batch_handler(RESOLVE)
def resolve_referrals(jobs: list[queue.Claimed]) -> dict[int, datetime]:
    """Many resolve jobs at once: the referrals locked in primary-key order, the due ones moved
    together per site and outcome. Returns the jobs whose time moved later."""
    from goodword.referrals.services import ActorRef, referrals_transition

    by_referral: dict[int, list[queue.Claimed]] = {}
    for job in jobs:
        if job.ref_id is not None:
            by_referral.setdefault(job.ref_id, []).append(job)
    referrals = list(
        Referral.objects.select_for_update().filter(pk__in=list(by_referral)).order_by("pk")
    )
    origin_at = dict(
        Origin.objects.filter(pk__in=[r.origin_id for r in referrals]).values_list(
            "id", "occurred_at"
        )
    )
    stamp = now()
    later: dict[int, datetime] = {}
    moves: dict[tuple[int, str], list[tuple[Referral, str, str]]] = {}
    for referral in referrals:
        due = resolution(
            status=referral.status,
            settings=approval_settings(program_for(referral.site_id)),
            origin_at=origin_at[referral.origin_id],
            status_since=referral.updated_at,
        )
        if due is None:
            continue  # resolved meanwhile, or the settings say wait for a person
        if due.due_at > stamp:
            for job in by_referral[referral.pk]:
                later[job.id] = due.due_at
            continue
        moves.setdefault((referral.site_id, due.to_status), []).append(
            (referral, due.to_status, due.reason)
        )
    actor = ActorRef(Actor.AUTOMATIC, "approval settings")
    for group in moves.values():
        referrals_transition(moves=group, actor=actor)
    return later
