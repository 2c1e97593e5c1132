"""What the `goodword` commands share: how a command is declared, and how it prints."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from typing import Any

Command = Callable[[argparse.Namespace], int]

SLUG_HELP = "the site's slug (`goodword site list` shows them)"


def add_command(sub: Any, name: str, func: Command, **options: Any) -> Any:
    """A subcommand that runs `func`. Its docstring is what `--help` says, so what a command
    does is written once, beside the code that does it: the first paragraph is the line in the
    list of commands, the rest the command's own description."""
    summary, _, description = inspect.cleandoc(func.__doc__ or "").partition("\n\n")
    parser = sub.add_parser(
        name, help=" ".join(summary.split()), description=description or None, **options
    )
    parser.set_defaults(func=func)
    return parser


def add_group(sub: Any, name: str, *, help: str, description: str) -> Any:
    """A command made of subcommands (`goodword NAME SUBCOMMAND`); returns what
    `add_command` adds them to."""
    group = sub.add_parser(name, help=help, description=description)
    return group.add_subparsers(dest=f"{name}_command", required=True, metavar="SUBCOMMAND")


def add_slug_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slug", help=SLUG_HELP)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON for scripts instead of a table"
    )


def add_limit_option(parser: argparse.ArgumentParser, things: str) -> None:
    parser.add_argument("--limit", type=int, default=20, help=f"how many {things}, newest first")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """Columns padded to their widest cell, for a person to read."""
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    )
