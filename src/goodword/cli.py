"""The `goodword` command: serve, run, migrate, site management, and Django's own commands."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DEMO_SLUG = "demo"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodword.settings")
    import django

    django.setup()


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
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
    "coupon_lists": [{"identifier": "welcome", "static_code": "WELCOME10"}],
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
                    "coupon_list": "welcome",
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


def cmd_run(args: argparse.Namespace) -> int:
    from django.conf import settings

    cmd_migrate(argparse.Namespace(verbosity=0))
    slug, key = ensure_demo_site()
    ensure_demo_program()
    from goodword.portal.staff import staff_demo_ensure

    agent, agent_password = staff_demo_ensure(
        site_slug=slug, password_file=Path(settings.VAR_DIR) / "demo_portal_password"
    )
    base = f"http://{'localhost' if args.host in ('0.0.0.0', '127.0.0.1') else args.host}"  # noqa: S104
    print(
        "\n".join(
            [
                "",
                "Goodword is ready.",
                f"  database:  {str(settings.DATABASES['default']['ENGINE']).rsplit('.', 1)[-1]}",
                f"  site_slug: {slug}",
                f"  api_key:   {key}",
                f"  API docs:  {base}:{args.port}/api/v2/docs",
                f"  portal:    {base}:{args.port}/portal/",
                f"             log in as {agent} with the password {agent_password}",
                "             (an agent of the demo site; `goodword staff add` makes more)",
                "  worker:    running beside the server (attribution, approvals)",
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
    from goodword.worker.loop import Worker

    Worker(batch=args.batch, poll=args.poll, concurrency=args.concurrency).run(once=args.once)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from goodword.worker.selectors import job_status

    _print_json(job_status())
    return 0


def cmd_batches(args: argparse.Namespace) -> int:
    from goodword.origins.batches import origin_batch_list
    from goodword.sites.selectors import site_get

    site = site_get(slug=args.slug)
    _print_json({"site_slug": site.slug, "batches": origin_batch_list(site=site, limit=args.limit)})
    return 0


def cmd_site_create(args: argparse.Namespace) -> int:
    from goodword.sites.services import site_create

    issued = site_create(slug=args.slug, name=args.name, currency=args.currency)
    site = issued.api_key.site
    _print_json(
        {
            "site_slug": site.slug,
            "name": site.name,
            "currency": site.currency,
            "api_key": issued.raw_key,
        }
    )
    return 0


def cmd_site_keys(args: argparse.Namespace) -> int:
    from goodword.sites.selectors import api_key_list, site_get
    from goodword.sites.services import api_key_create, api_key_revoke

    site = site_get(slug=args.slug)
    if args.create:
        issued = api_key_create(site=site, name=args.name or "")
        _print_json(
            {"site_slug": site.slug, "api_key": issued.raw_key, "prefix": issued.api_key.prefix}
        )
        return 0
    if args.revoke:
        key = api_key_revoke(site=site, prefix=args.revoke)
        _print_json({"site_slug": site.slug, "revoked": key.prefix, "revoked_at": key.revoked_at})
        return 0
    _print_json(
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
    from goodword.config.formats import document_parse, format_for
    from goodword.config.schema import ConfigInvalid
    from goodword.config.services import config_apply

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"goodword: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        document = document_parse(text=text, fmt=format_for(args.file, text))
        report = config_apply(document=document, dry_run=args.dry_run)
    except ConfigInvalid as exc:
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
    _print_json(out)
    return 0


def cmd_config_export(args: argparse.Namespace) -> int:
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
    from goodword.campaigns.services import coupon_codes_from_csv, coupon_list_get, coupons_import
    from goodword.sites.selectors import site_get

    site = site_get(slug=args.slug)
    coupon_list = coupon_list_get(site=site, identifier=args.list)
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as fh:
            report = coupons_import(
                site=site, coupon_list=coupon_list, codes=coupon_codes_from_csv(fh)
            )
    except OSError as exc:
        print(f"goodword: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    _print_json(
        {
            "site_slug": site.slug,
            "coupon_list": coupon_list.identifier,
            "imported": report.imported,
            "duplicates": report.duplicates,
        }
    )
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
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
    _print_json(out)
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from goodword.portal.staff import staff_list

    _print_json({"staff": staff_list(site_slug=args.site)})
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["goodword manage", *args.rest])
    return 0


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("GOODWORD_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GOODWORD_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("GOODWORD_WORKERS", str(os.cpu_count() or 1))),
        help="server processes (default: one per core)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goodword", description="Goodword, a self-hosted referral engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or update the database tables")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="serve the HTTP API with a production WSGI server")
    _serve_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="first run: migrate, make a demo site, print its key, serve")
    _serve_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("worker", help="run background jobs (attribution, approvals, webhooks)")
    p.add_argument("--once", action="store_true", help="run what is due, then exit (cron)")
    p.add_argument("--batch", type=int, default=100, help="jobs claimed at a time")
    p.add_argument("--poll", type=float, default=0.2, help="seconds between polls when idle")
    p.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="webhook deliveries sent side by side (default 8 on PostgreSQL, 1 on SQLite)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("status", help="the job backlog and the age of the oldest due job")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "batches", help="a site's recent batch imports: counts, status and each row's error"
    )
    p.add_argument("slug")
    p.add_argument("--limit", type=int, default=20, help="how many batches, newest first")
    p.set_defaults(func=cmd_batches)

    site = sub.add_parser("site", help="manage sites and their API keys")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    p = site_sub.add_parser("create", help="create a site; prints its first API key once")
    p.add_argument("slug")
    p.add_argument("--name")
    p.add_argument("--currency", default="USD")
    p.set_defaults(func=cmd_site_create)
    p = site_sub.add_parser("keys", help="list a site's keys, or create or revoke one")
    p.add_argument("slug")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--create", action="store_true", help="create a key (shown once)")
    group.add_argument("--revoke", metavar="PREFIX", help="revoke the key with this prefix")
    p.add_argument("--name", help="a label for a new key")
    p.set_defaults(func=cmd_site_keys)

    config = sub.add_parser("config", help="apply or export a site's configuration file")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    p = config_sub.add_parser(
        "apply", help="create or update a site from a YAML or JSON file (docs/configuration.md)"
    )
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.set_defaults(func=cmd_config_apply)
    p = config_sub.add_parser("export", help="write a site's configuration in the same format")
    p.add_argument("slug")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--format", choices=["yaml", "json"], help="default: from --output's extension, else yaml"
    )
    p.set_defaults(func=cmd_config_export)

    coupons = sub.add_parser("coupons", help="manage single-use coupon codes")
    coupons_sub = coupons.add_subparsers(dest="coupons_command", required=True)
    p = coupons_sub.add_parser(
        "import", help="add codes from a CSV (a `code` column, or one code per line)"
    )
    p.add_argument("slug")
    p.add_argument("list", help="the coupon list's identifier")
    p.add_argument("file", help="the CSV file")
    p.set_defaults(func=cmd_coupons_import)

    staff = sub.add_parser("staff", help="portal users: who may log in to which site, as what")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    p = staff_sub.add_parser(
        "add",
        help="create or update a portal user with a role on a site; prints a new user's "
        "one-time password",
    )
    p.add_argument("email")
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
    p.set_defaults(func=cmd_staff_add)
    p = staff_sub.add_parser("list", help="portal users with their sites and roles")
    p.add_argument("--site", help="only this site's staff")
    p.set_defaults(func=cmd_staff_list)

    from goodword.webhooks.cli import add_parser as add_webhooks_parser

    add_webhooks_parser(sub)

    p = sub.add_parser("manage", help="run a Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


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


def main(argv: list[str] | None = None) -> int:
    argv = _join_option_values(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    _setup()
    from django.db import DatabaseError

    from goodword.core.errors import DomainError

    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"goodword: {exc.message}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(
            f"goodword: database error: {exc} (is the database up, and has "
            "`goodword migrate` run?)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
