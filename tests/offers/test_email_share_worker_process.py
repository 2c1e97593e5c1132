"""An email share end to end with `goodword worker` as a real process: the API queues, the
worker sends through EMAIL_URL's SMTP server on 127.0.0.1, and the recipient's purchase is
attributed as `share_email`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from goodword.offers.models import ShareRecipient
from goodword.referrals.models import Referral
from tests.conftest import ApiClient
from tests.factories import SiteFactory, make_key
from tests.offers.smtp import SmtpServer
from tests.referrals.program import build_program, join
from tests.worker.support import run_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(monkeypatch) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{server.port}?timeout=5")
    monkeypatch.setenv("GOODWORD_EMAIL_FROM", "Shop <referrals@shop.example.com>")
    yield server
    server.stop()


def test_the_worker_process_mails_the_share_and_the_purchase_is_attributed(
    transactional_db, smtp, tmp_path: Path
):
    # given an advocate's offer, and an API with no worker in its process
    site = SiteFactory()
    api = ApiClient(make_key(site).raw_key, drain=False)
    build_program(site)
    code = join(api, site.slug)["offer"]["short_url_code"]

    # when the advocate shares by email, and a worker process runs what was queued
    response = api.post(
        f"/api/v2/offers/{code}/shares/email",
        {"site_slug": site.slug, "recipients": "pal@example.org"},
    )
    assert response.status_code == 200, response.content
    assert ShareRecipient.objects.get().status == "queued"
    exit_code, log = run_once(tmp_path, "mail")

    # then the SMTP server got the mail, with the offer's claim link
    assert exit_code == 0, log
    (mail,) = smtp.received
    assert mail.recipients == ["pal@example.org"]
    assert mail.sender == "referrals@shop.example.com"
    assert re.search(r"https?://\S+/x/\S+", mail.text)
    assert ShareRecipient.objects.get().status == "sent"

    # and when that friend buys, the worker attributes it to the advocate by share email
    bought = api.post(
        "/api/v2/origins/purchase",
        {
            "site_slug": site.slug,
            "data": {"email": "pal@example.org", "order_number": "W-1", "subtotal": 50},
        },
    )
    assert bought.status_code == 201, bought.content
    exit_code, log = run_once(tmp_path, "attribute")
    assert exit_code == 0, log
    referral = Referral.objects.get(origin__order_number="W-1")
    assert (referral.track_method, referral.advocate.email) == (
        "share_email",
        "advocate@example.com",
    )
