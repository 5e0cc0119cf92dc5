"""YAML documents loaded together with the position of every key and value.

Positions come from the parser's node marks, so an error found later (by pydantic,
by a cross-reference check) can still name `path:line:col`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainer.diagnostics import Diagnostic

try:  # The C parser is several times faster; marks work the same.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_YAML_BYTES = 1024 * 1024
"""Specs, registry files and suites are small; anything bigger is a mistake (a dataset?)."""

Loc = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass
class YamlDocument:
    """Plain Python data of one YAML file and where each part of it came from."""

    path: str
    data: Any
    value_positions: dict[Loc, Position] = field(default_factory=dict)
    key_positions: dict[Loc, Position] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """The closest known position of `loc`: its key, its value, or an enclosing node."""
        for i in range(len(loc), -1, -1):
            prefix = loc[:i]
            if key and i == len(loc) and prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return (1, 1)

    def diagnostic(self, loc: Loc, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.position(loc, key=key)
        return Diagnostic(self.path, line, col, message)


class YamlLoadError(Exception):
    """A file that cannot be read as one YAML mapping at all."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def _mark(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into Python data, recording positions and key problems."""

    def __init__(self, loader: yaml.SafeLoader, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.doc.value_positions[loc] = _mark(node)
        if id(node) in self._active:
            self.problems.append(Diagnostic(self.doc.path, *_mark(node), "recursive alias"))
            return None
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, loc)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
            finally:
                self._active.discard(id(node))
        return self.loader.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line, col = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Diagnostic(self.doc.path, line, col, "a key must be a plain string")
                )
                continue
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                self.problems.append(
                    Diagnostic(
                        self.doc.path,
                        line,
                        col,
                        f"key {key_node.value!r} is read as {type(key).__name__}, "
                        f"not a string; quote it or remove it",
                    )
                )
                continue
            if key in first_seen:
                self.problems.append(
                    Diagnostic(
                        self.doc.path,
                        line,
                        col,
                        f"duplicate key {key!r} (first defined on line {first_seen[key]}); "
                        "remove one of them",
                    )
                )
                continue
            first_seen[key] = line
            self.doc.key_positions[(*loc, key)] = (line, col)
            result[key] = self.build(value_node, (*loc, key))
        return result


def load_yaml_mapping(file: Path, rel_path: str) -> tuple[YamlDocument, list[Diagnostic]]:
    """Read `file` as a single YAML mapping.

    Raises YamlLoadError when nothing usable can be had from the file; returns the
    document together with non-fatal problems (duplicate keys, non-string keys).
    """

    def fail(message: str, line: int = 1, col: int = 1) -> YamlLoadError:
        return YamlLoadError(Diagnostic(rel_path, line, col, message))

    try:
        size = file.stat().st_size
        if size > MAX_YAML_BYTES:
            raise fail(
                f"file is {size:,} bytes; YAML files here are limited to "
                f"{MAX_YAML_BYTES:,} bytes (is this a dataset in the wrong folder?)"
            )
        raw = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col
        ) from None
    if not text.strip():
        raise fail("file is empty; a YAML mapping is expected")

    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            if "but found another document" in str(exc):
                problem = "more than one YAML document; keep one per file"
            elif exc.context and exc.context_mark and exc.context_mark is not mark:
                problem += (
                    f" ({exc.context} on line {exc.context_mark.line + 1}, "
                    f"column {exc.context_mark.column + 1})"
                )
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise fail(f"YAML syntax error: {problem}", line, col) from None
        except yaml.YAMLError as exc:
            raise fail(f"YAML error: {exc}") from None
        if node is None:
            raise fail("file has no content; a YAML mapping is expected")
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise fail(f"the document is {kind}; a mapping of fields is expected", *_mark(node))
        doc = YamlDocument(rel_path, None)
        builder = _Builder(loader, doc)
        try:
            doc.data = builder.build(node, ())
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise fail(f"YAML error: {getattr(exc, 'problem', exc)}", line, col) from None
        return doc, builder.problems
    finally:
        loader.dispose()
