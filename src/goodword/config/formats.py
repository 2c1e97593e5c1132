"""Reading and writing configuration files: YAML (the default) or JSON, same structure.

Both readers refuse a key given twice in one mapping: YAML and JSON parsers keep the last one
silently, and a configuration where the second `status:` wins unseen is a trap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml

from goodword.config.schema import ConfigError, ConfigInvalid

Format = Literal["yaml", "json"]
FORMATS: tuple[Format, ...] = ("yaml", "json")


class _DuplicateKey(Exception):
    pass


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolves `<<` merge keys first
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue  # an unhashable key; the constructor below reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def format_for(path: str | Path | None, text: str = "") -> Format:
    """JSON for a `.json` file, YAML for `.yml`/`.yaml`; otherwise guessed from the content."""
    suffix = Path(path).suffix.lower() if path else ""
    if suffix == ".json":
        return "json"
    if suffix in (".yml", ".yaml"):
        return "yaml"
    return "json" if text.lstrip().startswith(("{", "[")) else "yaml"


def document_parse(*, text: str, fmt: Format) -> Any:
    """The parsed document, or ConfigInvalid locating the syntax error by line and column."""
    if fmt == "json":
        return _parse_json(text)
    return _parse_yaml(text)


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        raise ConfigInvalid([ConfigError(loc, problem)]) from None
    except yaml.YAMLError as exc:
        raise ConfigInvalid([ConfigError("(document)", f"not valid YAML: {exc}")]) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        loc = f"line {exc.lineno}, column {exc.colno}"
        raise ConfigInvalid([ConfigError(loc, exc.msg)]) from None
    except _DuplicateKey as exc:
        raise ConfigInvalid(
            [ConfigError("(document)", f"found the key {exc.args[0]!r} twice in one object")]
        ) from None


def document_dump(*, document: dict[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
