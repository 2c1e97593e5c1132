"""The mail of an email share: its text, its claim link and a signed unsubscribe link.

The unsubscribe link carries the site and the address, signed with the secret key, so it needs
no table and keeps working for as long as the key stays the same (the mail may be read months
later). A link whose signature does not check out unsubscribes nobody.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage

from goodword.campaigns.program import Program

UNSUBSCRIBE_SALT = "goodword.offers.unsubscribe"
DEFAULT_SUBJECT = "{name} sent you an offer"
DEFAULT_MESSAGE = "{name} thought you would like this offer."


def unsubscribe_token(*, site_id: int, email: str) -> str:
    return signing.dumps({"s": site_id, "e": email}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(site id, email) of a token made by `unsubscribe_token`, or None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    site_id, email = data.get("s"), data.get("e")
    if not isinstance(site_id, int) or not isinstance(email, str):
        return None
    return site_id, email


def unsubscribe_url(program: Program, *, email: str) -> str:
    return (
        f"{program.base_url}/unsubscribe/{unsubscribe_token(site_id=program.site_id, email=email)}"
    )


def share_mail(
    *,
    program: Program,
    to: str,
    advocate_email: str,
    advocate_name: str | None,
    subject: str,
    message: str,
    claim_url: str,
) -> EmailMessage:
    """One recipient's mail: the advocate's words (or the default ones), the offer's email
    claim link, and how to stop these mails (a link, and the one-click header mail clients
    show as an unsubscribe button, RFC 8058)."""
    name = (advocate_name or "").strip() or advocate_email
    leave = unsubscribe_url(program, email=to)
    body = (
        f"{message.strip() or DEFAULT_MESSAGE.format(name=name)}\n\n"
        f"Claim your offer: {claim_url}\n\n"
        f"--\nYou received this email because {name} ({advocate_email}) shared an offer with "
        f"you.\nTo receive no more of these emails: {leave}\n"
    )
    return EmailMessage(
        subject=subject.strip() or DEFAULT_SUBJECT.format(name=name),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[advocate_email],
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
