"""POST /offers/{code}/shares/email: recipients judged per the contract, one mail each sent by
the worker through a real SMTP server on 127.0.0.1, unsubscribes honoured, and a recipient's
purchase attributed as `share_email`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from goodword.campaigns.models import Campaign, Incentive
from goodword.campaigns.program import forget_program
from goodword.offers import email_shares
from goodword.offers.models import Claim, RecipientStatus, Share, ShareRecipient
from goodword.people.models import Person
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import NOW, ApiClient
from tests.factories import PersonFactory, SiteFactory, make_key
from tests.offers.smtp import SmtpServer, smtp_fixture
from tests.referrals.program import BASE_URL, build_program, buy, click, join, referral_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ADVOCATE = "advocate@example.com"


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    yield from smtp_fixture(settings)


@pytest.fixture
def smtp_down(settings) -> Iterator[SmtpServer]:
    yield from smtp_fixture(settings, running=False)


@pytest.fixture
def code(api, api_site) -> str:
    """A live offer of advocate@example.com (Ada)."""
    build_program(api_site.site, offer_expiry_days=30)
    return str(join(api, api_site.slug)["offer"]["short_url_code"])


def share(api: ApiClient, slug: str, code: str, **body: Any) -> Any:
    return api.post(f"/api/v2/offers/{code}/shares/email", {"site_slug": slug, **body})


def contract_example(openapi: dict[str, Any]) -> dict[str, Any]:
    operation = openapi["paths"]["/api/v2/offers/{short_url_code}/shares/email"]["post"]
    return dict(operation["responses"]["200"]["content"]["application/json"]["example"])


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


# ---- sending --------------------------------------------------------------------------------


def test_each_recipient_gets_one_mail_from_the_worker_with_the_contracts_answer(
    api, api_site, code, smtp, openapi
):
    # when the advocate shares with three friends
    response = share(
        api,
        api_site.slug,
        code,
        recipients="pal1@example.org, pal2@example.org,pal3@example.org",
        subject="Ada sent you 10% off",
        body="You will love this shop.",
    )

    # then the answer has the contract's shape and says all three were sent
    assert response.status_code == 200, response.content
    body = response.json()
    contract = contract_example(openapi)["result"]
    result = body["result"]
    assert set(result) == set(contract)
    assert set(result["stats"]) == set(contract["stats"])
    assert result["stats"] == {
        "currently_sent": 3,
        "currently_not_sent": 0,
        "previously_sent": 0,
        "total_sent": 3,
        "sent_limit_exceeded": False,
        "left_emails": email_shares.DAILY_LIMIT - 3,
        "advocate_blocked": False,
    }
    assert (result["success"], result["validation_only"]) == (True, False)
    assert (result["reward"], result["rewards"]) == (None, [])
    one = next(iter(contract["recipients"].values()))
    assert list(result["recipients"]) == [
        "pal1@example.org",
        "pal2@example.org",
        "pal3@example.org",
    ]
    assert all(v == one for v in result["recipients"].values())

    # and the SMTP server got one mail per recipient, with the advocate's words and links
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "pal1@example.org",
        "pal2@example.org",
        "pal3@example.org",
    ]
    (mail,) = smtp.to("pal2@example.org")
    assert mail.recipients == ["pal2@example.org"]
    assert mail.message["Subject"] == "Ada sent you 10% off"
    assert mail.message["From"] == "Shop <referrals@shop.example.com>"
    assert mail.message["Reply-To"] == ADVOCATE
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You will love this shop." in mail.text
    claim_link, leave = links_in(mail.text)
    assert claim_link.startswith(f"{BASE_URL}/x/")
    assert leave.startswith(f"{BASE_URL}/unsubscribe/")
    # (a long header is folded onto a second line)
    assert "".join(mail.message["List-Unsubscribe"].split()) == f"<{leave}>"

    # and the share and its recipients are stored, sent
    stored = Share.objects.get()
    assert (stored.channel, stored.subject, stored.message) == (
        "email",
        "Ada sent you 10% off",
        "You will love this shop.",
    )
    assert stored.link is not None and claim_link.endswith(f"/x/{stored.link.code}")
    assert stored.link.channel == "email"
    rows = ShareRecipient.objects.order_by("email")
    assert [(r.email, r.status, r.sent_at, r.attempts) for r in rows] == [
        (f"pal{n}@example.org", RecipientStatus.SENT, NOW, 1) for n in (1, 2, 3)
    ]
    assert not Job.objects.exists()


def test_the_default_wording_when_the_advocate_writes_none(api, api_site, code, smtp):
    share(api, api_site.slug, code, recipients=["pal@example.org"])

    (mail,) = smtp.received
    assert mail.message["Subject"] == "Ada sent you an offer"
    assert mail.text.startswith("Ada thought you would like this offer.")


def test_the_request_never_waits_on_the_mail_server_and_the_worker_retries(
    api, api_site, code, smtp_down, time_machine
):
    # given the mail server is down
    # when the advocate shares
    response = share(api, api_site.slug, code, recipients="pal@example.org")

    # then the request succeeds at once: the mail is queued, and its first attempt failed
    assert response.status_code == 200, response.content
    assert response.json()["result"]["stats"]["currently_sent"] == 1
    recipient = ShareRecipient.objects.get()
    assert recipient.status == RecipientStatus.QUEUED
    assert recipient.attempts == 1
    assert "ConnectionRefusedError" in recipient.last_error
    job = Job.objects.get()
    assert job.failed_at is None and job.run_after > NOW

    # when the server is back and the retry is due
    smtp_down.start()
    time_machine.move_to(job.run_after, tick=False)
    drain()

    # then the mail goes out
    assert [r.recipients for r in smtp_down.received] == [["pal@example.org"]]
    recipient.refresh_from_db()
    assert (recipient.status, recipient.attempts, recipient.last_error) == ("sent", 2, "")
    assert not Job.objects.exists()


def test_a_recipient_the_server_refuses_for_good_fails_at_once(api, api_site, code, smtp):
    smtp.handler.refuse["gone@example.org"] = "550 5.1.1 No such mailbox"

    share(api, api_site.slug, code, recipients="gone@example.org,pal@example.org")

    statuses = dict(ShareRecipient.objects.values_list("email", "status"))
    assert statuses == {"gone@example.org": "failed", "pal@example.org": "sent"}
    gone = ShareRecipient.objects.get(email="gone@example.org")
    assert "No such mailbox" in gone.last_error
    assert not Job.objects.exists()


def test_a_temporary_refusal_is_retried(api, api_site, code, smtp, time_machine):
    smtp.handler.refuse["busy@example.org"] = "451 4.3.0 Try again later"

    share(api, api_site.slug, code, recipients="busy@example.org")

    recipient = ShareRecipient.objects.get()
    assert (recipient.status, recipient.attempts) == ("queued", 1)
    del smtp.handler.refuse["busy@example.org"]
    time_machine.move_to(Job.objects.get().run_after, tick=False)
    drain()
    recipient.refresh_from_db()
    assert recipient.status == "sent"
    assert [r.recipients for r in smtp.received] == [["busy@example.org"]]


# ---- judging recipients ---------------------------------------------------------------------


def test_refused_recipients_are_reported_and_get_nothing(api, api_site, code, smtp):
    # given an unsubscribed person and a blocklisted domain
    PersonFactory(site=api_site.site, email="quiet@example.org", unsubscribed_at=NOW)
    api_site.site.blocklist.create(value="*@spam.example")
    forget_program(api_site.site.id)

    response = share(
        api,
        api_site.slug,
        code,
        recipients="not-an-email, ADVOCATE@example.com, quiet@example.org, x@spam.example, "
        "pal@example.org",
    )

    result = response.json()["result"]
    flags = {
        address: {k for k, v in verdict.items() if v}
        for address, verdict in result["recipients"].items()
    }
    assert flags == {
        "not-an-email": set(),
        "advocate@example.com": {"email_valid", "self_referral"},
        "quiet@example.org": {"email_valid", "unsubscribed", "meets_criteria"},
        "x@spam.example": {"email_valid", "blocklisted", "blacklisted", "meets_criteria"},
        "pal@example.org": {"email_valid", "meets_criteria", "sharable", "currently_sent"},
    }
    assert (result["stats"]["currently_sent"], result["stats"]["currently_not_sent"]) == (1, 4)
    assert list(ShareRecipient.objects.values_list("email", flat=True)) == ["pal@example.org"]
    assert [r.recipients for r in smtp.received] == [["pal@example.org"]]


def test_a_blocklisted_advocate_sends_nothing(api, api_site, code, smtp):
    api_site.site.blocklist.create(value=ADVOCATE)
    forget_program(api_site.site.id)

    result = share(api, api_site.slug, code, recipients="pal@example.org").json()["result"]

    assert result["success"] is False
    assert result["stats"]["advocate_blocked"] is True
    assert result["recipients"]["pal@example.org"]["currently_sent"] is False
    assert not Share.objects.exists()
    assert smtp.received == []


def test_a_recipient_sent_before_is_sent_again_only_as_a_reminder(api, api_site, code, smtp):
    share(api, api_site.slug, code, recipients="pal@example.org")

    again = share(api, api_site.slug, code, recipients="pal@example.org,new@example.org")
    result = again.json()["result"]
    assert result["recipients"]["pal@example.org"]["previously_sent"] is True
    assert result["recipients"]["pal@example.org"]["currently_sent"] is False
    assert result["stats"] | {"left_emails": 0} == {
        "currently_sent": 1,
        "currently_not_sent": 1,
        "previously_sent": 1,
        "total_sent": 2,
        "sent_limit_exceeded": False,
        "left_emails": 0,
        "advocate_blocked": False,
    }
    assert len(smtp.to("pal@example.org")) == 1

    reminder = share(api, api_site.slug, code, recipients="pal@example.org", reminder=True)
    assert reminder.json()["result"]["recipients"]["pal@example.org"]["currently_sent"] is True
    assert reminder.json()["result"]["stats"]["total_sent"] == 2
    assert len(smtp.to("pal@example.org")) == 2
    assert Share.objects.filter(reminder=True).count() == 1


def test_validation_only_judges_and_stores_and_sends_nothing(api, api_site, code, smtp):
    response = share(
        api, api_site.slug, code, recipients="pal@example.org,bad", validation_only=True
    )

    result = response.json()["result"]
    assert (result["success"], result["validation_only"]) == (True, True)
    assert result["recipients"]["pal@example.org"]["sharable"] is True
    assert result["recipients"]["pal@example.org"]["currently_sent"] is False
    assert result["recipients"]["bad"]["email_valid"] is False
    assert not Share.objects.exists() and not ShareRecipient.objects.exists()
    assert not Job.objects.exists()
    assert smtp.received == []


def test_the_daily_limit_holds_back_the_rest(api, api_site, code, smtp, monkeypatch, time_machine):
    monkeypatch.setattr(email_shares, "DAILY_LIMIT", 2)

    result = share(api, api_site.slug, code, recipients="a@example.org,b@example.org,c@example.org")
    stats = result.json()["result"]["stats"]
    assert (stats["currently_sent"], stats["sent_limit_exceeded"], stats["left_emails"]) == (
        2,
        True,
        0,
    )
    assert result.json()["result"]["recipients"]["c@example.org"]["currently_sent"] is False
    assert len(smtp.received) == 2

    # a day later the advocate may send again
    time_machine.move_to(NOW + timedelta(hours=24), tick=False)
    later = share(api, api_site.slug, code, recipients="c@example.org").json()["result"]
    assert (later["stats"]["currently_sent"], later["stats"]["left_emails"]) == (1, 1)


def test_a_shared_incentive_rewards_the_advocate(api, api_site, code, smtp):
    campaign = Campaign.objects.get(site=api_site.site)
    Incentive.objects.create(
        campaign=campaign,
        identifier="share-bonus",
        reason="shared",
        incentive_type="rebate",
        amount=Decimal("5"),
        description="$5 for sharing",
    )
    forget_program(api_site.site.id)

    result = share(api, api_site.slug, code, recipients="pal@example.org").json()["result"]

    assert result["reward"] is not None
    assert (result["reward"]["reason"], result["reward"]["amount"]) == ("shared", 5.0)
    assert result["rewards"] == [result["reward"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "`recipients` is required"),
        ({"recipients": ""}, "`recipients` is required"),
        ({"recipients": " , ; "}, "`recipients` is required"),
        ({"recipients": 42}, "`recipients` must be a string of email addresses"),
        ({"recipients": {"a": 1}}, "`recipients` must be a string of email addresses"),
        ({"recipients": "a@example.org", "subject": 7}, "`subject` must be a string"),
        ({"recipients": "a@example.org", "subject": "s" * 256}, "`subject` is too long"),
        ({"recipients": "a@example.org", "body": ["x"]}, "`body` must be a string"),
        ({"recipients": "a@example.org", "reminder": "soon"}, "`reminder` must be true or false"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(api, api_site, code, smtp, body, message):
    response = share(api, api_site.slug, code, **body)

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["error_message"].startswith(message)
    assert not Share.objects.exists() and not Job.objects.exists()


def test_too_many_recipients_are_refused(api, api_site, code, smtp):
    many = ",".join(f"p{n}@example.org" for n in range(email_shares.MAX_RECIPIENTS + 1))

    response = share(api, api_site.slug, code, recipients=many)

    assert response.status_code == 400
    assert response.json()["error_message"] == "`recipients` lists more than 100 addresses"


def test_an_unknown_or_foreign_offer_is_not_found(api, api_site, code, smtp):
    other = SiteFactory()

    mine = share(api, api_site.slug, "nope42", recipients="pal@example.org")
    theirs = share(ApiClient(make_key(other).raw_key), other.slug, code, recipients="a@b.org")

    for response in (mine, theirs):
        assert response.status_code == 400
        assert response.json() == {"ok": False, "error_message": "No offer found by id."}


def test_an_expired_offer_cannot_be_shared(api, api_site, code, smtp, time_machine):
    time_machine.move_to(NOW + timedelta(days=31), tick=False)

    response = share(api, api_site.slug, code, recipients="pal@example.org")

    assert response.status_code == 400
    assert response.json()["error_message"] == "The offer is no longer active."
    assert smtp.received == []


# ---- attribution ----------------------------------------------------------------------------


def test_a_recipients_purchase_through_the_emailed_link_is_attributed_as_share_email(
    api, api_site, code, smtp
):
    # given the advocate emailed their offer, and the friend followed the link in the mail
    share(api, api_site.slug, code, recipients="pal@example.org")
    (mail,) = smtp.to("pal@example.org")
    claim_link = links_in(mail.text)[0]
    _, landed = click(claim_link)
    assert landed.status_code == 302
    assert Claim.objects.get().channel == "email"

    # when the friend buys with the address the mail went to (on another device: no cookie)
    buy(api, api_site.slug, "E-1", "pal@example.org")

    # then the purchase is the advocate's referral, by share email
    referral = referral_of("E-1")
    assert referral is not None
    assert referral.track_method == "share_email"
    assert referral.advocate.email == ADVOCATE
    assert referral.offer.short_url_code == code


def test_a_recipient_who_got_no_mail_is_not_attributed(api, api_site, code, smtp):
    smtp.handler.refuse["gone@example.org"] = "550 No such mailbox"
    share(api, api_site.slug, code, recipients="gone@example.org")

    buy(api, api_site.slug, "E-2", "gone@example.org")

    assert referral_of("E-2") is None


# ---- unsubscribing --------------------------------------------------------------------------


def test_the_unsubscribe_link_unsubscribes_the_recipient_on_post_only(api, api_site, code, smtp):
    share(api, api_site.slug, code, recipients="pal@example.org")
    leave = links_in(smtp.received[0].text)[1]
    path = urlsplit(leave).path
    browser = Client(enforce_csrf_checks=True)

    # opening the link asks, and changes nothing
    page = browser.get(path)
    assert page.status_code == 200
    assert b"pal@example.org" in page.content
    assert not Person.objects.filter(
        email="pal@example.org", unsubscribed_at__isnull=False
    ).exists()

    # the button (or a mail client's one-click POST, without any cookie) unsubscribes
    done = browser.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    person = Person.objects.get(site=api_site.site, email="pal@example.org")
    assert person.unsubscribed_at == NOW

    # and the next share to them is refused
    again = share(api, api_site.slug, code, recipients="pal@example.org", reminder=True)
    assert again.json()["result"]["recipients"]["pal@example.org"]["unsubscribed"] is True
    assert len(smtp.received) == 1


def test_a_tampered_unsubscribe_link_unsubscribes_nobody(api, api_site, code, smtp):
    share(api, api_site.slug, code, recipients="pal@example.org")
    path = urlsplit(links_in(smtp.received[0].text)[1]).path

    response = Client().post(path[:-3] + "xyz")

    assert response.status_code == 404
    assert not Person.objects.filter(unsubscribed_at__isnull=False).exists()


def test_unsubscribed_between_the_share_and_the_send_is_skipped(api_site, code, smtp):
    queued = ApiClient(make_key(api_site.site).raw_key, drain=False)
    share(queued, api_site.slug, code, recipients="pal@example.org")
    PersonFactory(site=api_site.site, email="pal@example.org", unsubscribed_at=NOW)

    drain()

    recipient = ShareRecipient.objects.get()
    assert (recipient.status, recipient.last_error) == ("skipped", "unsubscribed")
    assert smtp.received == []
    assert not Job.objects.exists()


def test_a_mail_that_fails_on_every_attempt_is_given_up(
    api, api_site, code, smtp_down, monkeypatch
):
    from goodword.worker import queue

    monkeypatch.setattr(queue, "MAX_ATTEMPTS", 1)

    share(api, api_site.slug, code, recipients="pal@example.org")

    recipient = ShareRecipient.objects.get()
    assert (recipient.status, recipient.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in recipient.last_error
    assert not Job.objects.exists()
