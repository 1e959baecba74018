"""Safe YAML for front matter: compose, never construct; refuse what would hurt.

YAML is read into plain values and never *constructed* by PyYAML: no tag ever
runs, no alias is expanded past a bound, no scalar is guessed into a bool or a
date. Every scalar comes back as a string; the schema decides what it means.
Hostile input is refused before the parser can be hurt by it (libyaml's
composer recurses in C and crashes the process on tens of thousands of nested
brackets).

Three readers, each giving exactly what the next would on what it takes: the
usual front matter line by line (:func:`_read_lines`, here, without PyYAML);
else libyaml's parser events; else PyYAML's composed nodes, for any YAML at all
(both in :mod:`.yamlnodes`, imported only when a note needs them).
"""

from __future__ import annotations

import re
from typing import Any

from .diagnostics import Diagnostic
from .parse import MAX_DEPTH, MAX_FRONT_MATTER, MAX_NODES, FrontMatter, Path, Quoted, Value

NULLS = frozenset({"", "~", "null", "Null", "NULL"})  # the plain scalars that mean nothing
_NULLS = NULLS


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
    if not yaml_text or yaml_text.isspace():  # (no copy, as strip() would make)
        return FrontMatter({})
    fast = _read_lines(yaml_text, offset)  # at most four levels: the nesting scan would find nothing
    if fast is not None:
        return fast
    if _may_nest_deeply(yaml_text):
        too_deep = nesting_error(yaml_text)
        if too_deep is not None:
            return diag(too_deep[0], too_deep[1], "yaml-too-large",
                        f"front matter nests deeper than {MAX_DEPTH} levels")
    from .yamlnodes import read_yaml

    return read_yaml(yaml_text, path, offset)


# --- the fastest path: the usual front matter, line by line -------------------------------------

# What no scalar read here holds: a control character (tab included), a line break YAML knows
# (NEL, LS, PS), a BOM, a surrogate, U+FFFE or U+FFFF. Front matter with one of those beyond
# ASCII is left to the other readers as a whole (`_WIDE`), so the classes below exclude only
# the ASCII ones: with every range the expression took 4 ms to compile, a cost of each edit's
# first read; this way 1 ms.
_BAD = "\\x00-\\x1f\\x7f"
_WIDE = re.compile("[\\x80-\\x9f\\u2028\\u2029\\ufeff\\ud800-\\udfff\\ufffe\\uffff]").search
_INNER = f"[^ {_BAD}:#]"  # a plain scalar's other characters but spaces: no `:` (see below) and no `#`
_FIRST = f"(?:[A-Za-z0-9]|[^\\x00-\\x7f{_BAD}])"  # its first: a letter or digit (no indicator)
_RUN = f"[^{_BAD}:#]*"  # a run of them, spaces too (quotes and brackets only matter first)
# a plain scalar: a `:` only before a character of the scalar (`12:30`, `https://x`), no space last;
# written as runs between colons (no alternation a character), so it matches fast and never backtracks far
_PLAIN_TEXT = f"{_FIRST}{_RUN}(?::{_INNER}{_RUN})*(?<! )"
_FLOW_TEXT = f"{_FIRST}[^,{_BAD}:#'\"\\[\\]{{}}\\\\]*(?<! )"  # in `[...]`: no comma, no colon either
_QUOTED_TEXT = f'[^"\\\\{_BAD}]*(?:\\\\["\\\\][^"\\\\{_BAD}]*)*'  # no escape but the two that stand for themselves
_DOUBLE = f'"{_QUOTED_TEXT}"'
_SINGLE = f"'[^'{_BAD}]*(?:''[^'{_BAD}]*)*'"
_ITEM = f"{_FLOW_TEXT}|{_DOUBLE}"
_VALUE = f"{_PLAIN_TEXT}|{_DOUBLE}|{_SINGLE}|\\[(?:(?:{_ITEM})(?:, (?:{_ITEM}))*)?\\]"
# a line that is not empty: indent, `- `, `key:` (then a space and a value, or the end), a value
_LINE = f"(?=[^\\n])( *)(- )?(?:([A-Za-z_][A-Za-z0-9_-]{{0,99}}):(?: (?=[^ \\n])|$))?({_VALUE})?"
_LINES = re.compile(f"^{_LINE}$", re.M).findall
_UNESCAPE = re.compile(r'\\(["\\])').sub
_FLOW_ITEM = re.compile(_ITEM)
_LINE_MAX = 64 * 1024  # longer front matter takes the event reader (it counts values)


