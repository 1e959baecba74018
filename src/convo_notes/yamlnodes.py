"""YAML through PyYAML, for what the line reader of :mod:`.yamlsafe` does not take:
libyaml's parser events read straight into values (:func:`_read_events`), else the
document *composed* into nodes and walked (:func:`_parse_composed`, any YAML at all).

Never constructed: no tag runs, no alias is expanded past a bound, no scalar is guessed
into a bool or a date. :func:`.yamlsafe.parse_yaml` has already refused what nests too
deep for libyaml's composer, which recurses in C.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic
from .parse import MAX_DEPTH, MAX_NODES, FrontMatter, Path, Quoted, Value
from .yamlsafe import NULLS as _NULLS

_STANDARD_TAG = "tag:yaml.org,2002:"
_PLAIN = "tag:convo-notes,2026:plain"  # an untagged plain scalar: typed by the schema
# The standard tags PyYAML's safe_load knows, by the node kind each applies to. Such a tag is
# read as what it declares (`!!str` is text, never a null or a boolean; `!!int 5` is for the
# schema to check); every other tag (`!!python/...`, `!custom`) is refused.
_SCALAR_TAGS = frozenset(_STANDARD_TAG + name for name in
                         ("str", "null", "bool", "int", "float", "timestamp", "binary"))
_KIND_TAGS: dict[type, frozenset[str]] = {
    ScalarNode: _SCALAR_TAGS | {_PLAIN},
    SequenceNode: frozenset(_STANDARD_TAG + name for name in ("seq", "omap", "pairs")),
    MappingNode: frozenset(_STANDARD_TAG + name for name in ("map", "set")),
}
_ALLOWED_TAGS = frozenset().union(*_KIND_TAGS.values())
_KIND_NAMES = {ScalarNode: "scalar", SequenceNode: "sequence", MappingNode: "mapping"}
_STR, _NULL = _STANDARD_TAG + "str", _STANDARD_TAG + "null"

try:  # libyaml's parser and composer, in C
    from yaml import CSafeLoader as _BaseLoader
    from yaml._yaml import CParser as _CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    HAVE_LIBYAML = False


def _resolve(self: Any, kind: type, value: Any, implicit: Any) -> str:  # noqa: ARG001
    """The tag of an untagged node: no implicit resolvers, so every plain scalar composes as
    text for the schema to type (``turn: no`` stays ``"no"``, ``date: 2026-13-40`` stays text
    the schema reports as a bad date); quoted scalars and ``! x`` are strings."""
    if kind is ScalarNode:
        return _PLAIN if implicit[0] else _STANDARD_TAG + "str"
    return _DEFAULT_TAGS[kind]


class _ComposeLoader(_BaseLoader):
    """libyaml's loader (where PyYAML has it) with :func:`_resolve`."""

    yaml_implicit_resolvers: dict[str, list[Any]] = {}
    resolve = _resolve


class _PyComposeLoader(yaml.SafeLoader):
    """PyYAML's own parser with :func:`_resolve`: a second opinion on what libyaml refuses
    (a few spec-valid documents: tabs in block scalars, `{a :b, c:,}` in flow)."""

    yaml_implicit_resolvers: dict[str, list[Any]] = {}
    resolve = _resolve


_DEFAULT_TAGS: dict[type, str] = {
    SequenceNode: _STANDARD_TAG + "seq",
    MappingNode: _STANDARD_TAG + "map",
}


def read_yaml(yaml_text: str, path: str, offset: int) -> FrontMatter:
    """``yaml_text`` (whose first line is line ``offset + 1`` of its file) read from libyaml's
    events where they are the usual ones, else composed and walked."""
    fast = _read_events(yaml_text, path, offset) if HAVE_LIBYAML else None
    return fast if fast is not None else _parse_composed(yaml_text, path, offset)


