"""A small HTTP/1.1 keep-alive load generator (asyncio, one process, loopback only).

Written here rather than pulling in wrk so the benchmark needs nothing outside the project's
virtual environment. Each connection sends one request at a time and waits for the answer, so
`connections` is the concurrency. Runs are bounded by time.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "requests": self.count,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(50), 2),
            "p99_ms": round(self.pct(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2)
            if self.latencies
            else None,
            "statuses": self.statuses,
            "errors": self.errors,
        }


def build_post(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line[15:].strip())
        elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str,
    port: int,
    make_request: RequestFactory,
    counter: list[int],
    deadline: float,
    warm_until: float,
    result: Result,
    interval: float = 0.0,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    next_at = time.perf_counter()
    try:
        while True:
            now = time.perf_counter()
            if now >= deadline:
                return
            if interval:
                # Paced: this connection's share of a fixed request rate.
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                next_at += interval
            counter[0] += 1
            request = make_request(counter[0])
            start = time.perf_counter()
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            end = time.perf_counter()
            if start >= warm_until:
                result.latencies.append(end - start)
                result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(
    name: str,
    host: str,
    port: int,
    make_request: RequestFactory,
    connections: int,
    seconds: float,
    warmup: float,
    counter: list[int],
    rate: float = 0.0,
) -> Result:
    start = time.perf_counter()
    warm_until = start + warmup
    deadline = warm_until + seconds
    result = Result(name=name, seconds=seconds)
    interval = connections / rate if rate else 0.0
    await asyncio.gather(
        *(
            _worker(host, port, make_request, counter, deadline, warm_until, result, interval)
            for _ in range(connections)
        )
    )
    return result


def run(
    name: str,
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    connections: int = 32,
    seconds: float = 10.0,
    warmup: float = 2.0,
    counter: list[int] | None = None,
    rate: float = 0.0,
) -> Result:
    """Drive the endpoint; `rate` (requests/s over all connections) paces it, 0 = flat out."""
    return asyncio.run(
        _run(name, host, port, make_request, connections, seconds, warmup, counter or [0], rate)
    )
