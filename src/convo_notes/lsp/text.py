"""Positions in a buffer and what stands at the cursor: which field, which slug, which link.

LSP positions are 0-based lines and UTF-16 code units; diagnostics are 1-based lines and
characters. The front matter is read line by line here only to know *where the cursor
is* (a buffer being typed is rarely valid YAML); what it *means* always comes from the
loader's records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..loader import WIKI_LINK, note_kind
from ..schema import KIND_OF_SUBFIELDS, unwrap_link

_KEY_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<dash>-[ \t]+)?(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")
_ITEM_LINE = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]|$)")
SLUG_CHARS = re.compile(r"[a-z0-9-]")
_TOKEN_STOP = set(" \t,]}#")

# What a field at a place in the front matter refers to: (kind of note, parent field, field) -> reference kind.
REFERENCE_FIELDS: dict[tuple[str, str | None, str], str] = {
    ("conversation", None, "with"): "person",
    ("conversation", None, "org"): "org",
    ("conversation", None, "recorded_by"): "person",
    ("conversation", None, "thread"): "thread",
    ("conversation", None, "closes"): "id",
    ("conversation", None, "channel"): "channel",
    ("conversation", "next", "turn"): "turn",
    ("conversation", "commitments", "owner"): "person",
    ("conversation", "commitments", "to"): "person",
    ("conversation", "commitments", "id"): "own-id",
    ("conversation", "referrals", "recommends"): "recommends",
    ("conversation", "referrals", "by"): "person",
    ("conversation", "referrals", "to"): "person",
    ("person", None, "org"): "org",
}


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (LSP's default position encoding)."""
    return len(text.encode("utf-16-le")) // 2


def char_index(line: str, utf16_col: int) -> int:
    """The character index in ``line`` of a UTF-16 column."""
    units = 0
    for i, ch in enumerate(line):
        if units >= utf16_col:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def lines_of(text: str) -> list[str]:
    """The buffer's lines, without line ends (a BOM dropped: editors do not show it)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def front_matter_lines(lines: list[str]) -> tuple[int, int] | None:
    """0-based indices of the opening and closing ``---`` lines, or None."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return 0, i
    return 0, len(lines)


def token_span(line: str, start: int) -> tuple[int, int]:
    """Character span of the YAML value token starting at ``start`` (quoted or plain)."""
    if start >= len(line):
        return start, start
    if line.startswith("[[", start):
        end = line.find("]]", start + 2)
        return start, (len(line) if end < 0 else end + 2)
    quote = line[start]
    if quote in "\"'":
        end = line.find(quote, start + 1)
        return start, (len(line) if end < 0 else end + 1)
    end = start
    while end < len(line) and line[end] not in _TOKEN_STOP:
        end += 1
    return start, max(end, start + 1)


def slug_span(line: str, char: int) -> tuple[int, int]:
    """Span of the run of slug characters around ``char``."""
    start = char
    while start > 0 and SLUG_CHARS.match(line[start - 1]):
        start -= 1
    end = char
    while end < len(line) and SLUG_CHARS.match(line[end]):
        end += 1
    return start, end


@dataclass(frozen=True)
class Place:
    """Where the cursor stands in a note."""

    section: str  # "front" (front matter), "body" or "outside"
    field: str | None = None  # the field whose value or key the cursor is on
    parent: str | None = None  # next, commitments or referrals (None at the top level)
    on_key: bool = False  # typing a field name, not a value
    line: int = 0
    start: int = 0  # character span of the word being typed / under the cursor
    end: int = 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _parent(lines: list[str], index: int, indent: int, first: int) -> str | None:
    """The top-level field a line indented by ``indent`` belongs to (None at the top level)."""
    for i in range(index - 1, first, -1):
        text = lines[i]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        own = _indent(text)
        if own >= indent:
            continue
        if own == 0:
            match = _KEY_LINE.match(text)
            return match["key"] if match and match["dash"] is None else None
        indent = own
    return None


def place_at(text: str, line: int, char: int) -> Place:
    """What the cursor at ``(line, char)`` (0-based, characters) is on."""
    lines = lines_of(text)
    if line >= len(lines):
        return Place("outside")
    bounds = front_matter_lines(lines)
    current = lines[line]
    char = min(char, len(current))
    start, end = slug_span(current, char)
    if bounds is None or not bounds[0] < line < bounds[1]:
        return Place("body" if bounds is None or line > bounds[1] else "outside", line=line, start=start, end=end)
    first = bounds[0]
    match = _KEY_LINE.match(current)
    if match is not None and char >= match.end() - 1 and current.find(":", match.start("key")) < char:
        indent = len(match["indent"]) + (len(match["dash"]) if match["dash"] else 0)
        parent = _parent(lines, line, indent, first) if indent else None
        return Place("front", match["key"], parent, False, line, start, end)
    item = _ITEM_LINE.match(current)
    if item is not None and (match is None or char < match.start("key")) and char >= item.end():
        owner = _parent(lines, line, len(item["indent"]) + 1, first)
        return Place("front", owner, None, False, line, start, end)
    stripped = current[:char].strip(" \t-")
    if ":" not in current[:char] and (not stripped or re.fullmatch(r"[\w-]*", stripped)):
        indent = len(current) - len(current.lstrip(" \t-")) if current.strip() else _indent(current)
        parent = _parent(lines, line, max(indent, 1), first) if indent else None
        if parent is not None and parent not in KIND_OF_SUBFIELDS:
            parent = None
        return Place("front", None, parent, True, line, start, end)
    return Place("front", None, None, False, line, start, end)


def reference_kind(rel: str, place: Place) -> str | None:
    """What the value under the cursor refers to (see :data:`REFERENCE_FIELDS`), or None."""
    if place.field is None or place.on_key:
        return None
    return REFERENCE_FIELDS.get((note_kind(rel), place.parent, place.field))


@dataclass(frozen=True)
class Reference:
    """A slug the cursor is on, what kind of thing it names, and its span on the line."""

    kind: str  # person, org, thread, id, conversation, recommends, turn, own-id, link
    slug: str
    line: int
    start: int
    end: int


def reference_at(rel: str, text: str, line: int, char: int) -> Reference | None:
    """The reference under the cursor: a slug in a reference field, or a ``[[wiki link]]``."""
    lines = lines_of(text)
    if line >= len(lines):
        return None
    current = lines[line]
    for match in WIKI_LINK.finditer(current):
        if match.start() <= char <= match.end():
            slug = match.group(1).strip()
            at = match.start(1) + match.group(1).index(slug) if slug else match.start(1)
            return Reference("link", slug, line, at, at + len(slug))
    place = place_at(text, line, char)
    kind = reference_kind(rel, place)
    if kind is None or kind == "channel" or place.start == place.end:
        return None
    word = current[place.start:place.end]
    return Reference(kind, unwrap_link(word), line, place.start, place.end)
