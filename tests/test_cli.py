"""The `goodword` command: site and key management, and serving over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

from goodword.cli import main
from goodword.origins.models import Origin
from goodword.sites.models import ApiKey, Site
from goodword.sites.services import hash_key
from tests.conftest import ApiClient
from tests.factories import PurchaseDataFactory, SiteFactory, make_key
from tests.helpers import PURCHASE_URL


def run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    """Run the command; its exit code, its JSON output (if any) and its stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def purchase_works(site_slug: str, key: str) -> bool:
    response = ApiClient(key).post(
        PURCHASE_URL, {"site_slug": site_slug, "data": dict(PurchaseDataFactory())}
    )
    return response.status_code == 201


def test_site_create_prints_the_slug_and_a_key_that_works(db, capsys):
    # when a site is created from the command line
    code, out, _ = run(capsys, "site", "create", "shop", "--name", "Shop")

    # then it prints the site and its key once, and that key can write to the site
    assert code == 0
    assert out["site_slug"] == "shop"
    assert out["name"] == "Shop"
    assert out["currency"] == "USD"
    assert Site.objects.get(slug="shop").name == "Shop"
    assert purchase_works("shop", out["api_key"])


def test_site_create_takes_a_currency(db, capsys):
    code, out, _ = run(capsys, "site", "create", "euro-shop", "--currency", "eur")
    assert code == 0
    assert out["currency"] == "EUR"
    assert Site.objects.get(slug="euro-shop").currency == "EUR"


def test_site_keys_lists_prefixes_and_never_the_keys(db, capsys):
    # given a site with two keys, one revoked
    code, created, _ = run(capsys, "site", "create", "shop")
    _, second, _ = run(capsys, "site", "keys", "shop", "--create", "--name", "checkout")
    run(capsys, "site", "keys", "shop", "--revoke", created["api_key"][:8])

    # when its keys are listed
    code, out, _ = run(capsys, "site", "keys", "shop")

    # then each is shown by prefix, name and state, and no key is printed
    assert code == 0
    assert out["site_slug"] == "shop"
    listed = [(k["prefix"], k["name"], k["active"]) for k in out["keys"]]
    assert listed == [
        (created["api_key"][:8], "default", False),
        (second["api_key"][:8], "checkout", True),
    ]
    assert out["keys"][0]["revoked_at"] is not None
    text = json.dumps(out)
    assert created["api_key"] not in text and second["api_key"] not in text


def test_site_keys_create_prints_a_new_key_that_works(db, capsys):
    site = SiteFactory(slug="shop")

    code, out, _ = run(capsys, "site", "keys", "shop", "--create")

    assert code == 0
    assert out["prefix"] == out["api_key"][:8]
    assert ApiKey.objects.filter(site=site).count() == 1
    assert purchase_works("shop", out["api_key"])


def test_site_keys_revoke_stops_the_key_at_once(db, capsys):
    # given a key that has been used (and so is cached as valid)
    site = SiteFactory(slug="shop")
    raw = make_key(site).raw_key
    keep = make_key(site).raw_key
    assert purchase_works("shop", raw)

    # when it is revoked from the command line
    code, out, _ = run(capsys, "site", "keys", "shop", "--revoke", raw[:8])

    # then it no longer works, and the site's other key still does
    assert code == 0
    assert out["revoked"] == raw[:8] and out["revoked_at"]
    assert not purchase_works("shop", raw)
    assert purchase_works("shop", keep)


# Regression: `--revoke -AbC1234` was an argparse usage error; keys made before keys stopped
# starting with '-' must still be revocable as --help shows.
def test_a_key_whose_prefix_starts_with_a_dash_can_be_revoked_as_help_shows(db, capsys, frozen_now):
    # given an older key whose listed prefix starts with "-"
    site = SiteFactory(slug="shop")
    raw = "-AbC1234" + "x" * 32
    ApiKey.objects.create(site=site, prefix=raw[:8], key_hash=hash_key(raw), created_at=frozen_now)

    # when it is revoked by the prefix the listing shows, as `--revoke PREFIX`
    code, out, _ = run(capsys, "site", "keys", "shop", "--revoke", raw[:8])

    # then it is revoked
    assert code == 0
    assert out["revoked"] == raw[:8]
    assert not ApiKey.objects.get().is_active


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["site", "create", "taken"], id="duplicate-slug"),
        pytest.param(["site", "create", "Not A Slug"], id="bad-slug"),
        pytest.param(["site", "create", "shop2", "--currency", "dollars"], id="bad-currency"),
        pytest.param(["site", "keys", "missing"], id="keys-of-unknown-site"),
        pytest.param(["site", "keys", "missing", "--create"], id="create-on-unknown-site"),
        pytest.param(["site", "keys", "taken", "--revoke", "nope1234"], id="unknown-prefix"),
    ],
)
def test_refusals_exit_2_with_a_message_and_change_nothing(db, capsys, argv):
    # given one site
    SiteFactory(slug="taken")
    keys_before = ApiKey.objects.count()

    # when the command is refused
    code, out, err = run(capsys, *argv)

    # then it exits 2, says why on stderr, prints nothing on stdout and changes nothing
    assert code == 2
    assert out is None
    assert err.startswith("goodword: ")
    assert list(Site.objects.values_list("slug", flat=True)) == ["taken"]
    assert ApiKey.objects.count() == keys_before


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["site"], id="no-site-command"),
        pytest.param(["site", "keys", "shop", "--create", "--revoke", "abc"], id="both"),
        pytest.param(["nope"], id="unknown-command"),
    ],
)
def test_usage_errors_exit_2(db, capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: goodword" in capsys.readouterr().err


# -- `goodword serve` over real HTTP --------------------------------------------------------


def database_url_for_tests() -> str:
    """A DATABASE_URL for the database this test run uses (the test database)."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(conf.get("USER") or "")
        password = conf.get("PASSWORD") or ""
        auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
        host = conf.get("HOST") or "localhost"
        port = conf.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(conf['NAME'])}"
    pytest.skip(f"no DATABASE_URL form for {connection.vendor}")


SERVE_OPTIONS = ["--host", "127.0.0.1", "--workers", "1", "--threads", "2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(transactional_db, tmp_path) -> Iterator[str]:
    """`goodword serve` in a subprocess on the test database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "GOODWORD_VAR_DIR": str(settings.VAR_DIR),
        "GOODWORD_LOG_LEVEL": "WARNING",
    }
    env.pop("GOODWORD_BENCH_FLOOR", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "goodword.cli", "serve", *SERVE_OPTIONS, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"goodword serve exited {proc.returncode}:\n{log.read_text()}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"goodword serve did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_answers_the_api_over_http(served):
    # given a site on the database the server uses
    site = SiteFactory()
    key = make_key(site).raw_key

    # when a client posts a purchase to the running server, as curl would
    response = requests.post(
        f"{served}{PURCHASE_URL}",
        json={"site_slug": site.slug, "data": dict(PurchaseDataFactory(order_number="http-1"))},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )

    # then it is created and stored where this test can see it
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["result"]["origin"]["order_number"] == "http-1"
    assert Origin.objects.filter(site=site, order_number="http-1").count() == 1

    # and the server is ready on the same database vendor
    ready = requests.get(f"{served}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json() == {"ok": True, "database": connection.vendor}

    # and it refuses a wrong key in the envelope
    refused = requests.post(
        f"{served}{PURCHASE_URL}",
        json={"site_slug": site.slug, "data": dict(PurchaseDataFactory())},
        auth=("wrong-key", ""),
        timeout=10,
    )
    assert refused.status_code == 401
    assert refused.json()["ok"] is False
