"""`goodword manage metrics_explain --site SLUG --metric NAME --start D --end D [--period P]`:
the query plans of one Metrics API answer, as JSON (which index or totals each query reads).

On PostgreSQL each query is run again under EXPLAIN (ANALYZE, BUFFERS); on SQLite, EXPLAIN
QUERY PLAN. For an operator asking why a figure is slow, and for bench/metrics.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from goodword.core.db import is_postgres
from goodword.core.errors import DomainError
from goodword.metrics.periods import date_range
from goodword.metrics.selectors import Filters, metric_calculate, metric_segmentize
from goodword.sites.models import Site


class Command(BaseCommand):
    help = "Print the query plans of one Metrics API answer as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="site slug")
        parser.add_argument("--metric", required=True)
        parser.add_argument("--start", required=True, help="start_date, as the API takes it")
        parser.add_argument("--end", required=True, help="end_date, as the API takes it")
        parser.add_argument("--period", default=None, help="segment_by[period]")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"no site {options['site']!r}")
        captured: list[tuple[str, Any]] = []

        def capture(
            execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
        ) -> Any:
            captured.append((sql, params))
            return execute(sql, params, many, context)

        try:
            span = date_range(start=options["start"], end=options["end"])
            with connection.execute_wrapper(capture):
                if options["period"]:
                    metric_segmentize(
                        site_id=site.id,
                        name=options["metric"],
                        span=span,
                        filters=Filters(),
                        period=options["period"],
                        by_channel=False,
                        tags=[],
                    )
                else:
                    metric_calculate(
                        site_id=site.id, name=options["metric"], span=span, filters=Filters()
                    )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if is_postgres() else "EXPLAIN QUERY PLAN "
        queries = []
        with connection.cursor() as cursor:
            for sql, params in captured:
                cursor.execute(prefix + sql, params)
                plan = [" ".join(str(part) for part in row) for row in cursor.fetchall()]
                queries.append({"sql": sql, "plan": plan})
        self.stdout.write(json.dumps({"metric": options["metric"], "queries": queries}, indent=2))
