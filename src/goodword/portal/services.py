"""Staff actions. Each checks the staff user's role, calls the domain service the API would
call (with a staff actor), and records the audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.db import transaction

from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.coupons.selectors import coupon_list_get
from goodword.coupons.services import ImportReport, coupon_codes_from_csv
from goodword.offers.models import AdvocateOffer, ShortLink
from goodword.people.models import Person
from goodword.people.services import person_unsubscribe
from goodword.portal.access import Staff, require_role
from goodword.portal.audit import audit_record
from goodword.portal.models import Role
from goodword.privacy.services import ErasureResult, person_anonymize
from goodword.referrals.manual import referral_create_manual
from goodword.referrals.models import Actor, Referral, ReferralStatus
from goodword.referrals.services import ActorRef, referral_transition
from goodword.rewards.services import coupons_import_and_pay_waiting
from goodword.sites.models import ApiKey
from goodword.sites.services import IssuedKey, api_key_create, api_key_revoke

# The referral actions of the portal and the status each moves to.
REFERRAL_ACTIONS: dict[str, str] = {
    "approve": ReferralStatus.APPROVED,
    "void": ReferralStatus.VOIDED,
    "unblock": ReferralStatus.PENDING,
}
# Which actions a referral in a status offers (final statuses offer none).
ACTIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    ReferralStatus.PENDING: ("approve", "void"),
    ReferralStatus.FLAGGED: ("approve", "void"),
    ReferralStatus.BLOCKED: ("unblock",),
}
PAST = {"approve": "approved", "void": "voided", "unblock": "unblocked"}


def staff_actor(staff: Staff) -> ActorRef:
    return ActorRef(Actor.STAFF, staff.email)


def referral_act(*, staff: Staff, referral_id: int, action: str, note: str = "") -> Referral:
    """Approve, void or unblock a referral of the staff user's site, through the same guarded
    transition as the Referrals API: its event, resolution job, rewards and webhooks follow
    exactly as for an API change. The note becomes the event's reason."""
    require_role(staff, Role.AGENT)
    target = REFERRAL_ACTIONS.get(action)
    if target is None:
        raise DomainError("unknown_action", f"Unknown referral action {action!r}")
    note = note.strip()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(site_id=staff.site.pk, pk=referral_id)
            .first()
        )
        if referral is None:
            raise NotFound("referral_not_found", "No such referral on this site.")
        before = referral.status
        if action == "unblock" and before != ReferralStatus.BLOCKED:
            raise DomainError(
                "not_blocked", f"Only a blocked referral can be unblocked; this one is {before}."
            )
        if before == target:
            # The API treats setting the same status as a no-op; a person clicking a button
            # on a stale page should hear that it had already happened.
            raise DomainError("illegal_transition", f"Referral is already {before}.")
        referral_transition(
            referral=referral,
            to_status=target,
            actor=staff_actor(staff),
            reason=(note or f"{PAST[action]} in the portal")[:500],
        )
        audit_record(
            staff=staff,
            action=f"referral.{action}",
            object_type="referral",
            object_id=referral.pk,
            object_label=f"referral {referral.pk}",
            note=note,
            detail=f"{before} -> {target}",
        )
    return referral


def person_unsubscribe_by_staff(*, staff: Staff, person_id: int, note: str = "") -> Person:
    """Unsubscribe a person of the site (the People API's service: the unsubscribe webhook
    goes out once)."""
    require_role(staff, Role.AGENT)
    person = Person.objects.filter(site_id=staff.site.pk, pk=person_id).first()
    if person is None:
        raise NotFound("person_not_found", "No such person on this site.")
    if person.unsubscribed_at is not None:
        raise DomainError(
            "already_unsubscribed",
            f"{person.email} has been unsubscribed since "
            f"{person.unsubscribed_at:%Y-%m-%d %H:%M} UTC.",
        )
    with transaction.atomic():
        person = person_unsubscribe(site_id=staff.site.pk, person_slug=person.email)
        audit_record(
            staff=staff,
            action="person.unsubscribe",
            object_type="person",
            object_id=person.pk,
            object_label=person.email,
            note=note.strip(),
        )
    return person


def person_erase_by_staff(*, staff: Staff, person_id: int, note: str = "") -> ErasureResult:
    """Erase a person of the site (GDPR), through the API's service. The audit entry is written
    first, in the same transaction, so the erasure scrubs it too: it keeps who erased whom and
    when, never the erased address (nor a note that repeated it)."""
    require_role(staff, Role.AGENT)
    person = Person.objects.filter(site_id=staff.site.pk, pk=person_id).first()
    if person is None:
        raise NotFound("person_not_found", "No such person on this site.")
    if person.anonymized_at is not None:
        raise DomainError(
            "already_erased",
            f"This person was erased on {person.anonymized_at:%Y-%m-%d %H:%M} UTC.",
        )
    with transaction.atomic():
        entry = audit_record(
            staff=staff,
            action="person.erase",
            object_type="person",
            object_id=person.pk,
            object_label=person.email,
            note=note.strip(),
        )
        done = person_anonymize(
            site_id=staff.site.pk, person_slug=person.email, actor=f"staff {staff.email}"
        )
        total = sum(done.erasure.rows.values())
        entry.detail = f"{total} rows erased"
        entry.save(update_fields=["detail"])
    return done


