"""The README's walk-through runs as written: its commands, taken from the README itself (not
copied), are run in order by bash against a live `goodword run` on a free port."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.ops.support import (
    GOODWORD,
    REPO,
    VENV,
    Process,
    clean_env,
    free_port,
    sqlite_pass_only,
)

README = REPO / "README.md"


def walkthrough_blocks() -> list[str]:
    """The ```sh blocks between the README's walk-through markers, in order."""
    text = README.read_text()
    match = re.search(r"<!-- walkthrough:start -->(.*?)<!-- walkthrough:end -->", text, re.S)
    assert match, "README.md has no walk-through markers"
    return re.findall(r"^```sh\n(.*?)^```$", match.group(1), re.S | re.M)


def test_the_walkthrough_covers_the_whole_referral_cycle():
    # given the README's walk-through
    script = "\n".join(walkthrough_blocks())

    # then it has every step of a referral, as commands
    for step in (
        "config apply",  # webhooks subscribed
        "webhooks receive",  # a local receiver
        "coupons import",  # the friends' codes
        "/api/v2/origins/affiliate_member",  # the advocate joins
        "-c var/friend.cookies",  # the claim link opened with a cookie jar
        "/api/v2/origins/purchase",  # the friend buys
        "referrals_as_advocate",  # the referral appears
        '"status": "approved"',  # an approval
        "/rewards",  # rewards paid
    ):
        assert step in script, step


@pytest.fixture
def demo_site(tmp_path):
    """`goodword run` as `make run` starts it, in a fresh folder that has the venv as .venv, on
    a free port; yields (folder, port)."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / ".venv").symlink_to(VENV)
    port = free_port()
    server = Process(
        [GOODWORD, "run", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=clean_env(),
        cwd=folder,
        log=tmp_path / "run.log",
    )
    try:
        server.wait_http(f"http://127.0.0.1:{port}/healthz")
        yield folder, port
    finally:
        server.stop()


@sqlite_pass_only()
def test_the_walkthrough_runs_as_written(demo_site, tmp_path):
    # given a demo site served as `make run PORT=...` serves it
    folder, port = demo_site
    hooks_port = free_port()

    # when the README's commands run in order, stopping at the first that fails
    script = Process(
        ["bash", "-euo", "pipefail", "-c", "\n".join(walkthrough_blocks())],
        env=clean_env(PORT=str(port), HOOKS_PORT=str(hooks_port)),
        cwd=folder,
        log=tmp_path / "walkthrough.log",
    )
    try:
        code = script.proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        script.stop()
    out = script.text()

    # then all of it worked
    assert code == 0, out
    # the claim link points at the port served on, and the friend got a code from the pool
    assert f"http://localhost:{port}/x/" in out
    assert "tkbl_cvuuid=" in out and "tkbl_coupon=FRIEND-0001" in out
    # the referral was approved and the advocate paid
    assert '"status":"approved"' in out
    assert '"reason":"referrer","status":"Paid"' in out
    # and both webhooks reached the receiver with a valid signature
    assert re.search(r"^referral_web_hook verified ", out, re.M), out
    assert re.search(r"^reward_web_hook verified ", out, re.M), out
    assert "NOT VERIFIED" not in out


def test_make_run_passes_the_port_on():
    # when `make run PORT=8123` is asked what it would run
    done = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=REPO, capture_output=True, text=True, check=False
    )

    # then it serves on that port (and the base URL follows --port; see tests/test_cli.py)
    assert done.returncode == 0, done.stderr
    assert "goodword run --port 8123" in done.stdout
