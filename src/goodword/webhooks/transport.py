"""Sending one webhook request: URL and target checks, a pinned connection, timeouts.

The target check resolves the host once and connects to an address it checked, so a DNS answer
that changes between the check and the connect (rebinding) cannot reach an internal address.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
BODY_KEPT = 1000  # characters of the response body kept in the attempt log
BODY_READ = 64 * 1024  # bytes read at most: a huge answer must not hold the worker

# Refused even when a site allows private targets: no intranet receiver lives there, and cloud
# metadata services hand out credentials. 169.254.0.0/16 is link-local as a whole (AWS, GCP and
# Azure metadata at .169.254, ECS task credentials at .170.2); Alibaba's and Oracle's endpoints
# sit outside it; fd00:ec2::254 is AWS's IPv6 one; 0.0.0.0/8 reaches this host on Linux.
ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "100.100.100.200/32",
        "192.0.0.192/32",
        "0.0.0.0/8",
        "255.255.255.255/32",
        "fd00:ec2::254/128",
    )
)
# The NAT64 prefixes: the well-known one carries an IPv4 address in its last 32 bits; the
# local-use one (RFC 8215) is for a site's own translator, so it is private as a whole.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL or the address it resolves to is not allowed; the delivery fails at once."""


@dataclass(frozen=True)
class Response:
    status: int | None  # None: no HTTP answer (network error, timeout)
    body: str
    headers: dict[str, str]
    error: str
    latency_ms: int


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query) of an http(s) URL, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and hands on to: IPv4-mapped and -compatible
    addresses, 6to4 (2002::/16), Teredo (the client's address) and NAT64 (64:ff9b::/96)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated); :: and ::1 are themselves, not an embedding.
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why this address may not be a webhook target, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            refusal = address_refusal(inner, allow_private=allow_private)
            return f"an address that carries {inner}, {refusal}" if refusal else None
    if any(address in network for network in ALWAYS_REFUSED):
        return "a link-local or cloud metadata address"
    if address.is_unspecified or address.is_multicast:
        return "an unspecified or multicast address"
    if allow_private:
        return None
    if address in NAT64_LOCAL:
        return "a private or reserved address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address.is_reserved or not address.is_global:
        return "a private or reserved address"
    return None


def check_literal_host(host: str, *, allow_private: bool) -> str | None:
    """For configuration time, without DNS: why a host given as an IP address is refused."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host.lower() in ("localhost",) or host.lower().endswith(".localhost"):
            return None if allow_private else "localhost is a loopback address"
        return None
    refusal = address_refusal(address, allow_private=allow_private)
    return f"{host} is {refusal}" if refusal else None


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: every address the host resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        refusal = address_refusal(address, allow_private=allow_private)
        if refusal:
            raise TargetRefused(f"{host} resolves to {address}, {refusal}")
        addresses.append(str(address))
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    return addresses[0]


def _nodelay(sock: socket.socket) -> socket.socket:
    """No Nagle delay on a kept-alive connection (as http.client's own connect does): a small
    write must not wait for the receiver's delayed acknowledgement."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, read_timeout: float) -> None:
        super().__init__(host, port, timeout=CONNECT_TIMEOUT)
        self._address = address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = _nodelay(socket.create_connection((self._address, self.port), self.timeout))
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, read_timeout: float) -> None:
        super().__init__(host, port, timeout=CONNECT_TIMEOUT, context=ssl.create_default_context())
        self._address = address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        sock = _nodelay(socket.create_connection((self._address, self.port), self.timeout))
        # Certificate and SNI are checked against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.sock.settimeout(self._read_timeout)


# Connections kept open per receiver, per thread (a worker sends from several threads; an
# http.client connection is not shared between them). Keyed by everything that decides what
# the connection is: scheme, host, port, the checked address it is pinned to and the timeout.
# Reusing one saves a TCP (and TLS) handshake and a socket per delivery.
_Key = tuple[str, str, int, str, float]
_local = threading.local()
KEEP_ALIVE_RECEIVERS = 16  # connections a thread keeps; the least recently used one goes


def _pool() -> OrderedDict[_Key, http.client.HTTPConnection]:
    pool: OrderedDict[_Key, http.client.HTTPConnection] | None = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = OrderedDict()
    return pool


def _checkout(key: _Key) -> http.client.HTTPConnection:
    """A kept connection for `key`, or a new one. A kept connection the receiver has closed
    while it was idle (its keep-alive timeout) reads as ready (end of file): it is dropped
    before sending, never after, so a request is not sent twice by this module."""
    kept = _pool().pop(key, None)
    if kept is not None:
        if kept.sock is not None and not select.select([kept.sock], [], [], 0)[0]:
            return kept
        kept.close()
    scheme, host, port, address, read_timeout = key
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    return cls(host, port, address, read_timeout)


def _checkin(key: _Key, conn: http.client.HTTPConnection) -> None:
    pool = _pool()
    pool[key] = conn
    while len(pool) > KEEP_ALIVE_RECEIVERS:
        _, oldest = pool.popitem(last=False)
        oldest.close()


def close_kept() -> None:
    """Close this thread's kept connections."""
    pool = _pool()
    while pool:
        pool.popitem()[1].close()


def post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    read_timeout: float | None = None,
) -> Response:
    """POST once. Refused targets raise TargetRefused; everything else comes back as a
    Response (network errors and timeouts with `status=None`). The connection stays open for
    the next request to the same receiver when the answer allows it."""
    scheme, host, port, path = check_url(url)
    started = time.perf_counter()
    conn: http.client.HTTPConnection | None = None
    try:
        address = resolve(host, port, allow_private=allow_private)
        key = (scheme, host, port, address, READ_TIMEOUT if read_timeout is None else read_timeout)
        conn = _checkout(key)
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        raw = answer.read(BODY_READ)
        response = Response(
            status=answer.status,
            body=raw.decode("utf-8", "replace")[:BODY_KEPT],
            headers={k.lower(): v for k, v in answer.getheaders()},
            error="",
            latency_ms=_ms(started),
        )
        # Kept only when the whole answer was read and the receiver keeps the connection.
        if answer.isclosed() and not answer.will_close:
            _checkin(key, conn)
            conn = None
        return response
    except TargetRefused:
        raise
    except TimeoutError:
        return Response(None, "", {}, "timeout", _ms(started))
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Response(None, "", {}, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    finally:
        if conn is not None:
            conn.close()


def _ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))
