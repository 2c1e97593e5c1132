"""The house rules of docs/architecture.md, read from the code's own imports (every import,
including those inside functions), so a change that breaks one fails here and not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "goodword"

# Apps above the domain: they call domain services and selectors, and nothing calls them.
TOP = {"api", "portal", "cli", "urls", "settings", "wsgi"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Each module of ours -> the modules of ours it imports (at any depth of the file)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                targets.add(module)
                # `from goodword.x import y` may name a module y: count it when it is one.
                targets.update(f"{module}.{a.name}" for a in node.names)
        graph[name] = {t for t in targets if t.startswith(f"{PACKAGE}.")}
    known = set(graph)
    return {name: {t for t in targets if t in known} - {name} for name, targets in graph.items()}


def _app(module: str) -> str:
    return module.split(".")[1] if "." in module else module


GRAPH = _imports()


def test_the_import_graph_is_read():
    # given the source tree, then the graph holds the apps and their known edges (a reader that
    # found nothing would make every rule below pass)
    assert len(GRAPH) > 100
    assert "goodword.worker.queue" in GRAPH["goodword.referrals.services"]
    assert "goodword.core.errors" in GRAPH["goodword.api.v2.errors"]


def test_no_import_cycles():
    # Tarjan's strongly connected components over every import, function-level ones included
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _app(m) not in TOP and m != PACKAGE))
def test_domain_modules_never_import_api_or_portal(module):
    upward = sorted(t for t in GRAPH[module] if _app(t) in {"api", "portal"})
    assert upward == [], f"{module} imports {upward}"


def test_core_imports_nothing_of_ours_but_core():
    outside = {
        module: sorted(t for t in targets if _app(t) != "core")
        for module, targets in GRAPH.items()
        if _app(module) == "core"
    }
    assert {m: t for m, t in outside.items() if t} == {}


def test_only_the_worker_imports_the_job_model():
    users = sorted(
        module
        for module, targets in GRAPH.items()
        if "goodword.worker.models" in targets and _app(module) != "worker"
    )
    assert users == []


def test_pure_rule_modules_import_no_models_or_services():
    # attribution, screening rules, incentive criteria, the reward decision and the resolution
    # rule are tested without a database: they may import only other pure modules and core
    pure = {
        "goodword.referrals.attribution",
        "goodword.referrals.resolution",
        "goodword.referrals.transitions",
        "goodword.rewards.criteria",
        "goodword.rewards.decision",
        "goodword.fraud.policies",
        "goodword.fraud.blocklist",
    }
    impure = {
        module: sorted(
            t
            for t in GRAPH[module]
            if t.rsplit(".", 1)[-1] in {"services", "selectors", "locks", "jobs"}
        )
        for module in pure
    }
    assert {m: t for m, t in impure.items() if t} == {}
