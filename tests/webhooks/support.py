"""A real HTTP receiver on 127.0.0.1 that answers from a script, and helpers to set a site up
for webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from goodword.core.clock import now
from goodword.sites.models import Site
from goodword.webhooks.models import Subscription, WebhookSettings
from goodword.webhooks.selectors import forget_hooks

SECRET = "whsec_test_secret"
SECURITY_KEY = "legacy-key-123"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def document(self) -> dict[str, Any]:
        """The webhook body, from JSON or from a form's `payload` field."""
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return dict(json.loads(parse_qs(self.body.decode())["payload"][0]))
        return dict(json.loads(self.body))

    @property
    def delivery_id(self) -> str:
        return self.headers["x-goodword-delivery"]


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering


class Receiver:
    """Answers requests from `script` in order (then `default`); records each one. Requests that
    hang are recorded too, since the sender did send them."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.default = Answer()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.release = threading.Event()  # set to let hanging requests finish early
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    answer = receiver.script.pop(0) if receiver.script else receiver.default
                if answer.hang:
                    receiver.release.wait(answer.hang)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    payload = answer.body.encode()
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections are refused until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.script.extend(answers)


def receiver_fixture() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.release.set()
    receiver.stop()


def subscribe(
    site: Site,
    url: str,
    *types: str,
    encoding: str = "json",
    allow_private: bool = True,
    retry_window: int = 3 * 24 * 3600,
) -> list[Subscription]:
    WebhookSettings.objects.update_or_create(
        site=site,
        defaults={
            "security_key": SECURITY_KEY,
            "signing_secret": SECRET,
            "allow_private_targets": allow_private,
            "retry_window_seconds": retry_window,
        },
    )
    subs = [
        Subscription.objects.create(
            site=site, hook_type=t, url=url, encoding=encoding, created_at=now()
        )
        for t in types
    ]
    forget_hooks(site.pk)
    return subs