def _read_lines(yaml_text: str, offset: int) -> FrontMatter | None:
    """The usual front matter, read line by line with one regular expression, or None.

    It takes a mapping of ``key: value`` lines at column 0, whose values are plain
    scalars of ordinary characters, single-line quoted scalars or ``[a, b]`` lists, or
    (with nothing after the colon) a block of such ``key: value`` lines, or a block
    sequence of such scalars or of mappings of such lines; no blank or comment line,
    tab, duplicate key or anything else. On what it takes it gives exactly what the
    full path gives (the differential tests hold them together); anything else is None.
    """
    if len(yaml_text) > _LINE_MAX or (not yaml_text.isascii() and _WIDE(yaml_text)):
        return None
    # every line, whole: one match each (a line the expression does not take leaves the count short)
    parsed = _LINES(yaml_text)
    if len(parsed) != yaml_text.count("\n") + (not yaml_text.endswith("\n")):
        return None
    base = offset + 1
    locs: dict[Path, tuple[int, int]] = {(): (base, 1)}
    key_locs: dict[Path, tuple[int, int]] = {}
    n = len(parsed)

    def value(text: str, at: Path, line: int, col: int) -> Value:
        """An inline value at (0-based) ``line``, ``col``."""
        locs[at] = (line + base, col + 1)
        first = text[0]
        if first == '"':
            return Quoted(text[1:-1] if "\\" not in text else _UNESCAPE(r"\1", text[1:-1]))
        if first == "'":
            return Quoted(text[1:-1].replace("''", "'"))
        if first == "[":
            if '"' not in text:  # plain items only: no comma inside one, so split on the separators
                words = text[1:-1].split(", ") if len(text) > 2 else []
                row, pos = line + base, col + 2
                for k, word in enumerate(words):
                    locs[at + (k,)] = (row, pos)
                    pos += len(word) + 2
                return [None if word in _NULLS else word for word in words]
            items: list[Value] = []
            pos = 1
            while pos < len(text) - 1:
                item = _FLOW_ITEM.match(text, pos)
                assert item is not None  # the line's expression matched these items already
                word = item.group()
                locs[at + (len(items),)] = (line + base, col + pos + 1)
                items.append(Quoted(word[1:-1] if "\\" not in word else _UNESCAPE(r"\1", word[1:-1]))
                             if word[0] == '"' else None if word in _NULLS else word)
                pos = item.end() + 2
            return items
        return None if text in _NULLS else text

    def empty_ends(i: int, key_col: int) -> bool:
        """Whether the value of the key on line ``i`` (at ``key_col``) is empty: the next line
        is less indented, or a key at the same column."""
        if i + 1 >= n:
            return True
        ind, dash = len(parsed[i + 1][0]), parsed[i + 1][1]
        return ind < key_col or (ind == key_col and not dash)

    def pair(out: dict[str, Value], at: Path, i: int, col: int) -> bool:
        """The key (at ``col``) and inline or empty value of line ``i`` into ``out``; False when
        the line is not such a pair."""
        _ind, _dash, key, text = parsed[i]
        if not key or key in out:
            return False
        key_at = at + (key,)
        key_locs[key_at] = (i + base, col + 1)
        if text:
            if text[0] in "\"'[":
                out[key] = value(text, key_at, i, col + len(key) + 2)
            else:  # a plain scalar, inline
                locs[key_at] = (i + base, col + len(key) + 3)
                out[key] = None if text in _NULLS else text
            return True
        if not empty_ends(i, col):
            return False
        locs[key_at] = (i + base, col + len(key) + 2)
        out[key] = None
        return True

    root: dict[str, Value] = {}
    i = 0
    while i < n:
        ind, dash, key, text = parsed[i]
        if ind or dash or not key or key in root:
            return None
        if text:  # the usual line, inline: `key: value`
            at = (key,)
            key_locs[at] = (i + base, 1)
            if text[0] in "\"'[":
                root[key] = value(text, at, i, len(key) + 2)
            else:
                locs[at] = (i + base, len(key) + 3)
                root[key] = None if text in _NULLS else text
            i += 1
            continue
        if empty_ends(i, 0):
            pair(root, (), i, 0)
            i += 1
            continue
        at = (key,)
        key_locs[at] = (i + base, 1)
        i += 1
        indent, dash = len(parsed[i][0]), parsed[i][1]
        if not dash:  # a block mapping of `key: value` lines at `indent`
            child: dict[str, Value] = {}
            locs[at] = (i + base, indent + 1)
            while i < n:
                line_indent = len(parsed[i][0])
                if line_indent < indent:
                    break
                if line_indent != indent or parsed[i][1] or not pair(child, at, i, indent):
                    return None
                i += 1
            root[key] = child
            continue
        items: list[Value] = []  # a block sequence with its `- ` at `indent`
        locs[at] = (i + base, indent + 1)
        while i < n and len(parsed[i][0]) == indent and parsed[i][1]:
            _ind, _dash, item_key, text = parsed[i]
            item_at = at + (len(items),)
            if not item_key:  # `- value`
                if not text:
                    return None  # `- ` alone
                items.append(value(text, item_at, i, indent + 2))
                i += 1
                continue
            entry: dict[str, Value] = {}  # `- key: value` and `key: value` lines below it
            locs[item_at] = (i + base, indent + 3)
            if not pair(entry, item_at, i, indent + 2):
                return None
            i += 1
            while i < n:
                line_indent = len(parsed[i][0])
                if line_indent <= indent:
                    break
                if line_indent != indent + 2 or parsed[i][1] or not pair(entry, item_at, i, indent + 2):
                    return None
                i += 1
            items.append(entry)
        if i < n and len(parsed[i][0]) > 0 and len(parsed[i][0]) >= indent:
            return None
        root[key] = items
    if len(locs) > MAX_NODES:  # a value each, as the walker counts them
        return None
    return FrontMatter(root, locs=locs, key_locs=key_locs)


