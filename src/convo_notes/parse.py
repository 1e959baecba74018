"""Reading one note: bytes -> front matter + body -> a located YAML value tree.

This module owns the front-matter split (BOM, CRLF, trailing spaces on the
``---`` lines, missing delimiters). The YAML itself is read by
:mod:`convo_notes.yamlsafe`, imported only when a file actually has to be
parsed (a warm command reads the cache and never pays for PyYAML).
"""

from __future__ import annotations

import re
from typing import Callable, Union

from .diagnostics import Diagnostic

MAX_FRONT_MATTER = 256 * 1024  # characters of YAML in one note
MAX_DEPTH = 40  # nesting of mappings and sequences
MAX_NODES = 20_000  # nodes visited, aliases expanded: bounds alias bombs

_CLOSE = re.compile(r"^---[ \t]*$", re.M)
_OPEN = re.compile(r"---[ \t]*(\n|$)")


class Quoted(str):
    """A scalar that was quoted in the source (``"true"`` is text, not a boolean)."""

    __slots__ = ()


Value = Union[None, str, list["Value"], dict[str, "Value"]]
Path = tuple[Union[str, int], ...]


class FrontMatter:
    """The result of reading one note's text.

    (A plain class: a dataclass costs every command a millisecond to create at import.)
    """

    __slots__ = ("data", "body", "body_line", "locs", "key_locs", "diagnostics")

    def __init__(self, data: dict[str, Value] | None, body: str = "", body_line: int = 1,
                 locs: dict[Path, tuple[int, int]] | None = None, key_locs: dict[Path, tuple[int, int]] | None = None,
                 diagnostics: list[Diagnostic] | None = None) -> None:
        self.data = data  # None when the front matter could not be read
        self.body = body
        self.body_line = body_line  # file line where the body starts
        self.locs: dict[Path, tuple[int, int]] = {} if locs is None else locs  # value positions
        self.key_locs: dict[Path, tuple[int, int]] = {} if key_locs is None else key_locs  # key positions
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics


def decode(raw: bytes, path: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text with the BOM removed and CRLF folded, or a ``not-utf8`` diagnostic."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, Diagnostic(
            path, line, col, "not-utf8", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded"
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text, None


def split(text: str, path: str) -> tuple[str | None, str, int, int, Diagnostic | None]:
    """Split a note into (yaml_text, body, yaml_first_line, body_first_line, problem)."""
    if not _OPEN.match(text):
        return None, text, 1, 1, Diagnostic(
            path, 1, 1, "no-front-matter", "no front matter: a note starts with a line `---`"
        )
    first_nl = text.find("\n")
    if first_nl < 0:
        return None, "", 2, 2, Diagnostic(
            path, 1, 1, "unclosed-front-matter", "front matter opened with `---` is never closed"
        )
    close = _find_close(text, first_nl + 1)
    if close is None:
        return None, text, 2, 2, Diagnostic(
            path, 1, 1, "unclosed-front-matter",
            "front matter opened with `---` on line 1 is never closed by a line `---`",
        )
    start, end = close
    yaml_text = text[first_nl + 1 : start]
    body = text[end + 1 :] if end < len(text) else ""
    close_line = text.count("\n", 0, start) + 1
    return yaml_text, body, 2, close_line + 1, None


def _find_close(text: str, at: int) -> tuple[int, int] | None:
    """Where the first line from ``at`` (a line's start) that is ``---`` and maybe spaces or tabs
    starts and ends (its newline, or the end of the text): what ``_CLOSE.search`` finds, found
    with ``str.find`` (a regular expression anchored at line starts tries every character)."""
    while True:
        if text.startswith("---", at):
            end = text.find("\n", at + 3)
            if end < 0:
                end = len(text)
            if not text[at + 3 : end].strip(" \t"):
                return at, end
        found = text.find("\n---", at)
        if found < 0:
            return None
        at = found + 1


def read_note(raw: bytes, path: str) -> FrontMatter:
    """Decode, split and safely parse one note; problems come back as diagnostics."""
    text, problem = decode(raw, path)
    if text is None:
        assert problem is not None
        return FrontMatter(None, diagnostics=[problem])
    yaml_text, body, first, body_line, problem = split(text, path)
    if yaml_text is None:
        assert problem is not None
        return FrontMatter(None, body=body, body_line=body_line, diagnostics=[problem])
    result = parse_yaml(yaml_text, path, first)
    result.body = body
    result.body_line = body_line
    return result


def parse_yaml(yaml_text: str, path: str, first_line: int = 1) -> FrontMatter:
    """Compose ``yaml_text`` safely into plain values with their positions (see :mod:`.yamlsafe`).

    ``first_line`` is the file line of the YAML's first line, so positions
    are the ones the user's editor shows.
    """
    global _PARSE
    if _PARSE is None:
        from .yamlsafe import parse_yaml as parse

        _PARSE = parse
    return _PARSE(yaml_text, path, first_line)


_PARSE: Callable[[str, str, int], FrontMatter] | None = None  # yamlsafe's, imported once (not once a note)
