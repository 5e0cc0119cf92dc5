"""YAML documents loaded together with the position of every key and value.

Positions come from the parser's node marks, so an error found later (by pydantic,
by a cross-reference check) can still name `path:line:col`.

Every YAML file trainer reads comes through `load_yaml_mapping`, which refuses hostile
input with a located error. Nodes are composed here from the parser's events, without
recursion: an alias is one shared node, so a 353-byte "billion laughs" composes at once,
and it is walking it into data and positions that would visit 10^9 values.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
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
MAX_YAML_DEPTH = 64
"""Lists and mappings inside each other, the top mapping being 1 (built-in suites: 8)."""
MAX_YAML_NODES = 100_000
"""Values of a document with its aliases expanded (built-in suites: under 4,000)."""
_TOO_DEEP = f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep"
_TOO_MANY = f"the document holds over {MAX_YAML_NODES:,} values, counting what aliases repeat"

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


def _at(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _mark(node: yaml.Node) -> Position:
    return _at(node.start_mark)


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
            self._problem(_mark(node), "recursive alias")
            return None
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self._scalar(node)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        finally:
            self._active.discard(id(node))

    def _problem(self, position: Position, message: str) -> None:
        self.problems.append(Diagnostic(self.doc.path, *position, message))

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node)
        except (ValueError, ArithmeticError) as exc:  # 2001-13-01, an int of 5,000 digits
            value, kind = str(node.value), str(node.tag).rpartition(":")[2]
            shown = value if len(value) <= 40 else f"{value[:37]}..."
            problem = f"cannot read {shown!r} as {kind}: {exc}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line, col = where = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(where, "a key must be a plain string")
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                self._problem(
                    where,
                    f"key {key_node.value!r} is read as {type(key).__name__}, "
                    f"not a string; quote it or remove it",
                )
                continue
            if key in first_seen:
                self._problem(
                    where,
                    f"duplicate key {key!r} (first defined on line {first_seen[key]}); "
                    "remove one of them",
                )
                continue
            first_seen[key] = line
            self.doc.key_positions[(*loc, key)] = (line, col)
            result[key] = self.build(value_node, (*loc, key))
        return result


class _Open:
    """A list or mapping being composed, with its expanded size and height so far."""

    def __init__(self, node: Any) -> None:
        self.node, self.size, self.height = node, 1, 1
        self.key: yaml.Node | None = None


def _new_node(loader: Any, event: Any) -> yaml.Node:
    """The node a scalar or collection-start event begins, tagged as PyYAML's composer does."""
    tag, start, end = event.tag, event.start_mark, event.end_mark
    if isinstance(event, yaml.ScalarEvent):
        if tag in (None, "!"):
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        return yaml.ScalarNode(tag, event.value, start, end, event.style)
    kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
    if tag in (None, "!"):
        tag = loader.resolve(kind, None, event.implicit)
    return kind(tag, [], start, None, flow_style=event.flow_style)


def _compose(loader: Any, fail: Callable[..., YamlLoadError]) -> yaml.Node | None:
    """`loader.get_single_node()` without recursion, within MAX_YAML_DEPTH and
    MAX_YAML_NODES, counting every alias as the values it stands for."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    anchors: dict[str, yaml.Node] = {}
    measured: dict[int, tuple[int, int]] = {}  # closed collections: (expanded size, height)
    stack: list[_Open] = []
    total = 0
    while True:
        event = loader.get_event()
        mark, anchor = event.start_mark, getattr(event, "anchor", None)
        if isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            node, size, height = done.node, done.size, done.height
            node.end_mark = event.end_mark
            measured[id(node)] = (size, height)
        else:
            if isinstance(event, yaml.AliasEvent):
                if anchor not in anchors:
                    problem = f"found undefined alias {anchor!r}"
                    raise yaml.composer.ComposerError(None, None, problem, mark)
                node, culprit = anchors[anchor], f"alias *{anchor}: "
                # A scalar, or a collection still open (a recursive alias: the builder stops).
                size, height = measured.get(id(node), (1, 0))
            else:
                if anchor in anchors:
                    first = f"found duplicate anchor {anchor!r}; first occurrence"
                    raise yaml.composer.ComposerError(
                        first, anchors[anchor].start_mark, "second occurrence", mark
                    )
                node, culprit = _new_node(loader, event), ""
                size, height = 1, int(not isinstance(node, yaml.ScalarNode))
                if anchor is not None:
                    anchors[anchor] = node
            total += size
            if total > MAX_YAML_NODES:
                raise fail(f"{culprit}{_TOO_MANY}", *_at(mark))
            if len(stack) + height > MAX_YAML_DEPTH:
                raise fail(f"{culprit}{_TOO_DEEP}", *_at(mark))
            if not isinstance(event, yaml.AliasEvent | yaml.ScalarEvent):
                stack.append(_Open(node))
                continue
        if not stack:
            break
        parent = stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
        if isinstance(parent.node, yaml.SequenceNode):
            parent.node.value.append(node)
        elif parent.key is None:
            parent.key = node
        else:
            parent.node.value.append((parent.key, node))
            parent.key = None
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        where = _at(loader.get_event().start_mark)
        raise fail("YAML syntax error: more than one YAML document; keep one per file", *where)
    return node  # type: ignore[no-any-return]


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
            node = _compose(loader, fail)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            if problem == "exceeded maximum nesting depth":  # libyaml's own limit, 1,000
                raise fail(_TOO_DEEP, *_at(mark)) from None
            if exc.context and exc.context_mark and exc.context_mark is not mark:
                problem += (
                    f" ({exc.context} on line {exc.context_mark.line + 1}, "
                    f"column {exc.context_mark.column + 1})"
                )
            raise fail(f"YAML syntax error: {problem}", *_at(mark)) from None
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
            where = _at(getattr(exc, "problem_mark", None))
            raise fail(f"YAML error: {getattr(exc, 'problem', exc)}", *where) from None
        except RecursionError:  # not within MAX_YAML_DEPTH; but never a traceback
            raise fail(_TOO_DEEP) from None
        return doc, builder.problems
    finally:
        loader.dispose()