_INDICATORS = tuple(ch + after for ch in "-?:" for after in " \t\n")


def _may_nest_deeply(yaml_text: str) -> bool:
    """False when :func:`nesting_error` cannot find nesting past MAX_DEPTH, so most notes skip it.

    A bound on what the scan counts: a block collection opens only at a ``-``, ``?`` or ``:``
    followed by white space or the end (at most one level each, ``B`` of them), and a flow
    collection at a bracket, at most two levels each (itself, and a `k: v` pair inside it),
    one more where a key may start. So the scan never counts more than ``B + 1 + 2 *
    brackets``. Text with line breaks other than LF falls back to counting every indicator.
    """
    count = yaml_text.count
    if "\r" in yaml_text or "\x85" in yaml_text or "\u2028" in yaml_text or "\u2029" in yaml_text:
        return count("[") + count("{") + count("-") + count(":") + count("?") > MAX_DEPTH
    block = sum(map(count, _INDICATORS)) + (yaml_text[-1:] in ("-", "?", ":"))
    return block + 1 + 2 * (count("[") + count("{")) > MAX_DEPTH


def nesting_error(yaml_text: str) -> tuple[int, int] | None:
    """0-based (line, column) where nesting first passes MAX_DEPTH, read from the text alone.

    The project's own check, so the limit holds whatever PyYAML or libyaml is installed
    (libyaml's composer recurses in C; newer builds stop at a depth of their own with a
    syntax error far from the cause). One pass, linear time: block collections by
    indentation (``key:``, ``- ``, ``? ``, compact ``- - x`` and ``- k: v``), flow
    collections by brackets (a ``[a: b]`` pair counts as the mapping it is), with quoted
    scalars, multi-line plain scalars, block scalars and comments skipped as libyaml
    reads them. Where this reading could differ from libyaml's, libyaml reports a syntax
    error at that point, before it composes anything after it.
    """
    if "\r" in yaml_text:
        yaml_text = yaml_text.replace("\r\n", "\n")
    # every line break libyaml knows (CR, NEL, LS, PS) is a line break here, one character for one
    yaml_text = yaml_text.translate(_BREAKS)
    try:
        _DepthScanner(yaml_text).run()
    except _TooDeep as deep:
        return deep.where
    return None


class _TooDeep(Exception):
    def __init__(self, where: tuple[int, int]) -> None:
        super().__init__(where)
        self.where = where


_BREAK = " \t\n"
_BREAKS = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})


