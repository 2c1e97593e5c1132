"""What offers hold about a person (registered with goodword.privacy): their offers (the
advocate's IP and user agent), their claims as a friend (IP, user agent, gated email and phone)
and their address among email-share recipients."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.privacy.registry import (
    CLAIM,
    EMAIL,
    IP,
    OFFER,
    PHONE,
    USER_AGENT,
    Subject,
    Traces,
    register,
)


def _claims(person: Person) -> Q:
    """Claims that are the person's: by their gated email or phone, or by a visitor cookie one
    of their origins carried (the friend's claims through a referral come from referrals)."""
    uuids = Origin.objects.filter(
        site_id=person.site_id, person_id=person.pk, uuid__isnull=False
    ).values("uuid")
    mine = Q(gated_email=person.email) | Q(visitor_uuid__in=uuids)
    if person.phone_number:
        mine |= Q(gated_phone=person.phone_number)
    return Q(site_id=person.site_id) & mine


def _traces(person: Person) -> Traces:
    traces = Traces()
    offers = AdvocateOffer.objects.filter(site_id=person.site_id, advocate_id=person.pk)
    for pk, ip, agent in offers.values_list("pk", "advocate_ip", "advocate_user_agent"):
        traces.add_ids(OFFER, [pk])
        traces.add(IP, [ip])
        traces.add(USER_AGENT, [agent])
    claims = Claim.objects.filter(_claims(person))
    for pk, ip, agent, email, phone in claims.values_list(
        "pk", "ip_address", "user_agent", "gated_email", "gated_phone"
    ):
        traces.add_ids(CLAIM, [pk])
        traces.add(IP, [ip])
        traces.add(USER_AGENT, [agent])
        traces.add(EMAIL, [email])
        traces.add(PHONE, [phone])
    return traces


def _export(person: Person) -> dict[str, Any]:
    offers = list(
        AdvocateOffer.objects.filter(site_id=person.site_id, advocate_id=person.pk).order_by("id")
    )
    shares = (
        Share.objects.filter(site_id=person.site_id, offer__advocate_id=person.pk)
        .prefetch_related("recipients")
        .order_by("id")
    )
    claims = Claim.objects.filter(_claims(person)).order_by("id")
    return {
        "offers": [
            {
                "id": o.pk,
                "short_url_code": o.short_url_code,
                "coupon_code": o.coupon_code,
                "created_at": o.created_at,
                "expires_at": o.expires_at,
                "ip_address": o.advocate_ip,
                "user_agent": o.advocate_user_agent or None,
                "visitor_uuid": o.advocate_visitor_uuid,
            }
            for o in offers
        ],
        "shares": [
            {
                "id": s.pk,
                "offer_id": s.offer_id,
                "channel": s.channel,
                "shared_at": s.created_at,
                "subject": s.subject or None,
                "message": s.message or None,
                "recipients": [r.email for r in s.recipients.all()],
            }
            for s in shares
        ],
        "claims": [
            {
                "id": c.pk,
                "offer_id": c.offer_id,
                "channel": c.channel,
                "visitor_uuid": c.visitor_uuid,
                "ip_address": c.ip_address,
                "user_agent": c.user_agent or None,
                "email": c.gated_email,
                "phone_number": c.gated_phone,
                "coupon_code": c.friend_coupon_code,
                "clicked_at": c.clicked_at,
                "visited_at": c.visited_at,
            }
            for c in claims
        ],
        "shares_received": list(
            ShareRecipient.objects.filter(site_id=person.site_id, email=person.email)
            .order_by("id")
            .values("share_id", "share__channel", "share__created_at")
        ),
    }


def _erase(subject: Subject) -> dict[str, int]:
    site, emails = subject.site_id, subject.emails
    offers = AdvocateOffer.objects.filter(site_id=site, pk__in=subject.ids(OFFER)).update(
        advocate_ip=None, advocate_user_agent=""
    )
    claims = Claim.objects.filter(
        Q(site_id=site) & (Q(pk__in=subject.ids(CLAIM)) | Q(gated_email__in=emails))
    )
    changed = claims.update(ip_address=None, user_agent="", gated_phone=None)
    claims.filter(gated_email__in=emails).update(gated_email=subject.replacement_email)
    # A mail server's refusal can quote the address: the recipient's last error goes too.
    recipients = ShareRecipient.objects.filter(site_id=site, email__in=emails).update(
        email=subject.replacement_email, last_error=""
    )
    # What an advocate wrote in their email shares is theirs, and may name them or their friends.
    shares = Share.objects.filter(site_id=site, offer_id__in=subject.ids(OFFER)).exclude(
        subject="", message=""
    )
    written = shares.update(subject="", message="")
    return {
        "offers": offers,
        "claims": changed,
        "share_recipients": recipients,
        "share_messages": written,
    }


register("offers", traces=_traces, export=_export, erase=_erase)
