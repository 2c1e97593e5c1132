"""The email share job and its webhooks: `post_share_web_hook` with share_type email, and the
merchant's `check_unsubscribe_web_hook` answer read before each mail goes out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from goodword.offers.jobs import CHECK_WAIT
from goodword.offers.models import ShareRecipient
from goodword.webhooks import transport
from goodword.webhooks.models import Delivery
from goodword.webhooks.selectors import forget_hooks
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import NOW
from tests.offers.smtp import SmtpServer, smtp_fixture
from tests.offers.test_email_shares_api import ADVOCATE, share
from tests.referrals.program import build_program, join
from tests.webhooks.support import Answer, Receiver, receiver_fixture, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    yield from smtp_fixture(settings)


@pytest.fixture
def receiver(monkeypatch) -> Iterator[Receiver]:
    monkeypatch.setattr(transport, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(transport, "CONNECT_TIMEOUT", 0.5)
    forget_hooks()
    yield from receiver_fixture()
    forget_hooks()


@pytest.fixture
def code(api, api_site) -> str:
    build_program(api_site.site, offer_expiry_days=30)
    return str(join(api, api_site.slug)["offer"]["short_url_code"])


def documents(receiver: Receiver, hook_type: str) -> list[dict]:
    return [r.document for r in receiver.received if r.document["type"] == hook_type]


def test_post_share_web_hook_carries_the_email_share_and_its_recipients(
    api, api_site, code, smtp, receiver
):
    subscribe(api_site.site, receiver.url, "post_share_web_hook")

    share(api, api_site.slug, code, recipients="pal@example.org, bad, other@example.org")

    (document,) = documents(receiver, "post_share_web_hook")
    payload = document["payload"]
    assert payload["share_type"] == "email"
    assert payload["share_info"] == {"recipients": ["pal@example.org", "other@example.org"]}
    assert payload["sharer_info"]["email"] == ADVOCATE
    assert payload["share_link"] is None
    assert payload["campaign"]["tag_names"] == ["invite"]


def test_each_recipient_is_checked_with_the_merchant_before_the_mail(
    api, api_site, code, smtp, receiver
):
    # given the merchant says one address unsubscribed on its side
    subscribe(api_site.site, receiver.url, "check_unsubscribe_web_hook")
    receiver.answer(Answer(body=json.dumps({"unsubscribed": True})), Answer(body="{}"))

    share(api, api_site.slug, code, recipients="quiet@example.org,pal@example.org")

    # then each recipient was asked about, in order, as a share-via-email mail
    asked = documents(receiver, "check_unsubscribe_web_hook")
    assert [d["payload"]["recipient"]["email"] for d in asked] == [
        "quiet@example.org",
        "pal@example.org",
    ]
    assert {d["payload"]["email_type"] for d in asked} == {"notifier_offers_share_via_email"}
    assert asked[0]["payload"]["campaign"]["tag_names"] == ["invite"]
    # and only the one the merchant did not refuse got the mail
    assert [r.recipients for r in smtp.received] == [["pal@example.org"]]
    statuses = dict(ShareRecipient.objects.values_list("email", "status"))
    assert statuses == {"quiet@example.org": "skipped", "pal@example.org": "sent"}
    skipped = ShareRecipient.objects.get(email="quiet@example.org")
    assert skipped.last_error == "unsubscribed at the merchant"


def test_a_reminder_is_checked_as_a_reminder(api, api_site, code, smtp, receiver):
    share(api, api_site.slug, code, recipients="pal@example.org")
    subscribe(api_site.site, receiver.url, "check_unsubscribe_web_hook")

    share(api, api_site.slug, code, recipients="pal@example.org", reminder=True)

    (asked,) = documents(receiver, "check_unsubscribe_web_hook")
    assert asked["payload"]["email_type"] == "notifier_offers_share_via_email_reminder"
    assert len(smtp.to("pal@example.org")) == 2


def test_the_mail_waits_for_the_answer_but_not_forever(
    api, api_site, code, smtp, receiver, time_machine
):
    # given the merchant's check endpoint fails
    subscribe(api_site.site, receiver.url, "check_unsubscribe_web_hook")
    receiver.default = Answer(status=503)

    share(api, api_site.slug, code, recipients="pal@example.org")

    # then the mail waits while the check is retried
    assert smtp.received == []
    recipient = ShareRecipient.objects.get()
    assert recipient.status == "queued"
    assert Delivery.objects.get().status == "pending"

    # and an answer that arrives in time is honoured
    receiver.default = Answer(body='{"unsubscribed": false}')
    time_machine.move_to(Delivery.objects.get().next_attempt_at, tick=False)
    drain()
    time_machine.move_to(Job.objects.get(kind="share_email_send").run_after, tick=False)
    drain()
    assert [r.recipients for r in smtp.received] == [["pal@example.org"]]


def test_a_merchant_that_never_answers_does_not_hold_the_mail_past_the_wait(
    api, api_site, code, smtp, receiver, time_machine
):
    subscribe(api_site.site, receiver.url, "check_unsubscribe_web_hook")
    receiver.default = Answer(status=503)
    share(api, api_site.slug, code, recipients="pal@example.org")
    assert smtp.received == []

    time_machine.move_to(NOW + CHECK_WAIT + timedelta(seconds=1), tick=False)
    mail_job = Job.objects.get(kind="share_email_send")
    assert mail_job.run_after <= NOW + CHECK_WAIT
    drain()

    assert [r.recipients for r in smtp.received] == [["pal@example.org"]]
    assert ShareRecipient.objects.get().status == "sent"


def test_the_unsubscribe_link_tells_the_merchant_through_the_people_service(
    api, api_site, code, smtp, receiver
):
    from urllib.parse import urlsplit

    from django.test import Client

    from tests.offers.test_email_shares_api import links_in

    subscribe(api_site.site, receiver.url, "unsubscribe_web_hook")
    share(api, api_site.slug, code, recipients="pal@example.org")
    leave = links_in(smtp.received[0].text)[1]

    Client().post(urlsplit(leave).path)
    drain()

    (document,) = documents(receiver, "unsubscribe_web_hook")
    assert document["payload"]["person"]["email"] == "pal@example.org"