class _DepthScanner:
    """The state of :func:`nesting_error`'s one pass (see there)."""

    __slots__ = ("text", "n", "line", "line_start", "cols", "kinds", "plain_open", "scalar")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.line = 0  # the current line (0-based) and the index where it starts
        self.line_start = 0
        self.cols: list[int] = []  # the open block collections' columns, outermost first
        self.kinds: list[str] = []  # and their kinds, "map" or "seq"
        self.plain_open = False  # the last line ended inside a plain scalar
        self.scalar: list[int] | None = None  # in a block scalar: [parent column, indent or -1, blank max]

    def _newline(self, at: int) -> None:
        self.line += 1
        self.line_start = at + 1

    def _deeper(self, depth: int, at: int) -> None:
        if depth > MAX_DEPTH:
            raise _TooDeep((self.line, at - self.line_start))

    def _enter(self, col: int, kind: str, at: int) -> None:
        """A block collection entry of ``kind`` at column ``col``: a new collection or the next entry."""
        cols, kinds = self.cols, self.kinds
        while cols and cols[-1] > col:
            cols.pop()
            kinds.pop()
        if cols and cols[-1] == col:
            if kinds[-1] == kind:
                return
            if kind == "map":  # `key:` then `- a` lines at one column: that sequence has ended
                cols.pop()
                kinds.pop()
                if cols and cols[-1] == col and kinds[-1] == "map":
                    return
        cols.append(col)
        kinds.append(kind)
        self._deeper(len(cols) - 1, at)

    def run(self) -> None:
        text, n = self.text, self.n
        at = 0
        while at < n:
            end = text.find("\n", at)
            if end < 0:
                end = n
            at = self._line(at, end)

    def _end_line(self, end: int) -> int:
        if end < self.n:
            self._newline(end)
        return end + 1

    def _line(self, start: int, end: int) -> int:
        """Read the line [start, end); the index where reading goes on (past the line, or further)."""
        text = self.text
        content = start
        while content < end and text[content] == " ":
            content += 1
        indent = content - start
        if indent == 0 and text.startswith(("---", "..."), start) and (start + 3 >= end or text[start + 3] in " \t"):
            # a document marker: whatever was open has ended (libyaml reads a second document only
            # after composing the first, and refuses it)
            self.cols.clear()
            self.kinds.clear()
            self.scalar = None
            self.plain_open = False
            return self._nodes(start + 3, end)
        if self.scalar is not None:
            parent, want, blank_max = self.scalar
            if content == end:  # an empty line belongs to the block scalar
                self.scalar[2] = max(blank_max, indent)
                return self._end_line(end)
            if want < 0:
                want = self.scalar[1] = max(indent, blank_max, parent + 1, 1)
            if indent >= want:
                return self._end_line(end)
            self.scalar = None
        if content == end:
            return self._end_line(end)
        if text[content] == "#":  # a comment line ends a plain scalar
            self.plain_open = False
            return self._end_line(end)
        if self.plain_open and indent > (self.cols[-1] if self.cols else -1):
            # a plain scalar's next line: text, whatever it holds
            after = self._plain(content, end, -1)
            return self._end_line(end) if after < 0 else self._nodes(after, end)
        self.plain_open = False
        cols, kinds = self.cols, self.kinds
        while cols and cols[-1] > indent:
            cols.pop()
            kinds.pop()
        return self._nodes(content, end)

    def _nodes(self, at: int, end: int) -> int:
        """Block context, from where a node may start to the end of the line (or of a
        quoted scalar or flow collection that runs over several lines)."""
        text = self.text
        value = False  # a mapping's value may start here (else an entry or a key may)
        while True:
            while at < end and text[at] in " \t":
                at += 1
            if at >= end:
                return self._end_line(end)
            ch = text[at]
            col = at - self.line_start
            if ch in "-?:" and (at + 1 >= self.n or text[at + 1] in _BREAK):
                self._enter(col, "seq" if ch == "-" else "map", at)
                value = ch == ":"
                at += 1
                continue
            if ch == "#":
                return self._end_line(end)
            if ch in "!&":  # a tag or an anchor: the node follows
                while at < end and text[at] not in " \t":
                    at += 1
                continue
            if ch in "|>":
                return self._block_scalar(at, end)
            if ch in "[{" or ch in "'\"":
                # a collection where a key may start is counted one deeper: it may be the key
                # of a mapping (`[a]: b`), found only after it
                at = self._flow(at, 0 if value else 1) if ch in "[{" else self._quoted(at)
                if at < 0:
                    return self.n
                end = text.find("\n", at)  # the node may have ended on a later line
                if end < 0:
                    end = self.n
                while at < end and text[at] in " \t":
                    at += 1
                if at < end and text[at] == ":" and (at + 1 >= self.n or text[at + 1] in _BREAK):
                    self._enter(col, "map", at)  # it was a key
                    value = True
                    at += 1
                    continue
                return self._end_line(end)  # a comment, or what libyaml reports as an error
            at = self._plain(at, end, col)
            if at < 0:
                return self._end_line(end)
            value = True

    def _plain(self, at: int, end: int, key_col: int) -> int:
        """A plain scalar from ``at``: up to `: ` (a key: the index where its value may start),
        ` #` (a comment: -1) or the end of the line (-1; it may go on on the next line)."""
        text, start = self.text, at
        found = [i for i in (text.find(" #", at, end), text.find("\t#", at, end)) if i >= 0]
        comment = min(found) if found else end
        while True:
            colon = text.find(":", at, comment)
            if colon < 0:
                self.plain_open = comment == end
                return -1
            if colon + 1 >= self.n or text[colon + 1] in _BREAK:
                self.plain_open = False
                if key_col >= 0:
                    self._enter(key_col, "map", start)
                return colon + 1
            at = colon + 1

    def _block_scalar(self, at: int, end: int) -> int:
        """A block scalar's header (``|``, ``>2-``): its lines follow until one is indented less."""
        text = self.text
        explicit = 0
        at += 1
        while at < end and text[at] in "+-123456789":
            if text[at] != "+" and text[at] != "-":
                explicit = int(text[at])
            at += 1
        parent = self.cols[-1] if self.cols else -1
        want = (parent + explicit if parent >= 0 else explicit) if explicit else -1
        self.scalar = [parent, want, 0]
        return self._end_line(end)

    def _quoted(self, at: int) -> int:
        """The index after the quoted scalar starting at ``at`` (-1: it never closes)."""
        text, n, quote = self.text, self.n, self.text[at]
        at += 1
        while at < n:
            ch = text[at]
            if ch == "\n":
                self._newline(at)
            elif ch == "\\" and quote == '"':
                if at + 1 < n and text[at + 1] == "\n":
                    self._newline(at + 1)
                at += 2
                continue
            elif ch == quote:
                if quote == "'" and at + 1 < n and text[at + 1] == "'":
                    at += 2
                    continue
                return at + 1
            at += 1
        return -1

    def _flow(self, at: int, extra: int) -> int:
        """The index after the flow collection opening at ``at`` (-1: it never closes), which
        is ``extra`` levels below the enclosing block collection's entry.

        A `:` or `?` in a flow sequence makes its entry a one-pair mapping, one level more
        (any `:`, even inside a plain scalar: counting more is safe). A collection that turns
        out to be such a pair's key (``[[a]: b]``) is known only after it, so it is counted
        one level short: such keys at most halve the count, and the walker refuses them.
        """
        text, n = self.text, self.n
        depths: list[int] = []  # each open bracket's depth
        seqs: list[bool] = []  # whether it is a sequence
        pairs: list[int] = []  # 1 while a sequence's entry is a `k: v` pair (a mapping, one level more)
        start = True  # a node may start here (not inside a plain scalar)
        space = True  # after white space or a line break
        while at < n:
            ch = text[at]
            if ch == "\n" or ch == " " or ch == "\t":
                if ch == "\n":
                    self._newline(at)
                space = True
                at += 1
                continue
            if ch == "#" and space:
                nl = text.find("\n", at)
                at = n if nl < 0 else nl
                continue
            space = False
            if ch == "[" or ch == "{":
                depth = depths[-1] + pairs[-1] + 1 if depths else len(self.cols) + extra
                self._deeper(depth, at)
                depths.append(depth)
                seqs.append(ch == "[")
                pairs.append(0)
                start = True
            elif ch == "]" or ch == "}":
                if depths:
                    depths.pop()
                    seqs.pop()
                    pairs.pop()
                if not depths:
                    return at + 1
                start = False
            elif ch == ",":
                pairs[-1] = 0
                start = True
            elif ch == ":" or (ch == "?" and start):
                if seqs[-1] and not pairs[-1]:
                    pairs[-1] = 1
                    self._deeper(depths[-1] + 1, at)
                start = True
            elif start and (ch == "'" or ch == '"'):
                at = self._quoted(at)
                if at < 0:
                    return -1
                start = False
                continue
            elif start and ch in "!&*":  # a tag, an anchor or an alias, up to a space or a flow indicator
                while at < n and text[at] not in " \t\n,[]{}":
                    at += 1
                start = ch != "*"
                continue
            else:
                start = False  # inside a plain scalar
            at += 1
        return -1


# What moved to :mod:`.yamlnodes`, still found here (imported on first use: PyYAML is not free to import).
_MOVED = frozenset({"yaml", "HAVE_LIBYAML", "_ComposeLoader", "_PyComposeLoader", "_parse_composed",
                    "_read_events", "_compose", "_Walker", "_EventReader"})


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import yamlnodes

        return getattr(yamlnodes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
