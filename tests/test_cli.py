"""The `goodword` command: site and key management, and serving over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils.timezone import now as timezone_now

from goodword.cli import build_parser, main
from goodword.origins.models import Origin
from goodword.sites.models import ApiKey, Site
from goodword.sites.services import hash_key
from tests.conftest import ApiClient
from tests.factories import PurchaseDataFactory, SiteFactory, make_key
from tests.helpers import PURCHASE_URL
from tests.ops.support import REPO, Process, free_port

GOODWORD_BIN = str(Path(sys.executable).with_name("goodword"))


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
    server = Process(
        [sys.executable, "-m", "goodword.cli", "serve", *SERVE_OPTIONS, "--port", str(port)],
        env=env,
        cwd=REPO,
        log=tmp_path / "serve.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(f"{base}/healthz", timeout=30)
        yield base
    finally:
        server.stop()


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


def test_a_second_serve_on_a_taken_port_refuses_to_start(served):
    # given a server listening (granian binds with SO_REUSEPORT)
    port = int(served.rsplit(":", 1)[1])
    env = {**os.environ, "DATABASE_URL": database_url_for_tests()}

    # when a second server is started on the same port
    second = subprocess.run(
        [sys.executable, "-m", "goodword.cli", "serve", *SERVE_OPTIONS, "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then it refuses with a clear error and exit status 2, and the first one keeps serving
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in second.stderr
    assert "serving on" not in second.stdout
    assert requests.get(f"{served}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("command", ["serve", "run"])
def test_serve_and_run_refuse_a_port_held_with_reuseport(db, capsys, command):
    # given a listener that allows port sharing, as another granian server would
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        # when goodword is asked to serve there
        code = main([command, *SERVE_OPTIONS, "--port", str(port)])

    # then it stops before serving, saying why
    out, err = capsys.readouterr()
    assert code == 2
    assert "already in use" in err
    assert "serving on" not in out


# -- a CLI that explains itself --------------------------------------------------------------


def _parsers(parser=None, path=("goodword",)):
    """Every parser of the command tree with its path, the top one first."""
    import argparse

    parser = parser or build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


def test_every_command_and_option_has_help():
    import argparse

    for path, parser in _parsers():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                described = {a.dest for a in action._choices_actions if a.help}
                assert described == set(action.choices), f"{' '.join(path)}: undescribed"
                continue
            name = "/".join(action.option_strings) or action.dest
            assert action.help, f"{' '.join(path)} {name} has no help"
        if len(path) > 1 and path[-1] != "manage":
            assert parser.description, f"{' '.join(path)} has no description"


def test_help_lists_site_list_and_explains_the_coupon_file(capsys):
    with pytest.raises(SystemExit):
        main(["site", "--help"])
    assert "list" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["coupons", "import", "--help"])
    out = capsys.readouterr().out
    assert "`code` column" in out and "one code per line" in out
    assert "\n  code\n  FRIEND-0001\n" in out


def test_site_list_shows_every_site_as_a_table_or_as_json(db, capsys):
    # given two sites, one with a second key and a revoked one
    run(capsys, "site", "create", "b-shop", "--name", "B Shop", "--currency", "EUR")
    _, a, _ = run(capsys, "site", "create", "a-shop")
    run(capsys, "site", "keys", "a-shop", "--create")
    run(capsys, "site", "keys", "a-shop", "--revoke", a["api_key"][:8])

    # when listed for a person
    assert main(["site", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()

    # then one row per site, by slug, under a header
    assert lines[0].split() == [
        "slug",
        "name",
        "currency",
        "active",
        "keys",
        "campaigns",
        "created",
    ]
    assert lines[1].split()[:5] == ["a-shop", "a-shop", "USD", "1", "0"]
    assert lines[2].split()[:6] == ["b-shop", "B", "Shop", "EUR", "1", "0"]

    # and as JSON for a script
    code, out, _ = run(capsys, "site", "list", "--json")
    assert code == 0
    assert [(s["site_slug"], s["currency"], s["active_keys"]) for s in out["sites"]] == [
        ("a-shop", "USD", 1),
        ("b-shop", "EUR", 1),
    ]


def test_site_list_of_no_sites_says_how_to_make_one(db, capsys):
    assert main(["site", "list"]) == 0
    assert "goodword site create" in capsys.readouterr().out


def test_status_for_a_person_shows_the_same_numbers_as_json(db, capsys, frozen_now):
    from datetime import timedelta

    from goodword.worker import queue
    from tests.conftest import NOW
    from tests.factories import CouponFactory, CouponListFactory

    # given a due job 12 s late and a pool with one code left of two
    site = SiteFactory(slug="shop")
    queue.enqueue(site_id=site.pk, kind="attribute", run_after=NOW - timedelta(seconds=12))
    pool = CouponListFactory(site=site, identifier="friend-10")
    CouponFactory(coupon_list=pool)
    CouponFactory(coupon_list=pool, claimed_at=NOW)

    # when a person asks
    assert main(["status"]) == 0
    text = capsys.readouterr().out

    # then the same numbers are there as tables
    assert "jobs: 1 due, 0 running, 0 scheduled, 0 failed; oldest due job waiting 12.0 s" in text
    assert ["attribute", "1", "0", "0", "0", "12.0"] in [line.split() for line in text.splitlines()]
    # (available, claimed, and taken in the last hour)
    assert ["shop", "friend-10", "1", "1", "1"] in [line.split() for line in text.splitlines()]
    assert "webhook deliveries: none" in text


def test_an_unknown_site_is_named_with_a_hint(db, capsys):
    code, out, err = run(capsys, "webhooks", "log", "nope")
    assert code == 2 and out is None
    assert err == "goodword: no site 'nope' (`goodword site list` shows the sites)\n"


def test_an_unexpected_error_is_one_line_not_a_traceback(db, capsys, monkeypatch):
    # given a command that fails in a way nobody planned for
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("goodword.sites.selectors.site_list", boom)

    # when run, it says so in one line and exits 1
    code, out, err = run(capsys, "site", "list")
    assert code == 1 and out is None
    assert err == (
        "goodword: unexpected error: RuntimeError: disk on fire "
        "(GOODWORD_DEBUG=1 shows the traceback)\n"
    )


def test_progress_is_shown_on_a_terminal_only():
    import io

    from goodword.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    # on a terminal the count goes by, and the line is cleared at the end
    tty = Terminal()
    progress = Progress("importing codes.csv", stream=tty)
    assert list(progress.counting(iter(range(2500)), "codes read")) == list(range(2500))
    progress.done()
    shown = tty.getvalue()
    assert "importing codes.csv: 1,000 codes read" in shown
    assert "importing codes.csv: 2,500 codes read" in shown
    assert shown.endswith("\r\x1b[2K")

    # elsewhere (a pipe, a log file) nothing at all
    pipe = io.StringIO()
    quiet = Progress("importing codes.csv", stream=pipe)
    assert list(quiet.counting(iter(range(2500)), "codes read")) == list(range(2500))
    quiet.done()
    assert pipe.getvalue() == ""


def test_coupons_import_prints_only_its_result_when_not_on_a_terminal(db, capsys, tmp_path):
    from tests.factories import CouponListFactory

    site = SiteFactory(slug="shop")
    CouponListFactory(site=site, identifier="friend-10")
    path = tmp_path / "codes.csv"
    path.write_text("code\n" + "".join(f"F-{i}\n" for i in range(1500)))

    code, out, err = run(capsys, "coupons", "import", "shop", "friend-10", str(path))

    assert code == 0 and err == ""
    assert out == {
        "site_slug": "shop",
        "coupon_list": "friend-10",
        "imported": 1500,
        "duplicates": 0,
    }


def test_the_shipped_example_code_file_imports(db, capsys):
    from tests.factories import CouponListFactory

    site = SiteFactory(slug="my-store")
    CouponListFactory(site=site, identifier="friend-10")
    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "friend-codes.csv"

    code, out, _ = run(capsys, "coupons", "import", "my-store", "friend-10", str(example))

    assert code == 0
    assert out["imported"] == len(example.read_text().splitlines()) - 1  # less the header
    assert out["duplicates"] == 0


def test_serving_points_links_at_the_port_unless_a_base_url_is_set(monkeypatch, tmp_path):
    import argparse

    from goodword.cli import _serving_environment

    monkeypatch.delenv("GOODWORD_BASE_URL", raising=False)
    monkeypatch.delenv("GOODWORD_METRICS", raising=False)
    monkeypatch.delenv("GOODWORD_METRICS_TOKEN", raising=False)

    # given no base URL, links follow the port (on the local host)
    _serving_environment(argparse.Namespace(host="127.0.0.1", port=8123))
    assert os.environ["GOODWORD_BASE_URL"] == "http://localhost:8123"

    # and a public host given to --host is kept
    monkeypatch.delenv("GOODWORD_BASE_URL")
    _serving_environment(argparse.Namespace(host="refer.internal", port=9000))
    assert os.environ["GOODWORD_BASE_URL"] == "http://refer.internal:9000"

    # but an operator's base URL wins
    monkeypatch.setenv("GOODWORD_BASE_URL", "https://refer.example.com")
    _serving_environment(argparse.Namespace(host="0.0.0.0", port=8123))  # noqa: S104
    assert os.environ["GOODWORD_BASE_URL"] == "https://refer.example.com"


def test_serving_with_metrics_gives_the_processes_a_fresh_metrics_directory(monkeypatch, tmp_path):
    import argparse

    from goodword.cli import _serving_environment

    monkeypatch.setenv("GOODWORD_BASE_URL", "https://refer.example.com")
    monkeypatch.setenv("GOODWORD_METRICS", "1")
    monkeypatch.setenv("GOODWORD_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    stale = tmp_path / "metrics" / "counter_123.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")

    _serving_environment(argparse.Namespace(host="127.0.0.1", port=8000))

    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    assert list((tmp_path / "metrics").iterdir()) == []


# -- as a process: closed pipes, Ctrl-C, bad settings -------------------------------------------


def test_a_closed_pipe_ends_quietly(transactional_db, tmp_path):
    # given more sites than a pipe holds
    Site.objects.bulk_create(
        [Site(slug=f"site-{i:04}", name=f"Site {i}", created_at=timezone_now()) for i in range(800)]
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "GOODWORD_VAR_DIR": str(tmp_path),
    }
    env.pop("GOODWORD_TEST_DB_NAME", None)

    # when the reader takes a few bytes and goes away (`goodword site list --json | head`)
    proc = subprocess.Popen(
        [GOODWORD_BIN, "site", "list", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.read(10) == b'{\n  "sites'
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=30)

    # then it stops without a word on stderr, with the closed-pipe status
    assert err == ""
    assert code == 141


def test_ctrl_c_stops_a_command_without_a_traceback(tmp_path):
    # given the webhook receiver waiting for deliveries
    port = free_port()
    proc = subprocess.Popen(
        [GOODWORD_BIN, "webhooks", "receive", "--port", str(port)],
        env={**os.environ, "GOODWORD_VAR_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert b"receiving webhooks" in proc.stderr.readline()

    # when Ctrl-C is pressed
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)

    # then it says so in its own words
    assert proc.stderr.read().decode() == "goodword: interrupted\n"
    assert code == 130


def test_a_bad_setting_is_named_without_a_traceback(tmp_path):
    done = subprocess.run(
        [GOODWORD_BIN, "status"],
        env={**os.environ, "GOODWORD_VAR_DIR": str(tmp_path), "GOODWORD_LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "goodword: cannot start: GOODWORD_LOG_FORMAT must be plain or json, not 'xml'\n"
    )


# -- batches --wait ------------------------------------------------------------------------


def test_batches_wait_follows_a_batch_to_its_end(db, capsys, api_site):
    from tests.batch.support import PURCHASES_URL, purchase

    # given a batch that the worker has stored (the API client runs it)
    response = ApiClient(api_site.key).post(
        PURCHASES_URL, {"site_slug": api_site.slug, "data": [purchase("W-1"), {"email": 5}]}
    )
    batch_id = response.json()["result"]["batch_id"]

    # when waited for, it reports the batch's result
    code, out, err = run(capsys, "batches", api_site.slug, "--wait", str(batch_id))
    assert code == 0 and err == ""
    assert (out["id"], out["rows"], out["stored"], out["failed"]) == (batch_id, 2, 1, 1)
    assert out["finished_at"] is not None


def test_batches_wait_gives_up_after_its_timeout_and_says_why(db, capsys, api_site):
    from tests.batch.support import PURCHASES_URL, purchase

    # given a batch no worker runs
    response = ApiClient(api_site.key, drain=False).post(
        PURCHASES_URL, {"site_slug": api_site.slug, "data": [purchase("W-2")]}
    )
    batch_id = response.json()["result"]["batch_id"]

    # when waited for with no time to wait
    code = main(["batches", api_site.slug, "--wait", str(batch_id), "--timeout", "0"])
    out, err = capsys.readouterr()

    # then it shows where it stands and exits 2 with the likely cause
    assert code == 2
    assert json.loads(out)["pending"] == 1
    assert err == (
        f"goodword: batch {batch_id} still has 1 rows pending after 0 s: "
        "is a `goodword worker` running?\n"
    )


def test_batches_wait_for_a_batch_of_another_site_is_refused(db, capsys, api_site):
    other = SiteFactory()
    code, out, err = run(capsys, "batches", other.slug, "--wait", "999")
    assert code == 2 and out is None
    assert err == f"goodword: site {other.slug} has no batch 999\n"


def test_the_run_banner_says_where_mail_goes():
    from types import SimpleNamespace

    from goodword.cli import _mail_target
    from goodword.core.email_url import parse_email_url

    console = SimpleNamespace(**parse_email_url("console://"))
    smtp = SimpleNamespace(**parse_email_url("smtp+tls://u:p@mail.example.com"))

    assert _mail_target(console).startswith("printed by the worker")
    assert _mail_target(smtp) == "SMTP server mail.example.com:587 (EMAIL_URL)"
