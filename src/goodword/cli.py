"""The `goodword` command: serve, run, migrate, site management, and Django's own commands."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from goodword.core.cli import (
    add_command,
    add_group,
    add_json_option,
    add_limit_option,
    add_slug_argument,
    print_json,
    table,
)

DEMO_SLUG = "demo"
T = TypeVar("T")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodword.settings")
    import django

    django.setup()


class CommandError(Exception):
    """A failure the command explains in its own words (exit status 2)."""


class Progress:
    """A one-line progress report on stderr, only when stderr is a terminal: scripts and logs
    get the result alone."""

    def __init__(self, what: str, *, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.what = what
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._shown = False

    def update(self, text: str, *, force: bool = False) -> None:
        if not self.enabled:
            return
        moment = time.monotonic()
        if not force and moment - self._last < 0.1:
            return
        self._last = moment
        self.stream.write(f"\r\x1b[2K{self.what}: {text}")
        self.stream.flush()
        self._shown = True

    def counting(self, items: Iterable[T], unit: str) -> Iterator[T]:
        """`items` passed through, their count shown as they go."""
        count = 0
        for count, item in enumerate(items, 1):
            if count % 1000 == 0:
                self.update(f"{count:,} {unit}")
            yield item
        self.update(f"{count:,} {unit}", force=True)

    def done(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def cmd_migrate(args: argparse.Namespace) -> int:
    """create or update the database tables

    Create or update the database tables (run after every upgrade)."""

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def port_check(host: str, port: int) -> None:
    """Refuse a port another process listens on. granian binds with SO_REUSEPORT, so a second
    server on a taken port would start silently and share the requests with the first one
    (perhaps on another database): a plain bind, without that option, tells."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # A port left in TIME_WAIT by a server that just stopped is free to take again.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use (another goodword serve, or "
                    "another program): stop it or choose another port with --port"
                ) from None
            raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """serve the HTTP API with a production WSGI server

    Serve the API, claim links and /metrics. Stateless: run as many as you like behind a
    load balancer (docs/deployment.md)."""

    port_check(args.host, args.port)
    if args.server == "gunicorn":
        os.execvp(  # noqa: S606 - replaces this process with the chosen server
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "goodword.wsgi:application",
                "--bind",
                f"{args.host}:{args.port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
            ],
        )
    from granian import Granian
    from granian.constants import Interfaces

    print(
        f"goodword: serving on http://{args.host}:{args.port} "
        f"(granian, {args.workers} workers x {args.threads} threads)",
        flush=True,
    )
    Granian(
        "goodword.wsgi:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        backlog=2048,
        respawn_failed_workers=True,
    ).serve()
    return 0


def _demo_key_path() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "demo_api_key"


DEMO_PROGRAM = {
    "site": {"slug": DEMO_SLUG, "name": "Demo store", "currency": "USD"},
    # A pool of single-use codes, filled with `goodword coupons import demo friend-10 FILE`
    # (the README's walk-through does it); a friend who claims while it is empty gets a code
    # once some are imported (a `Waiting for coupon` reward, docs/rewards.md).
    "coupon_lists": [{"identifier": "friend-10", "name": "$10 off for friends"}],
    "campaigns": [
        {
            "slug": "invite",
            "name": "Give $10, get $10",
            "tags": ["invite"],
            "status": "Live",
            "joinable": ["affiliate_member", "purchase"],
            "destination_url": "https://shop.example.com/",
            "offer_expiry_days": 90,
            "incentives": [
                {
                    "identifier": "advocate-rebate",
                    "reason": "referrer",
                    "type": "rebate",
                    "amount": 10,
                    "description": "$10 back for every friend who buys",
                },
                {
                    "identifier": "friend-welcome",
                    "reason": "click",
                    "type": "discount_coupon",
                    "coupon_list": "friend-10",
                    "amount": 10,
                    "description": "$10 off a first order",
                },
            ],
        }
    ],
}