def offer_for_advocate(*, site_id: int, advocate: str) -> AdvocateOffer:
    """The offer a manual referral credits: the advocate's newest offer by their email, or the
    offer of an offer code or of a claim/show link (its URL or just its code)."""
    value = advocate.strip()
    if not value:
        raise DomainError("advocate_required", "Give the advocate's email, offer code or link.")
    if "@" in value and "/" not in value:
        person = Person.objects.filter(site_id=site_id, email=value.lower()).first()
        if person is None:
            raise NotFound("advocate_not_found", f"No person with the email {value} on this site.")
        offer = (
            AdvocateOffer.objects.filter(site_id=site_id, advocate_id=person.pk)
            .order_by("-created_at", "-id")
            .first()
        )
        if offer is None:
            raise DomainError(
                "advocate_has_no_offer",
                f"{person.email} has no offer: they have not joined a campaign, so there is "
                "nothing to credit a referral to.",
            )
        return offer
    code = urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1] if "/" in value else value
    offer = AdvocateOffer.objects.filter(site_id=site_id, short_url_code=code).first()
    if offer is None:
        link = ShortLink.objects.filter(site_id=site_id, code=code).select_related("offer").first()
        offer = link.offer if link is not None else None
    if offer is None:
        raise NotFound("offer_not_found", f"No offer or link with the code {code!r} on this site.")
    return offer


def referral_create_by_staff(
    *, staff: Staff, origin_slug: str, advocate: str, force: bool = False, note: str = ""
) -> Referral:
    """A manual referral (`manually_generated`, or with force `force_manually_generated`)."""
    require_role(staff, Role.AGENT)
    note = note.strip()
    offer = offer_for_advocate(site_id=staff.site.pk, advocate=advocate)
    slug = origin_slug.strip()

    def audit(referral: Referral) -> None:
        audit_record(
            staff=staff,
            action="referral.create_forced" if force else "referral.create",
            object_type="referral",
            object_id=referral.pk,
            object_label=f"referral {referral.pk} of {slug}",
            note=note,
            detail=f"{referral.track_method}, {referral.status}",
        )

    return referral_create_manual(
        site=staff.site_ref,
        origin_slug=slug,
        offer=offer,
        actor=staff_actor(staff),
        force=force,
        note=note,
        then=audit,
    )


# ---- manager actions ------------------------------------------------------------------------


def api_key_create_by_staff(*, staff: Staff, name: str = "", note: str = "") -> IssuedKey:
    """A new API key for the site (its value shown once); the first half of a rotation."""
    require_role(staff, Role.MANAGER)
    with transaction.atomic():
        issued = api_key_create(site=staff.site, name=name.strip()[:100])
        audit_record(
            staff=staff,
            action="api_key.create",
            object_type="api_key",
            object_id=issued.api_key.pk,
            object_label=f"{issued.api_key.prefix}… {issued.api_key.name}".strip(),
            note=note.strip(),
        )
    return issued


def api_key_revoke_by_staff(*, staff: Staff, prefix: str, note: str = "") -> ApiKey:
    """Revoke one of the site's keys (the second half of a rotation, once the merchant's
    systems use the new key)."""
    require_role(staff, Role.MANAGER)
    with transaction.atomic():
        key = api_key_revoke(site=staff.site, prefix=prefix.strip())
        audit_record(
            staff=staff,
            action="api_key.revoke",
            object_type="api_key",
            object_id=key.pk,
            object_label=f"{key.prefix}… {key.name}".strip(),
            note=note.strip(),
        )
    return key


def coupons_import_by_staff(
    *, staff: Staff, list_identifier: str, lines: Iterable[str], note: str = ""
) -> ImportReport:
    """Add single-use codes from a CSV to one of the site's pool lists (the same import as
    `goodword coupons import`: all or nothing)."""
    require_role(staff, Role.MANAGER)
    coupon_list = coupon_list_get(site=staff.site, identifier=list_identifier)
    try:
        with transaction.atomic():
            report = coupons_import_and_pay_waiting(
                site=staff.site, coupon_list=coupon_list, codes=coupon_codes_from_csv(lines)
            )
            audit_record(
                staff=staff,
                action="coupons.import",
                object_type="coupon_list",
                object_id=coupon_list.pk,
                object_label=coupon_list.identifier,
                note=note.strip(),
                detail=f"{report.imported} imported, {report.duplicates} duplicates",
            )
    except UnicodeDecodeError:
        raise ValidationFailed(
            "coupon_csv_encoding", "The file is not UTF-8 text: save the CSV as UTF-8."
        ) from None
    return report
