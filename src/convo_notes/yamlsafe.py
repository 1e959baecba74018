"""Safe YAML for front matter: compose, never construct; refuse what would hurt.

YAML is *composed* into nodes (libyaml's C parser where available) and never
*constructed* by PyYAML: no tag ever runs, no alias is expanded past a bound,
no scalar is guessed into a bool or a date. Every scalar comes back as a
string; the schema decides what it means. Hostile input is refused before the
parser can be hurt by it (libyaml's composer recurses in C and crashes the
process on tens of thousands of nested brackets).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic
from .parse import DEPTH_SCAN_BYTES, MAX_DEPTH, MAX_FRONT_MATTER, MAX_NODES, FrontMatter, Path, Quoted, Value

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STANDARD_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    _STANDARD_TAG + name for name in ("str", "seq", "map", "null", "bool", "int", "float", "timestamp")
)

try:  # libyaml's parser and composer, in C
    from yaml import CSafeLoader as _BaseLoader

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    HAVE_LIBYAML = False


class _ComposeLoader(_BaseLoader):
    """A loader with no implicit resolvers: every plain scalar composes as a string.

    Typing is the schema's job, so ``turn: no`` stays ``"no"`` and
    ``date: 2026-13-40`` stays text that the schema reports as a bad date.
    """

    yaml_implicit_resolvers: dict[str, list[Any]] = {}

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:  # noqa: ARG002
        # Called for every untagged node; without implicit resolvers the answer
        # depends on the node kind alone, so skip PyYAML's generic lookup.
        return _DEFAULT_TAGS[kind]


_DEFAULT_TAGS = {
    ScalarNode: _STANDARD_TAG + "str",
    SequenceNode: _STANDARD_TAG + "seq",
    MappingNode: _STANDARD_TAG + "map",
}


def parse_yaml(yaml_text: str, path: str, first_line: int = 1) -> FrontMatter:
    """Compose ``yaml_text`` safely into plain values with their positions.

    ``first_line`` is the file line of the YAML's first line, so positions
    are the ones the user's editor shows.
    """
    offset = first_line - 1

    def diag(line0: int, col0: int, code: str, message: str) -> FrontMatter:
        return FrontMatter(None, diagnostics=[Diagnostic(path, line0 + offset + 1, col0 + 1, code, message)])

    if len(yaml_text) > MAX_FRONT_MATTER:
        return diag(0, 0, "yaml-too-large", f"front matter is over {MAX_FRONT_MATTER // 1024} KiB")
    if not yaml_text.strip():
        return FrontMatter({})
    if len(yaml_text) > DEPTH_SCAN_BYTES or yaml_text.count("[") + yaml_text.count("{") > 64:
        too_deep = _scan_depth(yaml_text)
        if too_deep is not None:
            return diag(too_deep[0], too_deep[1], "yaml-too-large",
                        f"front matter nests deeper than {MAX_DEPTH} levels")
    try:
        node = yaml.compose(yaml_text, Loader=_ComposeLoader)
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


def _scan_depth(yaml_text: str) -> tuple[int, int] | None:
    """Position where nesting passes MAX_DEPTH, using only libyaml's iterative parser."""
    depth = -1  # the top-level mapping is level 0, as in _Walker
    try:
        for event in yaml.parse(yaml_text, Loader=_ComposeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return (mark.line, mark.column) if mark is not None else (0, 0)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # composing reports the syntax error with its position
    return None


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
        if tag not in _ALLOWED_TAGS:
            shown = "!!" + tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else tag
            # Refused, never run: the value is dropped and the rest of the note is still checked
            # (the loader keeps such a note off the site: it cannot be read as written).
            line, col = self.locs[at]
            self.diagnostics.append(Diagnostic(self.path, line, col, "yaml-tag",
                                               f"YAML tag `{shown}` is not allowed (tags are never run)"))
            return None
        if type(node) is ScalarNode:
            if node.style:  # quoted, literal or folded
                return Quoted(node.value)
            return None if node.value in _NULLS else node.value
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
