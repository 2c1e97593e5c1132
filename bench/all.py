"""Every benchmark in order, then docs/benchmarks.md from their figures (`make bench`).

    .venv/bin/python bench/all.py [--quick] [--only attribution,webhooks] [--out docs/benchmarks.md]

PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_URL's server); each benchmark uses its own
database named goodword_bench_* there. Each runs in a subprocess bounded in time (--budget
seconds at most each); one that fails or runs out of time is reported as such, and the others
still run. `--quick` runs smaller loads (a check that everything runs, not figures to publish).
The page lists the machine (cores, memory, PostgreSQL version, load average before and after),
the commit, every figure with its target and its ratio to the floor or to one worker, and the
command lines that reproduce each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/goodword_bench")
BASE = SERVER.rsplit("/", 1)[0]


@dataclass
class Run:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


def plan(quick: bool) -> list[Run]:
    n = 10 if quick else 1
    seconds = "3" if quick else "10"
    return [
        Run(
            "origins",
            ["bench/origins.py", "--seconds", seconds],
            {"BENCH_DATABASE_URL": f"{BASE}/goodword_bench_origins"},
        ),
        Run(
            "origins_sqlite",
            [
                "bench/origins.py",
                "--seconds",
                seconds,
                "--database-url",
                f"sqlite:///{tempfile.gettempdir()}/goodword_bench_{os.getpid()}.sqlite3",
            ],
        ),
        Run(
            "referrals",
            ["bench/referrals.py", "--seconds", seconds, "--paced-seconds", "5" if quick else "60"],
            {"BENCH_DATABASE_URL": f"{BASE}/goodword_bench_referrals"},
        ),
        Run(
            "attribution",
            ["bench/attribution.py", "--backlog", str(100_000 // n), "--timeout", "300"],
            {"BENCH_ATTRIBUTION_DATABASE_URL": f"{BASE}/goodword_bench_attribution"},
        ),
        Run(
            "attribution_two_workers",
            [
                "bench/attribution.py",
                "--backlog",
                str(100_000 // n),
                "--workers",
                "2",
                "--timeout",
                "300",
            ],
            {"BENCH_ATTRIBUTION_DATABASE_URL": f"{BASE}/goodword_bench_attribution"},
        ),
        Run(
            "batch",
            ["bench/batch.py", "--rows", str(100_000 // n), "--timeout", "300"],
            {"BENCH_DATABASE_URL": f"{BASE}/goodword_bench_batch"},
        ),
        Run(
            "webhooks",
            ["bench/webhooks.py", "--deliveries", str(3000 // n), "--seconds", seconds],
            {"BENCH_DATABASE_URL": f"{BASE}/goodword_bench_webhooks"},
        ),
        Run(
            "approvals",
            ["bench/approvals.py", "--count", str(50_000 // n), "--timeout", "300"],
            {"BENCH_DATABASE_URL": f"{BASE}/goodword_bench_approvals"},
        ),
        Run(
            "metrics",
            [
                "bench/metrics.py",
                "--origins",
                str(1_000_000 // n),
                "--repeat",
                "10" if quick else "30",
                "--timeout",
                "600",
                "--database-url",
                f"{BASE}/goodword_bench_metrics",
            ],
        ),
        Run(
            "scale",
            ["bench/scale.py", "--seconds", seconds, "--large", str(1_000_000 // n)],
            {"BENCH_SCALE_DATABASE_URL": f"{BASE}/goodword_bench_scale"},
        ),
    ]


def last_json(text: str) -> dict[str, Any] | None:
    """The last JSON object printed (benchmarks print one report, indented or not)."""
    start = text.rfind("\n{")
    start = 0 if start < 0 and text.startswith("{") else start
    while start >= 0:
        try:
            value = json.loads(text[start:].strip())
            return value if isinstance(value, dict) else None
        except json.JSONDecodeError:
            start = text.rfind("\n{", 0, start)
    return None


def json_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def checkpoint() -> None:
    """A CHECKPOINT and a sync before each benchmark: the dirty buffers and WAL of the one
    before (a million-row seed, a 100,000-job drain) are written now, and the kernel's dirty
    pages flushed, not on the next one's time. Without them the batch benchmark measured
    3,000 rows/s after the attribution runs against 8,400-8,600 run alone, its PostgreSQL CPU
    per row five times higher: writers throttled while the earlier writes drained."""
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


def execute(run: Run, budget: float) -> None:
    checkpoint()
    started = time.perf_counter()
    print(f"== {run.name}: {' '.join(run.argv)}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            [PY, *run.argv],
            cwd=ROOT,
            env={**os.environ, **run.env},
            capture_output=True,
            text=True,
            timeout=budget,
        )
    except subprocess.TimeoutExpired:
        run.error = f"ran out of its {budget:.0f} s budget"
    else:
        if done.returncode != 0:
            run.error = f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        run.result = last_json(done.stdout)
        run.extra = json_lines(done.stderr)
        if run.result is None and not run.extra and not run.error:
            run.error = "printed no report"
    run.seconds = time.perf_counter() - started


def machine() -> dict[str, str]:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        autovacuum = conn.execute("SHOW autovacuum").fetchone()
    mem = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "memory": mem,
        "cpu": platform.processor() or platform.machine(),
        "postgresql": row[0] if row else "?",
        "autovacuum": autovacuum[0] if autovacuum else "?",
        "commit": commit + (" (with local changes)" if dirty else ""),
    }


def _get(run: Run | None, *path: str) -> Any:
    value: Any = run.result if run else None
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _fixed(value: Any, digits: int = 2, unit: str = "") -> str:
    """A figure whose second decimal matters (a CPU time in ms, a ratio near its target)."""
    if not isinstance(value, (int, float)):
        return "not measured"
    return f"{value:,.{digits}f}{unit}"


def _rows_read(report: Run | None) -> float | None:
    seq = _get(report, "reads_per_job", "total", "seq_rows")
    idx = _get(report, "reads_per_job", "total", "idx_rows")
    return None if seq is None or idx is None else round(seq + idx, 1)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        value = f"{value:,.1f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _ratio(a: Any, b: Any) -> str:
    try:
        return f"{float(a) / float(b):.2f}"
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


NOTES = ROOT / "docs" / "benchmarks-notes.md"


def notes() -> list[str]:
    """The hand-written notes on the figures (what limits a stage that misses its target)."""
    if not NOTES.exists():
        return []
    return [*NOTES.read_text().strip().splitlines(), ""]


def page(runs: list[Run], info: dict[str, str], load: tuple[str, str], quick: bool) -> str:
    by = {run.name: run for run in runs}
    ref, att = by.get("referrals"), by.get("attribution")
    att2, web = by.get("attribution_two_workers"), by.get("webhooks")
    scale = by.get("scale")
    sizes = [
        _fmt(_get(scale, size, "stored_origins_before") or default)
        for size, default in (("large", 1_000_000), ("small", 10_000))
    ]
    approvals = [e for e in (by["approvals"].extra if "approvals" in by else []) if "workers" in e]
    one = next((e for e in approvals if e.get("workers") == 1), None)
    two = next((e for e in approvals if e.get("workers") == 2), None)
    rows = [
        (
            "`POST /origins` (Purchase), requests/s",
            _fmt(_get(by.get("origins"), "origins", "rps")),
            "ratio to floor " + _fmt(_get(by.get("origins"), "ratio_origins_to_floor")),
            "-",
        ),
        (
            "SQLite (`make run`): `POST /origins` (Purchase), requests/s",
            _fmt(_get(by.get("origins_sqlite"), "origins", "rps")),
            "ratio to floor "
            + _fmt(_get(by.get("origins_sqlite"), "ratio_origins_to_floor"))
            + ", p99 "
            + _fmt(_get(by.get("origins_sqlite"), "origins", "p99_ms"), " ms"),
            "-",
        ),
        (
            "friend purchases, requests/s",
            _fmt(_get(ref, "friend_purchases", "rps")),
            "ratio to floor " + _fmt(_get(ref, "ratio_to_floor")),
            "-",
        ),
        (
            "attribution + screening, one worker, referrals/s",
            _fmt(_get(att, "referrals_per_second")),
            "last tenth / first tenth " + _fixed(_get(att, "steadiness_last_to_first")),
            "≥ 1,500 /s, steady",
        ),
        (
            "attribution, two workers, referrals/s",
            _fmt(_get(att2, "referrals_per_second")),
            "x one worker "
            + _ratio(_get(att2, "referrals_per_second"), _get(att, "referrals_per_second")),
            "≥ 1.6x",
        ),
        (
            "attribution, worker CPU per job (user + system)",
            _fixed(_get(att, "worker_cpu_ms_per_job"), 3, " ms"),
            "independent of load",
            "-",
        ),
        (
            "attribution, database server CPU per job (the workers' connections)",
            _fixed(_get(att, "database_cpu_ms_per_job"), 3, " ms"),
            "independent of load",
            "-",
        ),
        (
            "attribution, table rows read per job (pg_stat_user_tables)",
            _fmt(_rows_read(att)),
            "sequential " + _fmt(_get(att, "reads_per_job", "total", "seq_rows")),
            "-",
        ),
        (
            "purchase-to-referral latency, friend purchases paced at a share of intake"
            " for 60 s, one worker, p99",
            _fmt(_get(ref, "origin_to_referral_latency", "p99_ms"), " ms"),
            "p50 "
            + _fmt(_get(ref, "origin_to_referral_latency", "p50_ms"), " ms")
            + ", at "
            + _fmt(_get(ref, "paced_rate"), "/s")
            + " ("
            + _fmt(_get(ref, "paced_share_of_intake"))
            + " of intake)",
            "< 1,000 ms",
        ),
        (
            "batch ingest, one worker, rows/s",
            _fmt(_get(by.get("batch"), "worker_rows_per_second")),
            "ratio to target " + _ratio(_get(by.get("batch"), "worker_rows_per_second"), 5000),
            "≥ 5,000 /s",
        ),
        (
            "batch ingest, worker CPU per row (user + system)",
            _fixed(_get(by.get("batch"), "worker_cpu_ms_per_row"), 3, " ms"),
            "PostgreSQL " + _fixed(_get(by.get("batch"), "postgres_cpu_ms_per_row"), 3, " ms"),
            "-",
        ),
        (
            "webhook deliveries, one worker, /s",
            _fmt(_get(web, "deliveries_per_second_one_worker")),
            "ratio to target "
            + _ratio(_get(web, "deliveries_per_second_one_worker"), 1000)
            + ", worker CPU "
            + _fmt(_get(web, "worker_cpu_ms_per_delivery_one_worker"), " ms")
            + " and "
            + _fmt(_get(web, "statements_per_batch"))
            + " statements a batch of 100",
            "≥ 1,000 /s",
        ),
        (
            "webhook deliveries, two workers, /s",
            _fmt(_get(web, "deliveries_per_second_two_workers")),
            "x one worker "
            + _ratio(
                _get(web, "deliveries_per_second_two_workers"),
                _get(web, "deliveries_per_second_one_worker"),
            ),
            "≥ 1.6x",
        ),
        (
            "approvals + rewards, one worker, /s",
            _fmt(one.get("referrals_per_second") if one else None),
            "two workers x "
            + _ratio(
                two.get("referrals_per_second") if two else None,
                one.get("referrals_per_second") if one else None,
            ),
            "≥ 2,000 /s",
        ),
        (
            "Metrics API on a 1,000,000-purchase site, slowest answer, p99",
            _fmt(_get(by.get("metrics"), "worst_p99_ms"), " ms"),
            "slowest p50 " + _fmt(_get(by.get("metrics"), "worst_p50_ms"), " ms"),
            "< 200 ms",
        ),
        (
            f"`POST /origins` p99, {sizes[0]} stored origins ({sizes[1]})",
            _fmt(_get(scale, "large", "origins", "p99_ms"), " ms")
            + " ("
            + _fmt(_get(scale, "small", "origins", "p99_ms"), " ms")
            + ")",
            "x " + _fixed(_get(scale, "origins_p99_large_to_small")),
            "within 1.2x",
        ),
        (
            f"attribution, one worker, {sizes[0]} stored origins ({sizes[1]}), referrals/s",
            _fmt(_get(scale, "large", "attribution", "referrals_per_second"))
            + " ("
            + _fmt(_get(scale, "small", "attribution", "referrals_per_second"))
            + ")",
            f"{sizes[1]} / {sizes[0]} x " + _fixed(_get(scale, "attribution_small_to_large")),
            "within 1.2x",
        ),
    ]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/all.py); do not edit by hand. Ratios are what count:",
        "absolute figures move with the machine and with what else runs on it.",
        "",
        "## Machine",
        "",
        f"- cores: {info['cores']}, memory: {info['memory']}, CPU: {info['cpu']}",
        f"- PostgreSQL {info['postgresql']} on 127.0.0.1 (autovacuum: {info['autovacuum']})",
        f"- commit: {info['commit']}",
        f"- load average before / after: {load[0]} / {load[1]}",
        f"- run: {'--quick (small loads: a check, not figures)' if quick else 'full loads'}",
        "",
        "## Figures",
        "",
        "Why attribution was erratic and what changed: "
        "[ADR 0014](adr/0014-attribution-throughput.md). What changed since the previous run, "
        "and the causes behind the figures that used to miss: the notes after the table.",
        "",
        "| stage | figure | ratio | target |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        *notes(),
        "## Runs",
        "",
        "| benchmark | command | seconds | outcome |",
        "|---|---|---|---|",
    ]
    for run in runs:
        outcome = run.error or "ok"
        lines.append(
            f"| {run.name} | `.venv/bin/python {' '.join(run.argv)}` | {run.seconds:.0f} | "
            f"{outcome} |"
        )
    lines += [
        "",
        "## Reproduce",
        "",
        "    make bench          # every benchmark in order, then this page",
        "    .venv/bin/python bench/all.py --only attribution,webhooks   # some of them",
        "",
        "Each benchmark is also a script of its own (the commands above); each documents its",
        "load at the top of its file. They need PostgreSQL on 127.0.0.1:5432 and create their own",
        "`goodword_bench_*` databases.",
        "",
        "## Raw reports",
        "",
    ]
    for run in runs:
        lines += [f"### {run.name}", "", "```json"]
        lines.append(json.dumps(run.result or {"extra": run.extra, "error": run.error}, indent=2))
        lines += ["```", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds per benchmark")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    runs = plan(args.quick)
    if args.only:
        wanted = set(args.only.split(","))
        runs = [run for run in runs if run.name in wanted]
    before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    for run in runs:
        execute(run, args.budget)
        print(f"   {run.error or 'ok'} in {run.seconds:.0f} s", file=sys.stderr, flush=True)
    after = " ".join(f"{v:.2f}" for v in os.getloadavg())
    for leftover in Path(tempfile.gettempdir()).glob(f"goodword_bench_{os.getpid()}.sqlite3*"):
        leftover.unlink()
    Path(args.out).write_text(page(runs, machine(), (before, after), args.quick) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0 if all(not run.error for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
