"""Prometheus metrics.

Counters and histograms live in the process that observes them (requests in the web
processes, jobs and webhook attempts in the workers). `goodword serve` and `goodword run` point
PROMETHEUS_MULTIPROC_DIR at a directory under GOODWORD_VAR_DIR before any server process starts,
so every granian worker and a worker started beside them write there and one scrape of
`/metrics` sums them all. Gauges that describe shared state (job backlog, webhook deliveries,
coupon pools) are read from the database at scrape time, so any web process gives the same
numbers, whichever machine the workers run on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from goodword.observability.procdir import MULTIPROC_ENV

REQUESTS = Counter(
    "goodword_http_requests",
    "HTTP requests answered, by route pattern, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "goodword_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern.",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOBS_RUN = Counter(
    "goodword_jobs_run",
    "Jobs run by workers, by kind and outcome (done, failed, rescheduled, lost).",
    ["kind", "outcome"],
)
WEBHOOK_ATTEMPTS = Counter(
    "goodword_webhook_attempts",
    "Webhook delivery attempts, by outcome (delivered, retry, failed).",
    ["outcome"],
)
WEBHOOK_SECONDS = Histogram(
    "goodword_webhook_attempt_duration_seconds",
    "Time the receiver took to answer a webhook delivery attempt, by outcome.",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# The route of a request no URL pattern matched: one label value, whatever the path, so that
# scanners cannot blow up the number of series.
UNMATCHED = "(unmatched)"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route).observe(seconds)


def observe_jobs(kind: str, outcomes: dict[str, int]) -> None:
    for outcome, count in outcomes.items():
        if count:
            JOBS_RUN.labels(kind, outcome).inc(count)


def observe_webhook_attempt(outcome: str, latency_ms: int) -> None:
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    WEBHOOK_SECONDS.labels(outcome).observe(latency_ms / 1000)


def connect_signals() -> None:
    """Count webhook attempts as they are stored: the attempt row is the record of what the
    receiver answered and how fast, whichever code path stored it."""
    from django.db import transaction
    from django.db.models.signals import post_save

    from goodword.webhooks.models import DeliveryAttempt

    def attempt_saved(sender: Any, instance: DeliveryAttempt, created: bool, **_: Any) -> None:
        if created and instance.outcome:
            outcome, latency = instance.outcome, instance.latency_ms
            # Counted when it commits: an attempt rolled back (a lost lease) is not one.
            transaction.on_commit(lambda: observe_webhook_attempt(outcome, latency))

    post_save.connect(
        attempt_saved, sender=DeliveryAttempt, weak=False, dispatch_uid="metrics-attempts"
    )


# The job backlog's gauges, one per column of `jobs_by_kind`: goodword_jobs_<key>.
JOB_GAUGES = {
    "due": "Jobs due now and not yet done",
    "scheduled": "Jobs waiting for a later time",
    "running": "Jobs a worker holds a lease on",
    "failed": "Jobs given up after their last attempt (parked for an operator)",
    "oldest_due_age_seconds": "How long the oldest due job has waited past its time",
}


class DatabaseCollector(Collector):
    """Gauges read at scrape time from the shared database."""

    def collect(self) -> Iterator[Metric]:
        from goodword.coupons.selectors import coupon_pool_levels
        from goodword.observability.selectors import webhook_deliveries_by_status
        from goodword.worker.selectors import jobs_by_kind

        kinds = jobs_by_kind()
        families = {
            key: GaugeMetricFamily(f"goodword_jobs_{key}", f"{what}, by kind.", labels=["kind"])
            for key, what in JOB_GAUGES.items()
        }
        for kind, row in kinds.items():
            for key, family in families.items():
                family.add_metric([kind], float(row[key]))
        yield from families.values()

        deliveries = GaugeMetricFamily(
            "goodword_webhook_deliveries",
            "Stored webhook deliveries, by status (pending, delivered, failed).",
            labels=["status"],
        )
        for status, count in webhook_deliveries_by_status().items():
            deliveries.add_metric([status], float(count))
        yield deliveries

        available = GaugeMetricFamily(
            "goodword_coupon_pool_available",
            "Codes left to hand out in a single-use coupon pool.",
            labels=["site", "coupon_list"],
        )
        claimed = GaugeMetricFamily(
            "goodword_coupon_pool_claimed",
            "Codes already handed out from a single-use coupon pool.",
            labels=["site", "coupon_list"],
        )
        for pool in coupon_pool_levels():
            labels = [pool["site_slug"], pool["coupon_list"]]
            available.add_metric(labels, float(pool["available"]))
            claimed.add_metric(labels, float(pool["claimed"]))
        yield available
        yield claimed


class _ThisProcess(Collector):
    """The default registry (this process's metrics) inside a scrape registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry(*, database: bool) -> CollectorRegistry:
    """What one scrape reports: all processes' counters when they share a metrics directory,
    else this process's; with `database`, the gauges read from the database."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if database:
        registry.register(DatabaseCollector())
    return registry


def exposition(*, database: bool = True) -> bytes:
    return generate_latest(scrape_registry(database=database))


def serve_worker_metrics(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
    """A worker on its own machine: its counters on http://HOST:PORT/metrics, in a thread."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=scrape_registry(database=False))
