"""Email shares: an advocate sends their offer to friends' addresses.

The request judges every recipient (a valid address, not the advocate's own, not unsubscribed,
not on the blocklist, not sent this offer before unless it is a reminder, within the offer's
daily limit), records the share and its recipients for `share_email` attribution, and queues one
mail per recipient for the worker (offers/jobs.py) in the same transaction: the request never
waits on the mail server. `currently_sent` therefore means "accepted and queued"; the
recipient's row says what became of it (sent, skipped, failed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction

from goodword.campaigns.models import IncentiveReason
from goodword.campaigns.program import program_for
from goodword.core.clock import now
from goodword.core.errors import ValidationFailed
from goodword.core.validators import email_normalise
from goodword.offers.locks import offer_lock
from goodword.offers.models import LinkKind, RecipientStatus, Share, ShareRecipient, ShortLink
from goodword.offers.services import OfferView, offer_get, offer_is_live, offer_view
from goodword.people.models import Person
from goodword.rewards.models import Reward
from goodword.rewards.services import reward_for_offer_action
from goodword.sites.auth import SiteRef
from goodword.webhooks.emitters import check_unsubscribe_emit, post_share_emit
from goodword.worker import queue

EMAIL_CHANNEL = "email"
SEND = "share_email_send"  # the worker job kind; ref_id is the ShareRecipient's id
MAX_RECIPIENTS = 100  # addresses one request may list
DAILY_LIMIT = 25  # recipients one offer may be sent to in any 24 hours
LIMIT_WINDOW = timedelta(hours=24)
SUBJECT_MAX = 255
MESSAGE_MAX = 10_000
EMAIL_TYPE = "notifier_offers_share_via_email"
REMINDER_EMAIL_TYPE = "notifier_offers_share_via_email_reminder"
_SPLIT = re.compile(r"[,;\s]+")
MAILED = (RecipientStatus.QUEUED, RecipientStatus.SENT)


@dataclass
class RecipientVerdict:
    """One listed address as the contract reports it."""

    email_valid: bool
    self_referral: bool = False
    unsubscribed: bool = False
    blocklisted: bool = False
    previously_sent: bool = False
    sharable: bool = False
    currently_sent: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {
            "currently_sent": self.currently_sent,
            "previously_sent": self.previously_sent,
            "email_valid": self.email_valid,
            "self_referral": self.self_referral,
            "unsubscribed": self.unsubscribed,
            "blocklisted": self.blocklisted,
            "blacklisted": self.blocklisted,  # Talkable's older name, still in its answers
            "meets_criteria": self.email_valid and not self.self_referral,
            "sharable": self.sharable,
        }


@dataclass
class EmailShareResult:
    view: OfferView
    validation_only: bool
    advocate_blocked: bool
    recipients: dict[str, RecipientVerdict]
    total_sent: int
    left_emails: int
    limit_exceeded: bool
    share: Share | None = None
    reward: Reward | None = None
    rewards: list[Reward] = field(default_factory=list)

    @property
    def currently_sent(self) -> int:
        return sum(1 for v in self.recipients.values() if v.currently_sent)


def recipients_parse(value: Any) -> list[str]:
    """`recipients` as sent: one string of addresses separated by commas (or semicolons or
    spaces), or a list of strings. Each address once, in the order given, trimmed."""
    if value is None or value == "" or value == []:
        raise ValidationFailed("recipients_required", "`recipients` is required")
    if isinstance(value, str):
        parts = _SPLIT.split(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = [p for v in value for p in _SPLIT.split(v)]
    else:
        raise ValidationFailed(
            "recipients_invalid", "`recipients` must be a string of email addresses"
        )
    seen: dict[str, str] = {}
    for part in parts:
        part = part.strip()
        if part and part.lower() not in seen:
            seen[part.lower()] = part
    if not seen:
        raise ValidationFailed("recipients_required", "`recipients` is required")
    if len(seen) > MAX_RECIPIENTS:
        raise ValidationFailed(
            "recipients_too_many", f"`recipients` lists more than {MAX_RECIPIENTS} addresses"
        )
    return list(seen.values())


def _text(value: Any, name: str, limit: int, *, one_line: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name}_invalid", f"`{name}` must be a string")
    text = " ".join(value.split()) if one_line else value.strip()
    if len(text) > limit:
        raise ValidationFailed(
            f"{name}_too_long", f"`{name}` is too long (at most {limit} characters)"
        )
    return text


def _flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise ValidationFailed(f"{name}_invalid", f"`{name}` must be true or false")


def share_email_create(
    *,
    site: SiteRef,
    short_url_code: str,
    recipients: Any,
    subject: Any = None,
    body: Any = None,
    reminder: Any = None,
    validation_only: Any = None,
) -> EmailShareResult:
    """Judge the recipients and, unless `validation_only`, record the share and queue its
    mails, with the `post_share_web_hook` and a `check_unsubscribe_web_hook` per recipient."""
    addresses = recipients_parse(recipients)
    subject_text = _text(subject, "subject", SUBJECT_MAX, one_line=True)
    message = _text(body, "body", MESSAGE_MAX, one_line=False)
    is_reminder = _flag(reminder, "reminder")
    dry = _flag(validation_only, "validation_only")
    offer = offer_get(site=site, short_url_code=short_url_code)
    program = program_for(site.id)
    if not offer_is_live(offer, program):
        raise ValidationFailed("offer_inactive", "The offer is no longer active.")
    view = offer_view(offer, program, [EMAIL_CHANNEL])  # makes the email claim link
    with transaction.atomic():
        offer_lock(offer_id=offer.pk)
        result = _judge(site=site, view=view, addresses=addresses, reminder=is_reminder, dry=dry)
        if dry or result.advocate_blocked or result.currently_sent == 0:
            transaction.set_rollback(True)  # nothing of a refused or trial share is kept
            return result
        _record(
            site=site, result=result, subject=subject_text, message=message, reminder=is_reminder
        )
    return result


def _judge(
    *, site: SiteRef, view: OfferView, addresses: list[str], reminder: bool, dry: bool
) -> EmailShareResult:
    offer, program = view.offer, view.program
    advocate_email = offer.advocate.email
    normal = {a: email_normalise(a) for a in addresses}
    emails = sorted({e for e in normal.values() if e})
    unsubscribed = set(
        Person.objects.filter(
            site_id=site.id, email__in=emails, unsubscribed_at__isnull=False
        ).values_list("email", flat=True)
    )
    mailed = ShareRecipient.objects.filter(
        site_id=site.id,
        share__offer_id=offer.pk,
        share__channel=EMAIL_CHANNEL,
        status__in=MAILED,
    )
    previously = set(mailed.filter(email__in=emails).values_list("email", flat=True))
    total = mailed.values("email").distinct().count()
    in_window = mailed.filter(share__created_at__gt=now() - LIMIT_WINDOW).count()
    left = max(DAILY_LIMIT - in_window, 0)
    advocate_blocked = program.blocklist.match(email=advocate_email, ips=[]) is not None
    verdicts: dict[str, RecipientVerdict] = {}
    exceeded = False
    for address, email in normal.items():
        if email is None:
            verdicts[address] = RecipientVerdict(email_valid=False)
            continue
        verdict = RecipientVerdict(
            email_valid=True,
            self_referral=email == advocate_email,
            unsubscribed=email in unsubscribed,
            blocklisted=program.blocklist.match(email=email, ips=[]) is not None,
            previously_sent=email in previously,
        )
        verdict.sharable = not (
            verdict.self_referral
            or verdict.unsubscribed
            or verdict.blocklisted
            or (verdict.previously_sent and not reminder)
        )
        if verdict.sharable and not dry and not advocate_blocked:
            if left > 0:
                verdict.currently_sent = True
                left -= 1
            else:
                exceeded = True
        verdicts[email] = verdict
    sent_now = sum(1 for v in verdicts.values() if v.currently_sent and not v.previously_sent)
    return EmailShareResult(
        view=view,
        validation_only=dry,
        advocate_blocked=advocate_blocked,
        recipients=verdicts,
        total_sent=total + sent_now,
        left_emails=left,
        limit_exceeded=exceeded,
    )


def _record(
    *, site: SiteRef, result: EmailShareResult, subject: str, message: str, reminder: bool
) -> None:
    view = result.view
    offer = view.offer
    stamp = now()
    share = Share.objects.create(
        site_id=site.id,
        offer=offer,
        channel=EMAIL_CHANNEL,
        link=ShortLink.objects.get(offer=offer, kind=LinkKind.CLAIM, channel=EMAIL_CHANNEL),
        subject=subject,
        message=message,
        reminder=reminder,
        created_at=stamp,
    )
    rows = ShareRecipient.objects.bulk_create(
        ShareRecipient(site_id=site.id, share=share, email=email, status=RecipientStatus.QUEUED)
        for email, verdict in result.recipients.items()
        if verdict.currently_sent
    )
    known = {
        p.email: p
        for p in Person.objects.filter(site_id=site.id, email__in=[r.email for r in rows])
    }
    email_type = REMINDER_EMAIL_TYPE if reminder else EMAIL_TYPE
    for row in rows:
        person = known.get(row.email) or Person(site_id=site.id, email=row.email)
        check_unsubscribe_emit(
            recipient=row, person=person, campaign=view.campaign, email_type=email_type
        )
    # After the checks, so that a worker claiming both asks before it sends.
    queue.enqueue_many(
        queue.NewJob(site_id=site.id, kind=SEND, ref_id=row.pk, run_after=stamp) for row in rows
    )
    post_share_emit(share=share, campaign=view.campaign, share_link=None)
    reward = reward_for_offer_action(
        program=view.program,
        campaign=view.campaign,
        offer=offer,
        reason=IncentiveReason.SHARED,
        person_id=offer.advocate_id,
        share=share,
    )
    result.share = share
    if reward is not None and reward.share_id == share.pk:
        result.reward = reward
        result.rewards = [reward]
