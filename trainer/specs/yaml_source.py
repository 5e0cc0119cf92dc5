"""YAML documents loaded together with the position of every key and value.

Positions come from the parser's node marks, so an error found later (by pydantic,
by a cross-reference check) can still name `path:line:col`.

Every YAML file trainer reads comes through `load_yaml_mapping`, which refuses hostile
input with a located error (composing and building: `yaml_nodes`).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trainer.diagnostics import Diagnostic
from trainer.specs.yaml_nodes import (
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    STR_TAG,
    TOO_DEEP,
    Builder,
    Position,
    compose,
    mark_position,
    node_position,
)

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "Loc",
    "YamlDocument",
    "YamlLoadError",
    "load_yaml_mapping",
]

try:  # The C parser is several times faster; marks work the same.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_YAML_BYTES = 1024 * 1024
"""Specs, registry files and suites are small; anything bigger is a mistake (a dataset?)."""
Loc = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain Python data of one YAML file and where each part of it came from.

    Positions are looked up in the composed nodes when a message needs one (`root`), not
    recorded for every value as the file is read: most files have nothing to report."""

    path: str
    data: Any
    root: yaml.Node | None = None
    """The composed document (None: no positions, every lookup gives 1:1)."""
    at: Loc = ()
    """Where `root` is in the file's data (a part of a document: `within`)."""

    def position(self, loc: Loc, *, key: bool = False) -> Position:
        """The closest known position of `loc`: its key, its value, or an enclosing node."""
        node = self._node(self.at)
        if node is None:
            return (1, 1)
        found = node_position(node)
        for i, part in enumerate(loc):
            if isinstance(node, yaml.MappingNode):
                pair = _pair(node, part)
                if pair is None:
                    break
                if key and i == len(loc) - 1:
                    return node_position(pair[0])
                node = pair[1]
            elif isinstance(node, yaml.SequenceNode) and type(part) is int:
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
            else:
                break
            found = node_position(node)
        return found

    def _node(self, loc: Loc) -> yaml.Node | None:
        node = self.root
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                pair = _pair(node, part)
                node = None if pair is None else pair[1]
            elif isinstance(node, yaml.SequenceNode) and type(part) is int:
                node = node.value[part] if 0 <= part < len(node.value) else None
            else:
                node = None
        return node

    def within(self, at: Loc) -> YamlDocument:
        """The part of this document at `at`, as a document of its own (same positions)."""
        return YamlDocument(self.path, None, self.root, (*self.at, *at))

    def diagnostic(self, loc: Loc, message: str, *, key: bool = False) -> Diagnostic:
        line, col = self.position(loc, key=key)
        return Diagnostic(self.path, line, col, message)


def _pair(node: yaml.MappingNode, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """The first entry of `key` in a built mapping node (the one its data holds)."""
    if not isinstance(key, str):
        return None
    for pair in node.value:
        k = pair[0]
        if isinstance(k, yaml.ScalarNode) and k.value == key and k.tag == STR_TAG:
            return pair  # type: ignore[no-any-return]
    return None


class YamlLoadError(Exception):
    """A file that cannot be read as one YAML mapping at all."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def load_yaml_mapping(file: Path, rel_path: str) -> tuple[YamlDocument, list[Diagnostic]]:
    """Read `file` as a single YAML mapping.

    Raises YamlLoadError when nothing usable can be had from the file; returns the
    document together with non-fatal problems (duplicate keys, non-string keys).
    """

    def fail(message: str, line: int = 1, col: int = 1) -> YamlLoadError:
        return YamlLoadError(Diagnostic(rel_path, line, col, message))

    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file (a device? a pipe?); a YAML file is expected")
        with file.open("rb") as handle:  # never more than the limit, should the file grow
            raw = handle.read(MAX_YAML_BYTES + 1)
        if (size := max(info.st_size, len(raw))) > MAX_YAML_BYTES:
            raise fail(
                f"file is {size:,} bytes; YAML files here are limited to "
                f"{MAX_YAML_BYTES:,} bytes (is this a dataset in the wrong folder?)"
            )
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
            node = compose(loader, fail)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            if problem == "exceeded maximum nesting depth":  # libyaml's own limit, 1,000
                raise fail(TOO_DEEP, *mark_position(mark)) from None
            if exc.context and exc.context_mark and exc.context_mark is not mark:
                problem += (
                    f" ({exc.context} on line {exc.context_mark.line + 1}, "
                    f"column {exc.context_mark.column + 1})"
                )
            raise fail(f"YAML syntax error: {problem}", *mark_position(mark)) from None
        except yaml.YAMLError as exc:
            raise fail(f"YAML error: {exc}") from None
        if node is None:
            raise fail("file has no content; a YAML mapping is expected")
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise fail(
                f"the document is {kind}; a mapping of fields is expected", *node_position(node)
            )
        doc = YamlDocument(rel_path, None, node)
        builder = Builder(loader, rel_path)
        try:
            doc.data = builder.build(node)
        except yaml.YAMLError as exc:
            where = mark_position(getattr(exc, "problem_mark", None))
            raise fail(f"YAML error: {getattr(exc, 'problem', exc)}", *where) from None
        except RecursionError:  # not within MAX_YAML_DEPTH; but never a traceback
            raise fail(TOO_DEEP) from None
        return doc, builder.problems
    finally:
        loader.dispose()
