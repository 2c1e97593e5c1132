"""Email shares: POST /offers/{short_url_code}/shares/email."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import email_share_json
from goodword.api.v2.site import request_site
from goodword.offers.email_shares import share_email_create

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
    return ok(email_share_json(result))
