"""`goodword webhooks receive`: a local receiver that prints each delivery as a JSON line and,
given the signing secret, checks signatures."""

from __future__ import annotations

import io
import json
import threading
import time

import requests

from goodword.webhooks.cli import receiver
from goodword.webhooks.signing import signature_header

SECRET = "whsec_test-secret"


def serve(**options):
    out = io.StringIO()
    server = receiver(host="127.0.0.1", port=0, out=out, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return server, thread, out, f"http://127.0.0.1:{server.server_port}/hooks"


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "X-Goodword-Event": "referral_web_hook",
        "X-Goodword-Delivery": "d-1",
        "X-Goodword-Timestamp": str(stamp),
        "X-Goodword-Signature": signature_header(secrets_=[secret], timestamp=stamp, body=body),
    }


def test_each_delivery_is_one_json_line_with_its_signature_checked():
    server, thread, out, url = serve(secret=SECRET, count=None)
    try:
        body = json.dumps({"type": "referral_web_hook", "payload": {"a": 1}}).encode()
        # a good signature is accepted, a forged one answered 401
        assert requests.post(url, data=body, headers=signed(body), timeout=5).status_code == 200
        forged = signed(body, secret="whsec_other")
        assert requests.post(url, data=body, headers=forged, timeout=5).status_code == 401
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    good, bad = (json.loads(line) for line in out.getvalue().splitlines())
    assert good["event"] == "referral_web_hook" and good["delivery"] == "d-1"
    assert good["path"] == "/hooks"
    assert good["verified"] is True
    assert good["body"] == {"type": "referral_web_hook", "payload": {"a": 1}}
    assert bad["verified"] is False


def test_without_a_secret_form_bodies_are_decoded_and_nothing_is_checked():
    server, thread, out, url = serve(secret=None, count=None)
    try:
        response = requests.post(url, data={"payload": '{"x": 2}'}, timeout=5)
        assert response.status_code == 200
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    (line,) = (json.loads(text) for text in out.getvalue().splitlines())
    assert line["verified"] is None
    assert line["body"] == {"payload": '{"x": 2}'}


def test_with_a_count_it_stops_by_itself():
    server, thread, out, url = serve(secret=None, count=2)
    for i in range(2):
        requests.post(url, json={"n": i}, timeout=5)
    thread.join(timeout=10)
    server.server_close()
    assert not thread.is_alive()
    assert [json.loads(line)["body"] for line in out.getvalue().splitlines()] == [
        {"n": 0},
        {"n": 1},
    ]
