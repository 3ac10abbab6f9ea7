"""YAML loading that remembers the line of every key, so errors point at `file:line`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from smartvideo.errors import SceneError, did_you_mean


class LineDict(dict[str, Any]):
    """A dict from YAML that knows the line each key was written on (1-based)."""

    file: str
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list from YAML that knows the line of each item."""

    file: str
    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when present (about ten times faster: `preview --watch` reloads every file on
# each save); both keep the marks the line numbers come from.
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.file = loader.name
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)  # numbered entries (layer indexes) read as text keys
        if not isinstance(key, str):
            raise SceneError(f"keys must be text, not {key!r}", loader.name, key_node.start_mark.line + 1)
        if key in result:
            raise SceneError(f"duplicate key '{key}'", loader.name, key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.file = loader.name
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


_STRUCTURE_PROBLEMS = ("expected <block end>", "mapping values are not allowed", "expected a block",
                       "could not find expected ':'", "expected <document start>", "did not find expected key",
                       "did not find expected '-'")


def _structure_hint(problem: str) -> str:
    """Parser words for a layout mistake, turned into what to check."""
    if not any(p in problem for p in _STRUCTURE_PROBLEMS):
        return ""
    return (" -- check the indentation on this line and the one above: keys of one mapping start in "
            "the same column, list items start with '- ', and a value with ': ' in it needs quotes")


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text; syntax errors become SceneError with the line."""
    loader = _LineLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise SceneError(f"YAML syntax error: {problem}{_structure_hint(problem)}", name, line) from None
    finally:
        loader.dispose()


def load_yaml(path: Path) -> Any:
    """Read and parse a YAML file, raising SceneError (file, line) for anything wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SceneError(f"cannot read file: {exc.strerror}", path) from None
    except UnicodeDecodeError:
        raise SceneError("file is not UTF-8 text", path) from None
    return parse_yaml(text, str(path))


def load_mapping(path: Path) -> LineDict:
    """Load a YAML file whose top level must be a mapping."""
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise SceneError("the file must hold a mapping (key: value lines) at the top", path, 1)
    return data


def key_problems(data: LineDict, allowed: set[str], required: set[str], what: str) -> list[SceneError]:
    """Every unknown key (with a did-you-mean) and every missing required one, in line order."""
    problems = []
    for key in data:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            known = ", ".join(sorted(allowed))
            problems.append(SceneError(
                f"unknown key '{key}' in {what}{hint}; known keys: {known}", data.file, data.line_of(key)))
    for key in sorted(required):
        if key not in data:
            problems.append(SceneError(f"{what} is missing the required key '{key}'", data.file, data.line))
    return problems


def check_keys(data: LineDict, allowed: set[str], required: set[str], what: str) -> None:
    """Reject unknown keys (with a did-you-mean) and missing required ones: raise the first."""
    problems = key_problems(data, allowed, required, what)
    if problems:
        raise problems[0]


def iter_items(data: LineDict) -> Iterator[tuple[str, Any, int]]:
    for key, value in data.items():
        yield key, value, data.line_of(key)
