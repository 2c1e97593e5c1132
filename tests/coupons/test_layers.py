"""Coupons sit below campaigns and rewards (ADR 0010): nothing in the app imports them, nor any
other app above the base ones, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import goodword.coupons

ALLOWED = ("goodword.core", "goodword.sites", "goodword.people", "goodword.coupons")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_coupons_import_only_the_apps_below_them():
    package = Path(goodword.coupons.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert package / "services.py" in modules and package / "selectors.py" in modules

    above = {
        f"{path.relative_to(package)}: {name}"
        for path in modules
        for name in imported_modules(path)
        if name.startswith("goodword") and not name.startswith(ALLOWED)
    }

    assert above == set()
