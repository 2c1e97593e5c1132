"""The worker's email share job: one mail to one recipient, with retries.

The mail server is talked to outside any transaction (the handler is `own_transaction`): a slow
server must not hold database locks. Before sending, the job's lease is renewed for longer than
the conversation can take, so no other worker sends the same mail meanwhile. A crash between the
server's acceptance and the recorded outcome sends the mail again on the retry (at least once).

Before sending, the recipient is checked again: unsubscribed here since the share (the link in
an earlier mail, the People API), or unsubscribed at the merchant (`check_unsubscribe_web_hook`
answered `{"unsubscribed": true}`) and the mail is skipped. While that webhook is still being
delivered the mail waits for the answer, at most CHECK_WAIT after the share; a merchant that
does not answer by then does not hold the mail back.

Policy: accepted by the server, sent. Refused for good (5xx for the recipient or the message),
failed at once. Anything else (no connection, timeouts, 4xx, authentication) is retried with the
worker's backoff, and failed after the queue's last attempt.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction

from goodword.campaigns.program import program_for
from goodword.core.clock import now
from goodword.offers.email_shares import SEND
from goodword.offers.mail import share_mail
from goodword.offers.models import RecipientStatus, ShareRecipient
from goodword.offers.services import link_url
from goodword.people.models import Person
from goodword.webhooks.selectors import check_unsubscribe_answer
from goodword.worker import queue

CHECK_WAIT = timedelta(hours=1)
CHECK_RECHECK = timedelta(seconds=5)


def _send_lease() -> timedelta:
    # Connect, greet, authenticate, send: each step may take the whole timeout.
    return timedelta(seconds=4 * float(settings.EMAIL_TIMEOUT or 10) + 30)


def _permanent(exc: Exception) -> bool:
    """A refusal the same mail will meet again: the recipient or the message refused with 5xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500
    return False


@queue.handler(SEND, own_transaction=True)
def share_email_send(job: queue.Claimed) -> None:
    recipient = (
        ShareRecipient.objects.select_related("share__offer__advocate", "share__link")
        .filter(pk=job.ref_id or 0, site_id=job.site_id)
        .first()
    )
    if recipient is None or recipient.status != RecipientStatus.QUEUED:
        with transaction.atomic():
            queue.complete(job)
        return
    if Person.objects.filter(
        site_id=recipient.site_id, email=recipient.email, unsubscribed_at__isnull=False
    ).exists():
        _finish(job, recipient, RecipientStatus.SKIPPED, "unsubscribed")
        return
    answer = check_unsubscribe_answer(site_id=recipient.site_id, recipient_id=recipient.pk)
    if answer.unsubscribed:
        _finish(job, recipient, RecipientStatus.SKIPPED, "unsubscribed at the merchant")
        return
    stamp = now()
    share = recipient.share
    if answer.waiting and stamp < share.created_at + CHECK_WAIT:
        wait = max(answer.retry_at or stamp, stamp) + CHECK_RECHECK
        raise queue.Reschedule(min(wait, share.created_at + CHECK_WAIT))
    offer = share.offer
    program = program_for(recipient.site_id)
    mail = share_mail(
        program=program,
        to=recipient.email,
        advocate_email=offer.advocate.email,
        advocate_name=offer.advocate.first_name,
        subject=share.subject,
        message=share.message,
        claim_url=link_url(program, share.link.code) if share.link else program.base_url,
    )
    if not queue.extend_lease(job, until=stamp + _send_lease()):
        return
    try:
        mail.connection = get_connection(fail_silently=False)
        mail.send()
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if _permanent(exc) or job.attempts >= queue.MAX_ATTEMPTS:
            _finish(job, recipient, RecipientStatus.FAILED, error)
            return
        ShareRecipient.objects.filter(pk=recipient.pk).update(
            attempts=recipient.attempts + 1, last_error=error
        )
        raise  # the queue retries it with its backoff
    _finish(job, recipient, RecipientStatus.SENT, "")


def _finish(job: queue.Claimed, recipient: ShareRecipient, status: str, note: str) -> None:
    """The recipient's outcome and the job's completion, together."""
    sent = status == RecipientStatus.SENT
    with transaction.atomic():
        ShareRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.QUEUED).update(
            status=status,
            sent_at=now() if sent else None,
            attempts=recipient.attempts + (1 if sent or status == RecipientStatus.FAILED else 0),
            last_error=note[:500],
        )
        if not queue.complete(job):
            transaction.set_rollback(True)
