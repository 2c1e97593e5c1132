"""`goodword webhooks log | redeliver | sample | secret`, against a real receiver."""

from __future__ import annotations

import json

import pytest

from goodword.cli import main
from goodword.config.schema import HOOK_TYPES as CONFIG_TYPES
from goodword.webhooks.cli import HOOK_TYPES
from goodword.webhooks.models import Delivery, HookType
from goodword.webhooks.services import webhook_emit
from goodword.webhooks.types import EXTENSION_TYPES
from goodword.worker.loop import drain
from tests.factories import SiteFactory
from tests.webhooks.contract import assert_valid
from tests.webhooks.support import SECRET, subscribe

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.usefixtures("frozen_now")]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_knows_every_type():
    assert tuple(HOOK_TYPES) == tuple(HookType.values) == tuple(CONFIG_TYPES)


@pytest.mark.parametrize("hook_type", HOOK_TYPES)
def test_sample_print_is_a_valid_body_of_every_type(capsys, hook_type):
    site = SiteFactory(slug="shop")
    code, out, _ = run(capsys, "webhooks", "sample", site.slug, hook_type, "--print")
    assert code == 0
    body = json.loads(out)
    if hook_type in EXTENSION_TYPES:
        # Goodword's own type: not in Talkable's contract, documented in docs/webhooks.md.
        assert body["type"] == hook_type and body["payload"]["coupon_list_id"] == 8
    else:
        assert_valid(body, hook_type)
    assert body["extras"] == {"sample": True}


def test_sample_sends_to_the_subscriptions_and_reports_the_attempt(capsys, receiver):
    site = SiteFactory(slug="shop")
    subscribe(site, receiver.url, "referral_web_hook")
    code, out, _ = run(capsys, "webhooks", "sample", "shop", "referral_web_hook")
    assert code == 0
    (entry,) = json.loads(out)
    assert entry["status"] == "delivered" and entry["recent_attempts"][0]["status_code"] == 200
    assert_valid(receiver.received[0].document, "referral_web_hook")


def test_sample_without_a_subscription_is_a_clear_error(capsys):
    SiteFactory(slug="shop")
    code, _, err = run(capsys, "webhooks", "sample", "shop", "event_web_hook")
    assert code == 2 and "no active event_web_hook subscription" in err


def test_log_and_redeliver(capsys, receiver):
    site = SiteFactory(slug="shop")
    subscribe(site, receiver.url, "event_web_hook")
    webhook_emit(site_id=site.pk, hook_type="event_web_hook", payload={"a": 1})
    drain()
    first = Delivery.objects.get()
    code, out, _ = run(capsys, "webhooks", "redeliver", str(first.pk))
    assert code == 0 and json.loads(out)["status"] == "delivered"
    code, out, _ = run(capsys, "webhooks", "log", "shop")
    log = json.loads(out)["deliveries"]
    assert [d["redelivery_of"] for d in log] == [first.pk, None]
    assert log[1]["recent_attempts"][0]["status_code"] == 200
    assert len({r.delivery_id for r in receiver.received}) == 2


@pytest.mark.parametrize("ident", ["999", "not-a-uuid", "6f1c1f38-7c7f-4a8b-9d8e-0d1f2a3b4c5d"])
def test_redeliver_of_an_unknown_delivery_is_a_clear_error(capsys, ident):
    code, _, err = run(capsys, "webhooks", "redeliver", ident)
    assert code == 2 and "goodword:" in err and "Traceback" not in err


def test_secret_rotation_shows_both_during_the_overlap(capsys):
    site = SiteFactory(slug="shop")
    subscribe(site, "https://example.com/h", "event_web_hook")
    code, out, _ = run(capsys, "webhooks", "secret", "shop")
    assert json.loads(out)["signing_secret"] == SECRET
    code, out, _ = run(capsys, "webhooks", "secret", "shop", "--rotate", "--overlap", "2h")
    shown = json.loads(out)
    assert shown["previous_signing_secret"] == SECRET and shown["signing_secret"] != SECRET
    code, _, err = run(capsys, "webhooks", "secret", "shop", "--rotate", "--overlap", "soon")
    assert code == 2 and "--overlap" in err
