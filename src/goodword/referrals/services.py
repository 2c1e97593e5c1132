"""Referral writes: attribution and screening of a friend's origin, status changes, refunds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from goodword.campaigns.program import Program, forget_program, program_for
from goodword.core.clock import now
from goodword.core.db import fetch, fetch_many, is_postgres
from goodword.core.errors import DomainError, NotFound
from goodword.fraud.policies import ReferralFacts
from goodword.fraud.screening import screen
from goodword.origins.locks import origin_lock
from goodword.origins.models import ATTRIBUTE, Origin, OriginType
from goodword.referrals import selectors
from goodword.referrals.attribution import FriendOrigin, Match, attribute
from goodword.referrals.locks import referrals_lock, referrals_lock_for_origins
from goodword.referrals.models import Actor, Referral, ReferralEvent, ReferralStatus
from goodword.referrals.resolution import approval_settings, resolution
from goodword.referrals.trace import facts_record
from goodword.referrals.transitions import FINAL, REVIEWABLE, check_transition
from goodword.rewards.services import rewards_sync
from goodword.sites.auth import SiteRef
from goodword.webhooks.emitters import referrals_moved_emit
from goodword.worker import queue

# The worker jobs (referrals/jobs.py runs them): the automatic resolution of a
# waiting referral (attribution's kind is named where origins enqueue it).
RESOLVE = "resolve"


@dataclass(frozen=True)
class ActorRef:
    kind: str  # Actor
    detail: str = ""


ENGINE = ActorRef(Actor.ENGINE)
AUTOMATIC = ActorRef(Actor.AUTOMATIC, "approval settings")


def referral_for_origin(
    *, site: SiteRef, origin: Origin, phone: str | None = None, fresh: bool = False
) -> Referral | None:
    """Attribute a friend's Purchase or Event to an advocate, screen it and store the referral.

    An origin is referred at most once (a unique index on the referral's origin); a second call
    returns the first referral. `fresh` says the origin was stored just now (so it has none);
    `phone` is the friend's phone number as sent, for the phone tracking method.
    """
    if origin.type == OriginType.AFFILIATE_MEMBER:
        return None
    program = program_for(site.id)
    if not program.campaigns:
        return None
    if not fresh:
        existing = Referral.objects.filter(origin=origin).first()
        if existing is not None:
            return existing
    friend = _friend(origin, program)
    candidates = selectors.attribution_candidates(site_id=site.id, origin=origin, phone=phone)
    match = attribute(friend, candidates, sticky_advocate=program.sticky_advocate)
    if match is None:
        return None
    facts = selectors.fraud_facts(
        origin=origin, offer_id=match.offer.offer_id, claim_id=match.claim_id, phone=phone
    )
    referral, event, due = _referral_new(
        site_id=site.id, origin=origin, match=match, facts=facts, program=program, stamp=now()
    )
    if not referral_insert(referral=referral, event=event, resolve_at=due):
        # The same origin was attributed concurrently: the first referral stands.
        return Referral.objects.get(origin_id=origin.pk)
    rewards_sync(referrals=[referral])
    return referral


def _friend(origin: Origin, program: Program) -> FriendOrigin:
    return FriendOrigin(
        person_id=origin.person_id,
        occurred_at=origin.occurred_at,
        ip_excluded=bool(
            program.blocklist.match(
                email=origin.email, ips=[origin.ip_address] if origin.ip_address else []
            )
        ),
    )


def _referral_new(
    *,
    site_id: int,
    origin: Origin,
    match: Match,
    facts: ReferralFacts,
    program: Program,
    stamp: datetime,
) -> tuple[Referral, ReferralEvent, datetime | None]:
    """The screened referral of an attributed origin, its first event and when it resolves by
    itself (None: it waits for a person, or is final), not stored yet."""
    verdict = screen(facts, actions=program.policy_actions, blocklist=program.blocklist)
    # The facts the policies compared are kept with the verdict: the portal and the trace
    # endpoint explain the decision from what was known then, not from what is known later.
    evidence = [
        dict(match.evidence, kind="attribution"),
        *(dict(e) for e in verdict.evidence),
        facts_record(facts),
    ]
    return referral_build_new(
        program=program,
        origin=origin,
        offer_id=match.offer.offer_id,
        campaign_id=match.offer.campaign_id,
        advocate_id=match.offer.advocate_id,
        claim_id=match.claim_id,
        track_method=match.method,
        status=verdict.status,
        policies_status=verdict.policies_status(),
        details=verdict.details,
        evidence=evidence,
        actor=ENGINE,
        reason=verdict.details or f"attributed by {match.method}",
        stamp=stamp,
    )


def referral_build_new(
    *,
    program: Program,
    origin: Origin,
    offer_id: int,
    campaign_id: int,
    advocate_id: int,
    claim_id: int | None,
    track_method: str,
    status: str,
    policies_status: dict[str, Any],
    details: str | None,
    evidence: list[dict[str, Any]],
    actor: ActorRef,
    reason: str,
    stamp: datetime,
) -> tuple[Referral, ReferralEvent, datetime | None]:
    """A new referral of `origin` (found by attribution or made by hand), its first event (from
    In Progress to `status`) and when the site's approval settings resolve it by itself (None:
    it waits for a person, or is final); nothing stored yet."""
    campaign = program.campaign(campaign_id)
    referral = Referral(
        site_id=origin.site_id,
        campaign_id=campaign_id,
        offer_id=offer_id,
        claim_id=claim_id,
        advocate_id=advocate_id,
        friend_id=origin.person_id,
        origin_id=origin.pk,
        track_method=track_method,
        status=status,
        subtotal=origin.subtotal,
        fraud_policies_status=policies_status,
        fraud_details=details,
        fraud_evidence=evidence,
        qa_generated=campaign is not None and campaign.status == "Test",
        created_at=stamp,
        updated_at=stamp,
    )
    event = ReferralEvent(
        site_id=origin.site_id,
        from_status=ReferralStatus.IN_PROGRESS,
        to_status=status,
        actor=actor.kind,
        actor_detail=actor.detail,
        reason=reason,
        created_at=stamp,
    )
    due = resolution(
        status=status,
        settings=approval_settings(program),
        origin_at=origin.occurred_at,
        status_since=stamp,
    )
    return referral, event, due.due_at if due is not None else None


def referrals_for_origins(
    *, site: SiteRef, origins: list[tuple[Origin, str | None]]
) -> list[Referral]:
    """`referral_for_origin` for many freshly stored origins of one site (each with its
    friend's phone as sent), with a few round trips for the lot: the candidates of every
    origin in one, the fraud facts of every match in one, their referrals, events and
    resolution jobs in one, and one `rewards_sync`. Same rules and same results as one by one.
    Returns the referrals made (an origin that already has one keeps it and is not returned)."""
    program = program_for(site.id)
    if not program.campaigns:
        return []
    todo = [(o, phone) for o, phone in origins if o.type != OriginType.AFFILIATE_MEMBER]
    made: list[tuple[Referral, ReferralEvent, datetime | None]] = []
    stored: list[Referral] = []
    while todo:
        # One by one, an origin sees the referrals made for the origins before it: its friend's
        # earlier referrals (event chain, sticky advocate) and its advocate's referral by its
        # friend (a fraud fact). So a round takes at most one origin per friend, and it ends
        # before the first match whose advocate is the friend of an earlier origin of the
        # round; what is left goes to the next round, in job order (the first origin always
        # goes, so every round makes progress).
        taken: list[int] = []
        persons: set[int] = set()
        for index, (origin, _) in enumerate(todo):
            if origin.person_id not in persons:
                persons.add(origin.person_id)
                taken.append(index)
        found = selectors.attribution_candidates_many(
            site_id=site.id, origins=[todo[i] for i in taken]
        )
        cut = len(todo)
        matched: list[tuple[Origin, str | None, Match]] = []
        earlier: set[int] = set()
        for index, candidates in zip(taken, found, strict=True):
            origin, phone = todo[index]
            match = attribute(
                _friend(origin, program), candidates, sticky_advocate=program.sticky_advocate
            )
            if match is not None and match.offer.advocate_id in earlier:
                cut = index
                break
            earlier.add(origin.person_id)
            if match is not None:
                matched.append((origin, phone, match))
        done = {i for i in taken if i < cut}
        facts = selectors.fraud_facts_many(
            matches=[(o, m.offer.offer_id, m.claim_id, phone) for o, phone, m in matched]
        )
        stamp = now()
        made = [
            _referral_new(
                site_id=site.id,
                origin=origin,
                match=match,
                facts=fact,
                program=program,
                stamp=stamp,
            )
            for (origin, _, match), fact in zip(matched, facts, strict=True)
        ]
        stored += referrals_insert(rows=made)
        todo = [item for index, item in enumerate(todo) if index not in done]
    rewards_sync(referrals=stored)
    return stored


_RESOLVE_JOB_VALUES = queue.job_insert_values(
    site_id="%s",
    kind="%s::text",
    ref_id="r.id",
    payload="%s",
    run_after="%s::timestamptz",
    created_at="%s",
)


def referral_insert(
    *, referral: Referral, event: ReferralEvent, resolve_at: datetime | None = None
) -> bool:
    """Store a new referral, its first event and (with `resolve_at`) the job that resolves it
    by itself, together; False when the origin already has a referral (the unique index on
    the origin decides). On PostgreSQL one prepared statement."""
    if not is_postgres():
        try:
            with transaction.atomic():
                referral.save(force_insert=True)
                event.referral = referral
                event.save(force_insert=True)
                if resolve_at is not None:
                    queue.enqueue(
                        site_id=referral.site_id,
                        kind=RESOLVE,
                        ref_id=referral.pk,
                        run_after=resolve_at,
                    )
        except IntegrityError:
            return False
        return True
    rows = fetch(*_referral_insert_statement(referral, event, resolve_at))
    if not rows:
        return False
    referral.pk = rows[0][0]
    return True


def referrals_insert(
    *, rows: list[tuple[Referral, ReferralEvent, datetime | None]]
) -> list[Referral]:
    """`referral_insert` for many (referral, event, resolve at): on PostgreSQL one statement
    for the lot. Returns the referrals stored (an origin that already
    had one is left out)."""
    if not is_postgres():
        return [
            referral
            for referral, event, resolve_at in rows
            if referral_insert(referral=referral, event=event, resolve_at=resolve_at)
        ]
    if not rows:
        return []
    # Not prepared: one text whatever the count, but the plan of its joins is best made for
    # the rows at hand (a few statements a batch, planned once each).
    ids = dict(fetch_many([_referrals_insert_statement(rows)], prepare=False)[0])
    stored: list[Referral] = []
    for n, (referral, _, _) in enumerate(rows):
        if n in ids:
            referral.pk = ids[n]
            stored.append(referral)
    return stored


def _referrals_insert_statement(
    rows: list[tuple[Referral, ReferralEvent, datetime | None]],
) -> tuple[str, list[Any]]:
    """Many referrals, their first events and resolution jobs in one statement (PostgreSQL):
    the values as one array per column, unnested into rows `v` (numbered `n`, in the order
    given), inserted in that order. Returns (n, referral id) for each referral stored; a row
    whose origin already has a referral is left out, with its event and job."""
    from django.db import connection
    from psycopg.types.json import Jsonb

    r_fields = [f for f in Referral._meta.concrete_fields if not f.primary_key]
    e_fields = [
        f for f in ReferralEvent._meta.concrete_fields if not f.primary_key and f.name != "referral"
    ]
    columns = ["n"] + [str(f.column) for f in r_fields] + [f"e_{f.column}" for f in e_fields]
    types = ["int"] + [str(f.db_type(connection)) for f in (*r_fields, *e_fields)]
    values: list[list[Any]] = [list(range(len(rows)))]
    for f in r_fields:
        json_field = f.get_internal_type() == "JSONField"
        values.append(
            [
                Jsonb(getattr(r, f.attname)) if json_field else getattr(r, f.attname)
                for r, _, _ in rows
            ]
        )
    for f in e_fields:
        values.append([getattr(e, f.attname) for _, e, _ in rows])
    columns.append("resolve_at")
    types.append("timestamptz")
    values.append([resolve_at for _, _, resolve_at in rows])
    # Binary (`%b`): text arrays in text format are escaped element by element (a regular
    # expression per value), which cost the worker more than building the rows.
    unnest = ", ".join(f"%b::{t}[]" for t in types)
    r_cols = ", ".join(str(f.column) for f in r_fields)
    e_cols = ", ".join(str(f.column) for f in e_fields)
    job = queue.job_insert_values(
        site_id="v.site_id",
        kind="%s::text",
        ref_id="r.id",
        payload="%s::jsonb",
        run_after="v.resolve_at",
        created_at="v.created_at",
    )
    sql = (
        f"WITH v AS MATERIALIZED (SELECT * FROM unnest({unnest}) AS v({', '.join(columns)})), "
        f"r AS (INSERT INTO {Referral._meta.db_table} ({r_cols}) SELECT {r_cols} FROM v "
        f"ORDER BY n ON CONFLICT (origin_id) DO NOTHING RETURNING id, origin_id), "
        f"e AS (INSERT INTO {ReferralEvent._meta.db_table} ({e_cols}, referral_id) "
        f"SELECT {', '.join(f'v.e_{f.column}' for f in e_fields)}, r.id "
        f"FROM r JOIN v ON v.origin_id = r.origin_id ORDER BY v.n), "
        f"j AS (INSERT INTO {queue.JOB_TABLE} ({queue.JOB_INSERT_COLUMNS}) SELECT {job} "
        f"FROM r JOIN v ON v.origin_id = r.origin_id WHERE v.resolve_at IS NOT NULL "
        f"ORDER BY v.n) "
        f"SELECT v.n, r.id FROM r JOIN v ON v.origin_id = r.origin_id"
    )
    return sql, [*values, RESOLVE, Jsonb({})]


def _referral_insert_statement(
    referral: Referral, event: ReferralEvent, resolve_at: datetime | None
) -> tuple[str, list[Any]]:
    from psycopg.types.json import Jsonb

    r_fields = [f for f in Referral._meta.concrete_fields if not f.primary_key]
    e_fields = [
        f for f in ReferralEvent._meta.concrete_fields if not f.primary_key and f.name != "referral"
    ]
    r_cols = ", ".join(str(f.column) for f in r_fields)
    e_cols = ", ".join(str(f.column) for f in e_fields)
    params: list[Any] = []
    for f in r_fields:
        value = getattr(referral, f.attname)
        params.append(Jsonb(value) if f.get_internal_type() == "JSONField" else value)
    params += [getattr(event, f.attname) for f in e_fields]
    params += [referral.site_id, RESOLVE, Jsonb({}), resolve_at, referral.created_at, resolve_at]
    sql = (
        f"WITH r AS (INSERT INTO {Referral._meta.db_table} ({r_cols}) "
        f"VALUES ({', '.join(['%s'] * len(r_fields))}) ON CONFLICT (origin_id) DO NOTHING "
        f"RETURNING id), e AS (INSERT INTO {ReferralEvent._meta.db_table} ({e_cols}, referral_id) "
        f"SELECT {', '.join(['%s'] * len(e_fields))}, r.id FROM r RETURNING referral_id), "
        f"j AS (INSERT INTO {queue.JOB_TABLE} ({queue.JOB_INSERT_COLUMNS}) SELECT "
        f"{_RESOLVE_JOB_VALUES} "
        f"FROM r WHERE %s::timestamptz IS NOT NULL) "
        f"SELECT referral_id FROM e"
    )
    return sql, params


def origin_by_slug(*, site: SiteRef, origin_slug: str) -> Origin:
    """An origin by its slug: the order number, or `event_category:event_number`."""
    origin = Origin.objects.filter(
        site_id=site.id, type=OriginType.PURCHASE, order_number=origin_slug
    ).first()
    if origin is None and ":" in origin_slug:
        # Either part may itself hold a colon: try every split, first colon first.
        splits = Q()
        for at in (i for i, ch in enumerate(origin_slug) if ch == ":"):
            splits |= Q(event_category=origin_slug[:at], event_number=origin_slug[at + 1 :])
        origin = (
            Origin.objects.filter(site_id=site.id, type=OriginType.EVENT)
            .filter(splits)
            .order_by("id")
            .first()
        )
    if origin is None:
        raise NotFound("origin_not_found", "No origin found by `origin_slug`.")
    return origin


def _referral_of(origin: Origin) -> Referral | None:
    """The origin's referral, locked (an origin has at most one)."""
    locked = referrals_lock_for_origins(origin_ids=[origin.pk])
    return locked[0] if locked else None


def referral_transition(
    *, referral: Referral, to_status: str, actor: ActorRef, reason: str = ""
) -> Referral:
    """Move a locked referral to `to_status` and record the event. Caller holds the lock."""
    referrals_transition(moves=[(referral, to_status, reason)], actor=actor)
    return referral


def referrals_transition(*, moves: list[tuple[Referral, str, str]], actor: ActorRef) -> None:
    """Apply status moves (referral, to status, reason) to locked referrals of one site: their
    events, their statuses, their resolution jobs and their rewards, with a few statements for
    the lot. Every move passes the transition table first (an illegal one raises and nothing
    is applied); setting the current status again is a no-op."""
    moves = [move for move in moves if move[0].status != move[1]]
    for referral, to_status, _ in moves:
        check_transition(referral.status, to_status)
    if not moves:
        return
    stamp = now()
    ReferralEvent.objects.bulk_create(
        [
            ReferralEvent(
                site_id=referral.site_id,
                referral=referral,
                from_status=referral.status,
                to_status=to_status,
                actor=actor.kind,
                actor_detail=actor.detail,
                reason=reason,
                created_at=stamp,
            )
            for referral, to_status, reason in moves
        ]
    )
    for referral, to_status, _ in moves:
        referral.status = to_status
        referral.updated_at = stamp
    referrals = [m[0] for m in moves]
    by_status: dict[str, list[int]] = {}
    for referral in referrals:
        by_status.setdefault(referral.status, []).append(referral.pk)
    for status, ids in by_status.items():
        Referral.objects.filter(pk__in=ids).update(status=status, updated_at=stamp)
    final = [r.pk for r in referrals if r.status in FINAL]
    if final:
        queue.cancel(kind=RESOLVE, ref_ids=final)
    for referral in referrals:
        if referral.status not in FINAL:
            resolution_schedule(referral=referral)
    rewards_sync(referrals=referrals)
    referrals_moved_emit(referrals=referrals)


def referral_set_status(
    *, site: SiteRef, origin_slug: str, status: str, actor: ActorRef, reason: str = ""
) -> Referral | None:
    """The Referrals API: set the referral of an origin to `status`. None when the origin has
    no referral (a success that changes nothing, as Talkable answers)."""
    if status not in {s.value for s in ReferralStatus} or status == ReferralStatus.IN_PROGRESS:
        raise DomainError(
            "invalid_status",
            '`status` must be within ["pending", "flagged", "approved", "voided", "blocked"]',
        )
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    settle_attribution(origin=origin)
    with transaction.atomic():
        referral = _referral_of(origin)
        if referral is None:
            return None
        return referral_transition(referral=referral, to_status=status, actor=actor, reason=reason)


def origin_refund(
    *,
    site: SiteRef,
    origin_slug: str,
    refunded_at: datetime | None = None,
    refund_subtotal: Decimal | None = None,
) -> Origin:
    """Mark an origin refunded; void its referral while pending or flagged (site setting)."""
    origin = origin_by_slug(site=site, origin_slug=origin_slug)
    settle_attribution(origin=origin)
    program = program_for(site.id)
    with transaction.atomic():
        locked = origin_lock(id=origin.pk)
        if locked.refunded_at is not None:
            raise DomainError("already_refunded", "Origin has already been refunded")
        if (
            refund_subtotal is not None
            and locked.subtotal is not None
            and refund_subtotal > locked.subtotal
        ):
            raise DomainError(
                "refund_too_large", "`refund_subtotal` cannot be greater than the subtotal"
            )
        locked.refunded_at = refunded_at or now()
        locked.refund_subtotal = refund_subtotal if refund_subtotal is not None else locked.subtotal
        locked.save(update_fields=["refunded_at", "refund_subtotal"])
        # A partial refund leaves the referral standing: the friend still bought something.
        fully = (
            locked.subtotal is None
            or locked.refund_subtotal is None
            or locked.refund_subtotal >= locked.subtotal
        )
        if program.void_on_refund and fully:
            referral = _referral_of(locked)
            if referral is not None and referral.status in REVIEWABLE:
                referral_transition(
                    referral=referral,
                    to_status=ReferralStatus.VOIDED,
                    actor=ENGINE,
                    reason="friend's origin refunded",
                )
    return locked


def settle_attribution(*, origin: Origin, wait_seconds: float = 5.0) -> None:
    """Make sure the origin's attribution has run before its referral is read or changed.

    A merchant may approve or refund an order right after reporting it; the referral must not
    be missed because the worker has not reached it yet. The job runs here, even if it waits
    for a retry; if another worker holds it, this waits for that worker. If it still has not
    run (it keeps failing, or its worker died holding it), the caller is told to retry
    (`attribution_pending`) rather than given a success that silently applied to no referral."""
    deadline = time.monotonic() + wait_seconds
    while queue.pending_for(kind=ATTRIBUTE, ref_id=origin.pk):
        for job in queue.claim(limit=1, kind=ATTRIBUTE, ref_id=origin.pk, due_only=False):
            queue.run_one(job)
        if not queue.pending_for(kind=ATTRIBUTE, ref_id=origin.pk):
            return
        if time.monotonic() > deadline:
            raise DomainError(
                "attribution_pending",
                "The referral for this origin is still being screened; retry in a few seconds",
            )
        time.sleep(0.05)


def resolution_schedule(*, referral: Referral, program: Program | None = None) -> None:
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
    forget_program(site_id)
    program = program_for(site_id)
    count = 0
    waiting = Referral.objects.filter(site_id=site_id, status__in=REVIEWABLE)
    for referral in waiting.iterator(chunk_size=1000):
        resolution_schedule(referral=referral, program=program)
        count += 1
    return count


def referrals_resolve(*, ids: list[int]) -> dict[int, datetime]:
    """Resolve the due ones of these referrals by themselves (the `resolve` jobs): locked in
    primary-key order, moved together per site and outcome through the transition table.
    Returns the referrals whose time moved later since their job was scheduled, with it."""
    referrals = referrals_lock(ids=ids)
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
            later[referral.pk] = due.due_at
            continue
        moves.setdefault((referral.site_id, due.to_status), []).append(
            (referral, due.to_status, due.reason)
        )
    for group in moves.values():
        referrals_transition(moves=group, actor=AUTOMATIC)
    return later