def _parse_composed(yaml_text: str, path: str, offset: int) -> FrontMatter:
    """The full path: compose the document into nodes, then walk them (any YAML at all)."""

    def diag(line0: int, col0: int, code: str, message: str) -> FrontMatter:
        return FrontMatter(None, diagnostics=[Diagnostic(path, line0 + offset + 1, col0 + 1, code, message)])

    try:
        node = _compose(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context not in problem:
            problem = f"{problem} ({exc.context})"
        line0, col0 = (mark.line, mark.column) if mark is not None else (0, 0)
        lines = yaml_text.split("\n")
        if line0 < len(lines) and "\t" in lines[line0][: len(lines[line0]) - len(lines[line0].lstrip())]:
            problem += "; YAML cannot be indented with tabs: use spaces"
        return diag(line0, col0, "yaml-syntax", f"YAML syntax: {problem}")
    except (yaml.YAMLError, RecursionError, ValueError) as exc:  # e.g. libyaml's plain errors
        return diag(0, 0, "yaml-syntax", f"YAML syntax: {str(exc).splitlines()[0] if str(exc) else 'invalid YAML'}")
    if node is None:
        return FrontMatter({})
    walker = _Walker(path, offset)
    try:
        value = walker.walk(node, (), 0)
    except _Refused as refused:
        return FrontMatter(None, diagnostics=[refused.diagnostic])
    if not isinstance(value, dict):
        return diag(node.start_mark.line, node.start_mark.column, "not-a-mapping",
                    "front matter must be a mapping of `field: value` lines")
    return FrontMatter(value, locs=walker.locs, key_locs=walker.key_locs, diagnostics=walker.diagnostics)


# --- the fast path: libyaml's events ---------------------------------------------------------------

class _Deviation(Exception):
    """The document is not one the event reader takes (see :func:`_read_events`)."""


_FAST_DEPTH = 12  # the event reader leaves deeper documents to the full path


def _read_events(yaml_text: str, path: str, offset: int) -> FrontMatter | None:
    """The common case, fast: libyaml's parser events read straight into values, with no
    composed nodes (and none of PyYAML's per-node resolver calls) in between.

    It reads what :func:`_parse_composed` reads, to the same values, positions and
    diagnostics, for one document whose root is a mapping, with no tags, anchors or
    aliases, no merge keys, no key that is not a scalar, at most :data:`_FAST_DEPTH`
    levels and :data:`MAX_NODES` values. Anything else (and any parser error) returns
    None, and the caller takes the full path, which reports it as it always did.
    """
    try:
        parser: Any = _CParser(yaml_text)
    except (yaml.YAMLError, ValueError):
        return None
    get = parser.get_event
    try:
        if type(get()) is not StreamStartEvent or type(get()) is not DocumentStartEvent:
            return None
        event = get()
        if type(event) is not MappingStartEvent or event.tag is not None or event.anchor is not None:
            return None
        reader = _EventReader(get, path, offset)
        mark: Any = event.start_mark
        reader.locs[()] = (mark.line + offset + 1, mark.column + 1)
        data = reader.mapping((), 1)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            return None
    except (_Deviation, yaml.YAMLError, RecursionError, ValueError):
        return None
    finally:
        parser.dispose()
    return FrontMatter(data, locs=reader.locs, key_locs=reader.key_locs, diagnostics=reader.diagnostics)


class _EventReader:
    """:func:`_read_events`' state: values from events, as :class:`_Walker` makes them from nodes."""

    __slots__ = ("get", "path", "offset", "locs", "key_locs", "diagnostics", "visited")

    def __init__(self, get: Any, path: str, offset: int) -> None:
        self.get = get
        self.path = path
        self.offset = offset + 1
        self.locs: dict[Path, tuple[int, int]] = {}
        self.key_locs: dict[Path, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.visited = 1  # the root

    def value(self, event: Any, at: Path, depth: int) -> Value:
        """The value that starts with ``event`` (its position recorded at ``at``)."""
        self.visited += 1
        if self.visited > MAX_NODES or depth > _FAST_DEPTH or event.anchor is not None:
            raise _Deviation
        kind = type(event)
        mark = event.start_mark
        self.locs[at] = (mark.line + self.offset, mark.column + 1)
        if kind is ScalarEvent:
            if event.tag is not None:
                raise _Deviation
            if event.style:  # quoted, literal or folded: text as written
                return Quoted(event.value)
            return None if event.value in _NULLS else event.value
        if event.tag is not None:
            raise _Deviation
        if kind is MappingStartEvent:
            return self.mapping(at, depth + 1)
        if kind is SequenceStartEvent:
            out: list[Value] = []
            get = self.get
            i = 0
            while True:
                item = get()
                if type(item) is SequenceEndEvent:
                    return out
                out.append(self.value(item, at + (i,), depth + 1))
                i += 1
        raise _Deviation  # an alias

    def mapping(self, at: Path, depth: int) -> dict[str, Value]:
        """The pairs of a mapping whose start event was just read, up to its end event."""
        out: dict[str, Value] = {}
        get = self.get
        while True:
            key: Any = get()
            if type(key) is not ScalarEvent:
                if type(key) is MappingEndEvent:
                    return out
                raise _Deviation  # a key that is not a scalar, or an alias
            text = key.value
            if key.tag is not None or key.anchor is not None or text == "<<":
                raise _Deviation
            mark: Any = key.start_mark
            key_at = at + (text,)
            if text in out:
                first = self.key_locs.get(key_at, (0, 0))[0]
                self.diagnostics.append(Diagnostic(
                    self.path, mark.line + self.offset, mark.column + 1, "duplicate-key",
                    f"field `{text}` appears twice (first on line {first})"))
                self.skip()
                continue
            self.key_locs[key_at] = (mark.line + self.offset, mark.column + 1)
            out[text] = self.value(get(), key_at, depth)

    def skip(self) -> None:
        """Read past one value (a duplicate key's, which the walker never visits either)."""
        level = 0
        get = self.get
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent or kind is AliasEvent:
                if event.anchor is not None or kind is AliasEvent or event.tag is not None:
                    raise _Deviation
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _Deviation
                level += 1
                continue
            else:  # an end event
                level -= 1
            if level <= 0:
                return


def _compose(yaml_text: str) -> Node | None:
    """The composed document: libyaml's reading, or PyYAML's where libyaml alone refuses it."""
    try:
        return yaml.compose(yaml_text, Loader=_ComposeLoader)
    except yaml.YAMLError:
        if not HAVE_LIBYAML:
            raise
        try:
            return yaml.compose(yaml_text, Loader=_PyComposeLoader)
        except (yaml.YAMLError, RecursionError):
            pass
        raise  # libyaml's error, with its position


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Walker:
    """Turns composed nodes into plain values, recording where each one stands."""

    __slots__ = ("path", "offset", "locs", "key_locs", "diagnostics", "visited")

    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.locs: dict[Path, tuple[int, int]] = {}
        self.key_locs: dict[Path, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.visited = 0

    def _pos(self, node: Node) -> tuple[int, int]:
        mark = node.start_mark
        return mark.line + self.offset + 1, mark.column + 1

    def _refuse(self, node: Node, code: str, message: str) -> _Refused:
        line, col = self._pos(node)
        return _Refused(Diagnostic(self.path, line, col, code, message))

    def walk(self, node: Node, at: Path, depth: int) -> Value:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise self._refuse(node, "yaml-too-large",
                               f"front matter expands to more than {MAX_NODES} values (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise self._refuse(node, "yaml-too-large", f"front matter nests deeper than {MAX_DEPTH} levels")
        tag = node.tag
        mark = node.start_mark
        self.locs[at] = (mark.line + self.offset + 1, mark.column + 1)
        if tag not in _KIND_TAGS.get(type(node), ()):
            shown = "!!" + tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else tag
            # Refused, never run: the value is dropped and the rest of the note is still checked
            # (the loader keeps such a note off the site: it cannot be read as written).
            line, col = self.locs[at]
            message = (f"YAML tag `{shown}` does not fit a {_KIND_NAMES.get(type(node), 'node')}"
                       if tag in _ALLOWED_TAGS else f"YAML tag `{shown}` is not allowed (tags are never run)")
            self.diagnostics.append(Diagnostic(self.path, line, col, "yaml-tag", message))
            return None
        if type(node) is ScalarNode:
            if tag == _PLAIN:
                return None if node.value in _NULLS else node.value
            if tag == _NULL:
                return None
            if tag == _STR or node.style:  # `!!str`, quoted, literal or folded: text as written
                return Quoted(node.value)
            return node.value  # `!!int 5`, `!!bool true`: for the schema to check
        if type(node) is SequenceNode:
            return [self.walk(item, at + (i,), depth + 1) for i, item in enumerate(node.value)]
        if type(node) is MappingNode:
            out: dict[str, Value] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _STANDARD_TAG + "merge" or (
                    isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style
                ):
                    raise self._refuse(key_node, "wrong-type", "merge keys (`<<`) are not supported in front matter")
                if not isinstance(key_node, ScalarNode):
                    raise self._refuse(key_node, "wrong-type", "a field name must be plain text")
                key = str(key_node.value)
                key_at = at + (key,)
                if key in out:
                    line, col = self._pos(key_node)
                    first = self.key_locs.get(key_at, (0, 0))[0]
                    self.diagnostics.append(Diagnostic(
                        self.path, line, col, "duplicate-key",
                        f"field `{key}` appears twice (first on line {first})"))
                    continue
                self.key_locs[key_at] = self._pos(key_node)
                out[key] = self.walk(value_node, key_at, depth + 1)
            return out
        raise self._refuse(node, "wrong-type", "unsupported YAML node")  # pragma: no cover
