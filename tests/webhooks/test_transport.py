"""transport.post keeps the connection to a receiver open between deliveries, and opens a new
one when the receiver closed it while it was idle."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from goodword.webhooks import transport


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.peers: list[tuple[str, int]] = []
        self.bodies: list[bytes] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a side says close
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.peers.append(self.client_address)
        self.server.bodies.append(body)
        answer = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    transport.close_kept()
    server.shutdown()
    server.server_close()


def send(url: str, n: int) -> transport.Response:
    return transport.post(
        url=url, body=f'{{"n":{n}}}'.encode(), headers={}, allow_private=True, read_timeout=5
    )


def test_deliveries_to_one_receiver_share_one_connection(receiver):
    # given a receiver that keeps connections alive
    # when three deliveries go to it one after another
    answers = [send(receiver.url, n) for n in range(3)]

    # then all were answered, over one connection (one client address)
    assert [a.status for a in answers] == [200, 200, 200]
    assert receiver.bodies == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert len(set(receiver.peers)) == 1


def test_a_connection_the_receiver_closed_is_replaced_and_the_delivery_sent_once(receiver):
    # given a kept connection that the receiver has since closed (its idle timeout)
    assert send(receiver.url, 0).status == 200
    ((_, kept),) = transport._pool().items()
    assert kept.sock is not None
    import socket

    kept.sock.shutdown(socket.SHUT_RDWR)

    # when the next delivery goes out
    answer = send(receiver.url, 1)

    # then it arrives once, on a new connection
    assert answer.status == 200
    assert receiver.bodies == [b'{"n":0}', b'{"n":1}']
    assert len(set(receiver.peers)) == 2