def ensure_demo_program() -> None:
    """Give the demo site a small live program the first time, so a newcomer can try a whole
    referral cycle; a demo site that already has campaigns is left as it is."""
    from goodword.campaigns.models import Campaign
    from goodword.config.services import config_apply

    if not Campaign.objects.filter(site__slug=DEMO_SLUG).exists():
        config_apply(document=DEMO_PROGRAM)


def ensure_demo_site() -> tuple[str, str]:
    """The demo site's slug and an API key for it. The demo key is kept in var/ (the only key
    ever kept in clear) so that `goodword run` can show it again on every start."""
    from goodword.sites.models import ApiKey, Site
    from goodword.sites.services import api_key_create, hash_key, site_create

    path = _demo_key_path()
    site = Site.objects.filter(slug=DEMO_SLUG).first()
    if site is None:
        issued = site_create(slug=DEMO_SLUG, name="Demo store", currency="USD")
    else:
        if path.exists():
            raw = path.read_text().strip()
            if ApiKey.objects.filter(
                site=site, key_hash=hash_key(raw), revoked_at__isnull=True
            ).exists():
                return DEMO_SLUG, raw
        issued = api_key_create(site=site, name="demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(issued.raw_key)
    path.chmod(0o600)
    return DEMO_SLUG, issued.raw_key


def _mail_target(settings: Any) -> str:
    """Where the worker's mails (email shares) go, for the start banner."""
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return f"SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} (EMAIL_URL)"
    return "printed by the worker on this console (set EMAIL_URL to send them)"


def cmd_run(args: argparse.Namespace) -> int:
    """first run: migrate, make a demo site, print its key, serve with a worker

    For a laptop: migrate, create the demo site with a small live program, print its API
    key (kept in GOODWORD_VAR_DIR/demo_api_key) and serve with a worker beside the server."""

    from django.conf import settings

    port_check(args.host, args.port)
    cmd_migrate(argparse.Namespace(verbosity=0))
    slug, key = ensure_demo_site()
    ensure_demo_program()
    from goodword.portal.staff import staff_demo_ensure

    agent, agent_password = staff_demo_ensure(
        site_slug=slug, password_file=Path(settings.VAR_DIR) / "demo_portal_password"
    )
    base = settings.BASE_URL
    print(
        "\n".join(
            [
                "",
                "Goodword is ready.",
                f"  database:  {str(settings.DATABASES['default']['ENGINE']).rsplit('.', 1)[-1]}",
                f"  site_slug: {slug}",
                f"  api_key:   {key}   (also in {_demo_key_path()})",
                f"  base URL:  {base}   (claim links; GOODWORD_BASE_URL)",
                f"  API docs:  {base}/api/v2/docs",
                f"  portal:    {base}/portal/",
                f"             log in as {agent} with the password {agent_password}",
                "             (an agent of the demo site; `goodword staff add` makes more)",
                "  worker:    running beside the server (attribution, approvals, webhooks)",
                f"  mail:      {_mail_target(settings)}",
                "",
            ]
        ),
        flush=True,
    )
    # The worker runs as its own process, so a slow job never holds a request thread; it is
    # stopped with the server.
    worker = subprocess.Popen([sys.executable, "-m", "goodword.cli", "worker"])
    try:
        return cmd_serve(args)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def cmd_worker(args: argparse.Namespace) -> int:
    """run background jobs (attribution, approvals, rewards, webhooks)

    Claim due jobs from the database and run them until stopped (SIGTERM or Ctrl-C finish
    the current batch). Run as many as you like on PostgreSQL."""

    from goodword.worker.loop import Worker

    if args.metrics_port is not None:
        from goodword.observability.metrics import serve_worker_metrics

        serve_worker_metrics(args.metrics_port, args.metrics_host)
    Worker(batch=args.batch, poll=args.poll, concurrency=args.concurrency).run(once=args.once)
    return 0


KIND_COLUMNS = ("due", "running", "scheduled", "failed", "oldest_due_age_seconds")


def status_text(status: dict[str, Any]) -> str:
    """`goodword status` for a person: the numbers of `--json` and of /metrics, as tables."""
    lines = [
        f"jobs: {status['due']} due, {status['running']} running, "
        f"{status['scheduled']} scheduled, {status['failed']} failed; "
        f"oldest due job waiting {status['oldest_due_age_seconds']} s",
    ]
    if status["by_kind"]:
        lines += [
            "",
            table(
                ["kind", "due", "running", "scheduled", "failed", "oldest due (s)"],
                [[k, *(v[c] for c in KIND_COLUMNS)] for k, v in status["by_kind"].items()],
            ),
        ]
    hooks = status["webhook_deliveries"]
    lines += [
        "",
        "webhook deliveries: "
        + (", ".join(f"{n} {state}" for state, n in hooks.items()) if hooks else "none"),
    ]
    pools = status["coupon_pools"]
    lines += ["", "coupon pools:" + ("" if pools else " none")]
    if pools:
        lines.append(
            table(
                ["site", "list", "available", "claimed", "taken/hour"],
                [
                    [p[k] for k in ("site_slug", "coupon_list", "available", "claimed")]
                    + [p["taken_last_hour"]]
                    for p in pools
                ],
            )
        )
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    """job backlog, oldest due job, webhook deliveries and coupon pools

    What the workers have to do and how far behind they are, webhook deliveries by status
    and coupon pool levels: the numbers /metrics exports."""

    from goodword.observability.selectors import ops_status

    status = ops_status()
    if args.json:
        print_json(status)
    else:
        print(status_text(status))
    return 0


def _wait_for_batch(site: Any, batch_id: int, timeout: float) -> int:
    """Poll one batch until the worker has stored or refused every row; its report, as
    `goodword batches` gives it. Progress on a terminal."""
    from goodword.origins.batches import origin_batch_list
    from goodword.origins.models import OriginBatch

    batch = OriginBatch.objects.filter(site=site, pk=batch_id).first()
    if batch is None:
        raise CommandError(f"site {site.slug} has no batch {batch_id}")
    progress = Progress(f"batch {batch_id}")
    deadline = time.monotonic() + timeout
    newer = OriginBatch.objects.filter(site=site, pk__gt=batch_id).count()
    while True:
        report = next(
            b for b in origin_batch_list(site=site, limit=newer + 1) if b["id"] == batch_id
        )
        progress.update(
            f"{report['stored'] + report['failed']:,} of {report['rows']:,} rows "
            f"({report['stored']:,} stored, {report['failed']:,} failed)",
            force=True,
        )
        if report["finished_at"] is not None or report["status"] == "stalled":
            break
        if time.monotonic() > deadline:
            progress.done()
            print_json(report)
            raise CommandError(
                f"batch {batch_id} still has {report['pending']} rows pending after "
                f"{timeout:g} s: is a `goodword worker` running?"
            )
        time.sleep(0.2)
    progress.done()
    print_json(report)
    return 0 if report["status"] != "stalled" else 1


def cmd_batches(args: argparse.Namespace) -> int:
    """a site's recent batch imports: counts, status and each row's error

    A site's recent batches (POST /api/v2/origins/batch/...), newest first, as JSON;
    --wait ID follows one batch until every row is stored or refused."""

    from goodword.origins.batches import origin_batch_list
    from goodword.sites.selectors import site_get

    site = site_get(slug=args.slug)
    if args.wait is not None:
        return _wait_for_batch(site, args.wait, args.timeout)
    print_json({"site_slug": site.slug, "batches": origin_batch_list(site=site, limit=args.limit)})
    return 0


def cmd_site_list(args: argparse.Namespace) -> int:
    """every site with its currency, active keys and campaigns

    Every site: slug, name, currency, active keys, campaigns, created."""

    from goodword.sites.selectors import site_list

    sites = site_list()
    if args.json:
        print_json({"sites": sites})
    elif not sites:
        print("no sites yet: `goodword site create SLUG` or `goodword config apply FILE`")
    else:
        print(
            table(
                ["slug", "name", "currency", "active keys", "campaigns", "created"],
                [
                    [
                        *(s[c] for c in ("site_slug", "name", "currency", "active_keys")),
                        s["campaigns"],
                        str(s["created_at"])[:19],
                    ]
                    for s in sites
                ],
            )
        )
    return 0


def cmd_site_create(args: argparse.Namespace) -> int:
    """create a site; prints its first API key once

    Create a site and print its first API key (shown once, stored hashed)."""

    from goodword.sites.services import site_create

    issued = site_create(
        slug=args.slug, name=args.name, currency=args.currency, time_zone=args.time_zone
    )
    site = issued.api_key.site
    print_json(
        {
            "site_slug": site.slug,
            "name": site.name,
            "currency": site.currency,
            "time_zone": site.time_zone,
            "api_key": issued.raw_key,
        }
    )
    return 0


def cmd_site_time_zone(args: argparse.Namespace) -> int:
    """show or set the zone a site's API answers and webhooks write times in

    Show the site's time zone, or set it (an IANA name such as America/New_York): every
    timestamp the API returns and every webhook carries is written with its offset. Stored
    times do not change. `time_zone` in the configuration file sets it too."""

    from goodword.sites.selectors import site_get
    from goodword.sites.services import site_time_zone_set

    site = site_get(slug=args.slug)
    if args.zone is not None:
        site = site_time_zone_set(site=site, time_zone=args.zone)
    print_json({"site_slug": site.slug, "time_zone": site.time_zone})
    return 0


def cmd_site_keys(args: argparse.Namespace) -> int:
    """list a site's keys, or create or revoke one

    List a site's API keys by prefix (never the keys), create one (shown once) or revoke
    one."""

    from goodword.sites.selectors import api_key_list, site_get
    from goodword.sites.services import api_key_create, api_key_revoke

    site = site_get(slug=args.slug)
    if args.create:
        issued = api_key_create(site=site, name=args.name or "")
        print_json(
            {"site_slug": site.slug, "api_key": issued.raw_key, "prefix": issued.api_key.prefix}
        )
        return 0
    if args.revoke:
        key = api_key_revoke(site=site, prefix=args.revoke)
        print_json({"site_slug": site.slug, "revoked": key.prefix, "revoked_at": key.revoked_at})
        return 0
    print_json(
        {
            "site_slug": site.slug,
            "keys": [
                {
                    "prefix": k.prefix,
                    "name": k.name,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                    "active": k.is_active,
                }
                for k in api_key_list(site=site)
            ],
        }
    )
    return 0


def cmd_config_apply(args: argparse.Namespace) -> int:
    """create or update a site from a YAML or JSON file (docs/configuration.md)

    Create or update a site from a file, in one transaction: all of it or nothing. Prints
    the changes (and a new site's API key) as JSON."""

    from goodword.config.formats import document_parse, format_for
    from goodword.config.schema import ConfigInvalid
    from goodword.config.services import config_apply

    progress = Progress(f"config {args.file}")
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"goodword: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        progress.update(f"parsing {len(text):,} characters", force=True)
        document = document_parse(text=text, fmt=format_for(args.file, text))
        progress.update("checking and applying in one transaction", force=True)
        report = config_apply(document=document, dry_run=args.dry_run)
        progress.done()
    except ConfigInvalid as exc:
        progress.done()
        # One line per error, located in the file, like a compiler's.
        for error in exc.errors:
            print(f"goodword: {args.file}: {error}", file=sys.stderr)
        print(f"goodword: {args.file}: nothing applied", file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"goodword: warning: {warning}", file=sys.stderr)
    out: dict[str, Any] = {"site_slug": report.site_slug}
    if report.api_key:
        out["api_key"] = report.api_key
    out.update(
        {
            "dry_run": report.dry_run,
            "summary": report.summary(),
            "changes": [str(c) for c in report.changes if c.action != "unchanged"],
            "warnings": report.warnings,
        }
    )
    print_json(out)
    return 0


def cmd_config_export(args: argparse.Namespace) -> int:
    """write a site's configuration in the same format

    Write a site's configuration; applying it back changes nothing."""

    from goodword.config.formats import document_dump, format_for
    from goodword.config.selectors import config_export
    from goodword.sites.selectors import site_get

    site = site_get(slug=args.slug)
    fmt = args.format or (format_for(args.output) if args.output else "yaml")
    text = document_dump(document=config_export(site=site), fmt=fmt)
    if fmt == "yaml":
        text = (
            f"# Goodword configuration of site {site.slug}: `goodword config apply FILE`\n"
            f"# applies it; docs/configuration.md describes the format.\n{text}"
        )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_coupons_import(args: argparse.Namespace) -> int:
    """add codes from a CSV (a `code` column, or one code per line)

    Add single-use codes to a pool list (a coupon list without a static code)
    from a CSV file: either a header row with a `code` column (other columns are
    ignored) or one code per line without a header. Codes the site already has are
    counted as duplicates; all or nothing, safe to re-run."""

    from goodword.coupons.selectors import coupon_list_get
    from goodword.coupons.services import coupon_codes_from_csv
    from goodword.rewards.services import coupons_import_and_pay_waiting
    from goodword.sites.selectors import site_get

    site = site_get(slug=args.slug)
    coupon_list = coupon_list_get(site=site, identifier=args.list)
    progress = Progress(f"importing {args.file}")
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as fh:
            report = coupons_import_and_pay_waiting(
                site=site,
                coupon_list=coupon_list,
                codes=progress.counting(coupon_codes_from_csv(fh), "codes read"),
            )
    except OSError as exc:
        print(f"goodword: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    finally:
        progress.done()
    print_json(
        {
            "site_slug": site.slug,
            "coupon_list": coupon_list.identifier,
            "imported": report.imported,
            "duplicates": report.duplicates,
        }
    )
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    """create or update a portal user with a role on a site; prints a new user's
    one-time password

    Create a portal user, or give an existing one a role on a site. A new user gets a
    one-time password, printed once, unless --password-stdin gives one."""

    from goodword.portal.staff import staff_add

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("goodword: --password-stdin: no password on standard input", file=sys.stderr)
            return 2
    added = staff_add(
        email=args.email,
        site_slug=args.site,
        role=args.role,
        password=password,
        reset_password=args.reset_password,
    )
    out: dict[str, Any] = {
        "email": added.email,
        "site_slug": added.site_slug,
        "role": added.role,
        "created": added.created,
    }
    if added.password is not None:
        out["password"] = added.password
        out["note"] = "shown once: give it to the user, who changes it at /portal/password/"
    print_json(out)
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    """portal users with their sites and roles

    List portal users with their sites and roles."""

    from goodword.portal.staff import staff_list

    print_json({"staff": staff_list(site_slug=args.site)})
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    """run a Django management command (e.g. createsuperuser)

    Run a Django management command: goodword manage COMMAND [ARGS]."""

    from django.core.management import execute_from_command_line

    execute_from_command_line(["goodword manage", *args.rest])
    return 0


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=os.environ.get("GOODWORD_HOST", "127.0.0.1"),
        help="address to listen on (default: GOODWORD_HOST, else 127.0.0.1; 0.0.0.0 for all)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GOODWORD_PORT", "8000")),
        help="port to listen on (default: GOODWORD_PORT, else 8000); without "
        "GOODWORD_BASE_URL, links point at http://localhost:PORT",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("GOODWORD_WORKERS", str(os.cpu_count() or 1))),
        help="server processes (default: GOODWORD_WORKERS, else one per core)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per process (default 4)")
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn"],
        default="granian",
        help="WSGI server (default granian; gunicorn needs the [gunicorn] extra)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goodword",
        description="Goodword, a self-hosted referral engine with a Talkable-compatible API. "
        "Settings come from the environment (docs/configuration.md); commands that report "
        "print JSON unless they say otherwise.",
        epilog="`goodword COMMAND --help` describes a command.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = add_command(sub, "migrate", cmd_migrate)
    p.add_argument("--verbosity", type=int, default=1, help="0 quiet, 1 normal, 2 more")
    _serve_options(add_command(sub, "serve", cmd_serve))
    _serve_options(add_command(sub, "run", cmd_run))
    _worker_options(add_command(sub, "worker", cmd_worker))
    add_json_option(add_command(sub, "status", cmd_status))
    p = add_command(sub, "batches", cmd_batches)
    add_slug_argument(p)
    add_limit_option(p, "batches")
    p.add_argument(
        "--wait",
        type=int,
        metavar="BATCH_ID",
        help="wait for this batch (the API answers with its batch_id) and print its report",
    )
    p.add_argument(
        "--timeout", type=float, default=600, help="seconds --wait waits at most (default 600)"
    )

    site = add_group(
        sub,
        "site",
        help="list and create sites, manage their API keys",
        description="Sites (one merchant's program each) and their API keys.",
    )
    p = add_command(site, "create", cmd_site_create)
    p.add_argument("slug", help="the new site's slug, the `site_slug` of API requests")
    p.add_argument("--name", help="display name (default: the slug)")
    p.add_argument("--currency", default="USD", help="ISO 4217 currency (default USD)")
    p.add_argument(
        "--time-zone",
        default="UTC",
        help="IANA zone the API and webhooks write times in (default UTC)",
    )
    p = add_command(site, "time-zone", cmd_site_time_zone)
    add_slug_argument(p)
    p.add_argument("zone", nargs="?", help="the new zone, e.g. America/New_York (omit to show)")
    p = add_command(site, "keys", cmd_site_keys)
    add_slug_argument(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--create", action="store_true", help="create a key (shown once)")
    group.add_argument("--revoke", metavar="PREFIX", help="revoke the key with this prefix")
    p.add_argument("--name", help="a label for a new key")
    add_json_option(add_command(site, "list", cmd_site_list))

    config = add_group(
        sub,
        "config",
        help="apply or export a site's configuration file",
        description="A site's program as a YAML or JSON file (docs/configuration.md).",
    )
    p = add_command(config, "apply", cmd_config_apply)
    p.add_argument("file", help="the configuration file (.yml, .yaml or .json)")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p = add_command(config, "export", cmd_config_export)
    add_slug_argument(p)
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--format", choices=["yaml", "json"], help="default: from --output's extension, else yaml"
    )

    coupons = add_group(
        sub,
        "coupons",
        help="manage single-use coupon codes",
        description="Single-use coupon codes of a site's pool lists.",
    )
    p = add_command(
        coupons,
        "import",
        cmd_coupons_import,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="An example file:\n\n  code\n  FRIEND-0001\n  FRIEND-0002\n",
    )
    add_slug_argument(p)
    p.add_argument("list", help="the pool list's identifier (its `identifier` in the config)")
    p.add_argument("file", help="the CSV file")

    staff = add_group(
        sub,
        "staff",
        help="portal users: who may log in to which site, as what",
        description="Staff accounts of the customer-service portal (/portal/): each user has a "
        "role per site (viewer reads; agent approves, voids, unblocks, creates referrals and "
        "keeps the blocklist; manager also sees settings, API keys and coupon imports).",
    )
    _staff_add_options(add_command(staff, "add", cmd_staff_add))
    p = add_command(staff, "list", cmd_staff_list)
    p.add_argument("--site", help="only this site's staff")

    from goodword.webhooks.cli import add_parser as add_webhooks_parser

    add_webhooks_parser(sub)

    p = add_command(sub, "manage", cmd_manage, add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the command and its arguments")
    return parser


def _worker_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="run what is due, then exit (cron)")
    p.add_argument("--batch", type=int, default=100, help="jobs claimed at a time (default 100)")
    p.add_argument(
        "--poll", type=float, default=0.2, help="seconds between polls when idle (default 0.2)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="webhook requests sent side by side (default 8); other jobs that wait on the "
        "network: 8 on PostgreSQL, 1 on SQLite",
    )
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this worker's Prometheus metrics on this port (for workers on machines "
        "without a web process)",
    )
    p.add_argument(
        "--metrics-host",
        default="0.0.0.0",  # noqa: S104 - scraped from another machine
        help="address for --metrics-port (default all)",
    )


