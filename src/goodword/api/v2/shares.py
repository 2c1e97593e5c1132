"""Email shares (POST /offers/{short_url_code}/shares/email) and offer claims (POST
/offer_claims)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import email_share_result_json, offer_claim_json
from goodword.api.v2.site import request_site
from goodword.offers.email_shares import share_email_create
from goodword.offers.offer_claims import offer_claim_create

router = Router(tags=["Advocate Offers", "Shares"])


class EmailShareBody(BaseModel):
    # Types are checked by the service, so that each field's error names it in Talkable's words.
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None
    recipients: Any = None
    subject: Any = None
    body: Any = None
    reminder: Any = None
    validation_only: Any = None


@router.post("/offers/{short_url_code}/shares/email", summary="Share an offer by email")
def share_email(request: HttpRequest, short_url_code: str, payload: EmailShareBody) -> HttpResponse:
    site = request_site(request, payload.site_slug)
    result = share_email_create(
        site=site,
        short_url_code=short_url_code,
        recipients=payload.recipients,
        subject=payload.subject,
        body=payload.body,
        reminder=payload.reminder,
        validation_only=payload.validation_only,
    )
    return ok(email_share_result_json(result))


class OfferClaimBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_slug: str | None = None
    advocate_email: Any = None
    friend_email: Any = None


@router.post("/offer_claims", summary="Share and claim an offer", tags=["Offer Claims"])
def offer_claims(request: HttpRequest, payload: OfferClaimBody | None = None) -> HttpResponse:
    """The contract passes the emails in the query string; a JSON body may carry them too."""
    body = payload or OfferClaimBody()
    site = request_site(request, body.site_slug)
    result = offer_claim_create(
        site=site,
        advocate_email=request.GET.get("advocate_email", body.advocate_email),
        friend_email=request.GET.get("friend_email", body.friend_email),
    )
    return ok(offer_claim_json(result))
