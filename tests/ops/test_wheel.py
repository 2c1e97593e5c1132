"""Packaging: a wheel built from the repository installs in a clean virtual environment, away
from the source tree, and serves: migrations, templates and static files are inside it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import requests

from tests.ops.support import REPO, Process, clean_env, free_port, sqlite_pass_only


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@sqlite_pass_only()
def test_the_wheel_installs_in_a_clean_venv_and_serves(tmp_path):
    # given a copy of what the build reads (the repository itself stays untouched)
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    env = clean_env()

    # when a wheel is built and installed, with its dependencies, in a fresh venv
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), "."],
        cwd=source,
        env=env,
    )
    (wheel,) = dist.glob("goodword-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=tmp_path,
        env=env,
    )

    # then Goodword runs from the venv, not from the source tree
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env["GOODWORD_VAR_DIR"] = str(elsewhere / "var")
    goodword = str(venv / "bin" / "goodword")
    location = run(
        [str(venv / "bin" / "python"), "-c", "import goodword; print(goodword.__file__)"],
        cwd=elsewhere,
        env=env,
    )
    assert location.startswith(str(venv)), location
    # its migrations make the tables and a site can be made
    run([goodword, "migrate", "--verbosity", "0"], cwd=elsewhere, env=env)
    created = run([goodword, "site", "create", "shop"], cwd=elsewhere, env=env)
    key = created.split('"api_key": "')[1].split('"')[0]

    # and it serves the API, the claim pages' templates and the static files
    port = free_port()
    server = Process(
        [goodword, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        cwd=elsewhere,
        log=tmp_path / "serve.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(f"{base}/readyz")
        purchase = requests.post(
            f"{base}/api/v2/origins/purchase",
            json={
                "site_slug": "shop",
                "data": {"email": "a@example.com", "order_number": "1", "subtotal": 5},
            },
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert purchase.status_code == 201, purchase.text
        missing = requests.get(f"{base}/x/no-such-code", timeout=10)
        assert missing.status_code == 404
        assert "This offer is no longer available" in missing.text
        css = requests.get(f"{base}/static/admin/css/base.css", timeout=10)
        assert css.status_code == 200 and "body" in css.text
        assert requests.get(f"{base}/api/v2/docs", timeout=10).status_code == 200
    finally:
        server.stop()