def _staff_add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("email", help="the staff member's email, which is also their login")
    p.add_argument("--site", required=True, help="the site's slug")
    p.add_argument(
        "--role",
        required=True,
        choices=["viewer", "agent", "manager"],
        help="viewer reads; agent also acts; manager also sees settings and keys",
    )
    password = p.add_mutually_exclusive_group()
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="set the password read from the first line of standard input",
    )
    password.add_argument(
        "--reset-password",
        action="store_true",
        help="give an existing user a new one-time password (printed once)",
    )


def _join_option_values(argv: list[str]) -> list[str]:
    """`--revoke -AbC` as `--revoke=-AbC`: a value may start with '-' (older key prefixes)."""
    joined: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--revoke" and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            joined.append(f"--revoke={argv[i + 1]}")
            i += 2
            continue
        joined.append(argv[i])
        i += 1
    return joined


def _serving_environment(args: argparse.Namespace) -> None:
    """Before Django starts for `serve` and `run`: links follow the port unless
    GOODWORD_BASE_URL says otherwise, and with metrics on, the server's processes share a
    metrics directory. The environment carries both to the server's processes and the worker."""
    if not os.environ.get("GOODWORD_BASE_URL"):
        host = args.host
        if host in ("0.0.0.0", "127.0.0.1", "::", "[::]", "::1"):  # noqa: S104
            host = "localhost"
        os.environ["GOODWORD_BASE_URL"] = f"http://{host}:{args.port}"
    metrics_on = os.environ.get("GOODWORD_METRICS", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }
    if metrics_on or os.environ.get("GOODWORD_METRICS_TOKEN"):
        from goodword.observability import procdir

        procdir.prepare(Path(os.environ.get("GOODWORD_VAR_DIR", "var")).resolve())


