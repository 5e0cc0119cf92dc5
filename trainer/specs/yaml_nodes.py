"""YAML composed from the parser's events into nodes, and nodes built into plain data.

Nodes are composed without recursion: an alias is one shared node, so a 353-byte
"billion laughs" composes at once, and it is walking it into data that would visit 10^9
values; so the expanded size and depth are counted as events arrive, within
MAX_YAML_NODES and MAX_YAML_DEPTH. Each node keeps its marks (line and column), which
`yaml_source.YamlDocument` looks positions up in when a message needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from trainer.diagnostics import Diagnostic

MAX_YAML_DEPTH = 64
"""Lists and mappings inside each other, the top mapping being 1 (built-in suites: 8)."""
MAX_YAML_NODES = 100_000
"""Values of a document with its aliases expanded (built-in suites: under 4,000)."""
TOO_DEEP = f"lists and mappings nested more than {MAX_YAML_DEPTH} levels deep"
TOO_MANY = f"the document holds over {MAX_YAML_NODES:,} values, counting what aliases repeat"

Position = tuple[int, int]
STR_TAG = "tag:yaml.org,2002:str"


def mark_position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def node_position(node: yaml.Node) -> Position:
    return mark_position(node.start_mark)


class Builder:
    """Turns a composed node tree into Python data, recording key problems."""

    def __init__(self, loader: yaml.SafeLoader, path: str) -> None:
        self.loader = loader
        self.path = path
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self._active:
            self._problem(node_position(node), "recursive alias")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node)
            return [self.build(item) for item in node.value]
        finally:
            self._active.discard(id(node))

    def _problem(self, position: Position, message: str) -> None:
        self.problems.append(Diagnostic(self.path, *position, message))

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == STR_TAG:
            return node.value
        try:
            return self.loader.construct_object(node)
        except (ValueError, ArithmeticError) as exc:  # 2001-13-01, an int of 5,000 digits
            value, kind = str(node.value), str(node.tag).rpartition(":")[2]
            shown = value if len(value) <= 40 else f"{value[:37]}..."
            problem = f"cannot read {shown!r} as {kind}: {exc}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first_seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(node_position(key_node), "a key must be a plain string")
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                self._problem(
                    node_position(key_node),
                    f"key {key_node.value!r} is read as {type(key).__name__}, "
                    f"not a string; quote it or remove it",
                )
                continue
            if key in first_seen:
                self._problem(
                    node_position(key_node),
                    f"duplicate key {key!r} (first defined on line "
                    f"{node_position(first_seen[key])[0]}); remove one of them",
                )
                continue
            first_seen[key] = key_node
            result[key] = self.build(value_node)
        return result


class _Open:
    """A list or mapping being composed, with its expanded size and height so far."""

    __slots__ = ("height", "key", "node", "pairs", "size")

    def __init__(self, node: Any) -> None:
        self.node, self.size, self.height = node, 1, 1
        self.key: yaml.Node | None = None
        self.pairs = isinstance(node, yaml.MappingNode)


def _new_node(loader: Any, event: Any) -> yaml.Node:
    """The node a collection-start event begins, tagged as PyYAML's composer does."""
    tag = event.tag
    kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
    if tag in (None, "!"):
        tag = loader.resolve(kind, None, event.implicit)
    return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)


def _add(parent: _Open, node: yaml.Node) -> None:
    if not parent.pairs:
        parent.node.value.append(node)
    elif parent.key is None:
        parent.key = node
    else:
        parent.node.value.append((parent.key, node))
        parent.key = None


def compose(loader: Any, fail: Callable[..., Exception]) -> yaml.Node | None:
    """`loader.get_single_node()` without recursion, within MAX_YAML_DEPTH and
    MAX_YAML_NODES, counting every alias as the values it stands for."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    anchors: dict[str, yaml.Node] = {}
    measured: dict[int, tuple[int, int]] = {}  # closed collections: (expanded size, height)
    tags: dict[tuple[str, Any], str] = {}  # a plain scalar's implicit tag, by value
    stack: list[_Open] = []
    total = 0
    next_event, resolve = loader.get_event, loader.resolve
    scalar_event, scalar_node = yaml.ScalarEvent, yaml.ScalarNode
    node: yaml.Node | None = None

    def scalar(event: Any) -> yaml.Node:
        """The node of a scalar event; a plain scalar's implicit tag resolved once per value."""
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            key = (value, event.implicit)
            tag = tags.get(key)
            if tag is None:
                tag = tags[key] = resolve(scalar_node, value, event.implicit)
        return scalar_node(tag, value, event.start_mark, event.end_mark, event.style)

    while True:
        event: Any = next_event()
        if type(event) is scalar_event and event.anchor is None:  # most events: the quick way
            node = scalar(event)
            total += 1
            if total > MAX_YAML_NODES:
                raise fail(TOO_MANY, *mark_position(event.start_mark))
            if not stack:
                break
            stack[-1].size += 1
            _add(stack[-1], node)
            continue
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
                node = (
                    scalar(event) if isinstance(event, scalar_event) else _new_node(loader, event)
                )
                culprit = ""
                size, height = 1, int(not isinstance(node, scalar_node))
                if anchor is not None:
                    anchors[anchor] = node
            total += size
            if total > MAX_YAML_NODES:
                raise fail(f"{culprit}{TOO_MANY}", *mark_position(mark))
            if len(stack) + height > MAX_YAML_DEPTH:
                raise fail(f"{culprit}{TOO_DEEP}", *mark_position(mark))
            if not isinstance(event, yaml.AliasEvent | yaml.ScalarEvent):
                stack.append(_Open(node))
                continue
        if not stack:
            break
        parent = stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
        _add(parent, node)
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        where = mark_position(loader.get_event().start_mark)
        raise fail("YAML syntax error: more than one YAML document; keep one per file", *where)
    return node