def _say(message: str) -> None:
    print(f"goodword: {message}", file=sys.stderr)


def _quiet_closed_stdout() -> None:
    """The reader went away (`goodword webhooks log SLUG | head`): what is left to print goes
    nowhere, and interpreter shutdown must not complain while flushing."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _run(args: argparse.Namespace) -> int:
    try:
        _setup()
    except Exception as exc:  # settings refused (a bad variable): say which, no traceback
        _say(f"cannot start: {exc}")
        return 2
    from django.db import DatabaseError

    from goodword.core.errors import DomainError, NotFound

    try:
        return int(args.func(args))
    except CommandError as exc:
        _say(str(exc))
        return 2
    except NotFound as exc:
        if exc.code == "site_not_found" and getattr(args, "slug", None):
            _say(f"no site {args.slug!r} (`goodword site list` shows the sites)")
        else:
            _say(exc.message)
        return 2
    except DomainError as exc:
        _say(exc.message)
        return 2
    except DatabaseError as exc:
        _say(
            f"database error: {exc} (is the database up, and has `goodword migrate` run?)",
        )
        return 2
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except Exception as exc:
        from django.conf import settings

        if settings.DEBUG:
            raise
        _say(
            f"unexpected error: {type(exc).__name__}: {exc} (GOODWORD_DEBUG=1 shows the traceback)"
        )
        return 1


def main(argv: list[str] | None = None) -> int:
    argv = _join_option_values(list(sys.argv[1:] if argv is None else argv))
    try:
        args = build_parser().parse_args(argv)
        if args.func in (cmd_serve, cmd_run):
            _serving_environment(args)
        code = _run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_closed_stdout()
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        _say("interrupted")
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
