"""Keeping note content inert on the site: escaping values, checking URLs, rewriting bodies.

Values from front matter (titles, names, tags, anything) are written into the
generated Markdown by :func:`md_text`: every ASCII punctuation character that
Markdown, its extensions (attr_list's ``{ }``, magiclink, emoji ``:x:``) or
HTML could read as syntax becomes a numeric character reference, so a title
``x](javascript:alert(1))`` or a tag ``{ onclick=alert(1) }`` is shown as
exactly that text and never becomes a link or an attribute.

Note bodies stay Markdown. Raw HTML in them is shown as text (the Markdown
extension :mod:`convo_notes.site.mdext` turns off raw HTML and strips event
handlers and unsafe URLs from whatever the Markdown produces);
:func:`rewrite_body` turns ``[[slug]]`` into links, points relative links at
the staged pages and attachments, and drops links whose scheme is not
``http``, ``https``, ``mailto`` or ``tel`` (their text stays).

The generated parts of a page (fact lists, tables, timelines) are HTML, not
Markdown: :func:`html_block` marks a region of a staged page between two
control characters (:data:`BLOCK_START`, :data:`BLOCK_END`) that the Markdown
extension hands to Python-Markdown's raw-HTML stash, so it skips all Markdown
processing. Nothing from a note can open such a region: :func:`clean_text`
drops control characters from every value and :func:`rewrite_body` drops
these two from bodies. Values inside the regions are escaped as everywhere
else; links there are HTML anchors (:func:`html_link`) whose URLs are final,
because MkDocs does not rewrite links in raw HTML.
"""

from __future__ import annotations

import functools
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, unquote

from markupsafe import Markup, escape

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Never copied from notes/ even when a public note links to them: a browser would run their scripts.
ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".js", ".mjs", ".xml",
                             ".xsl", ".xslt", ".swf", ".md"})
# A region of generated HTML in a staged page (see the module docstring): its text is indexed for
# search, or (the second start marker) not.
BLOCK_START = "\x1f"
BLOCK_START_UNINDEXED = "\x1d"
BLOCK_END = "\x1e"
_BLOCK_CHARS = str.maketrans("", "", BLOCK_START + BLOCK_START_UNINDEXED + BLOCK_END + "\x02\x03")
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def clean_text(value: object) -> str:
    """One line of plain text: control and bidi-override characters dropped, whitespace collapsed."""
    text = "" if value is None else str(value)
    if text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case, and fast: nothing to drop or collapse
    text = "".join(" " if ch in "\t\n\r\x0b\x0c" else ch for ch in text
                   if not (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0b\x0c"))
    return " ".join(text.translate(_BIDI).split())


# Characters that are Markdown or HTML syntax anywhere; `, ' ? ; . -` only at the start of the value
# or of a word (list markers); a leading number followed by `.` (an ordered list). Parentheses
# are left alone: they are syntax only after `]`, which is always escaped.
_SYNTAX = re.compile(r"^\d+\.|(?:^|(?<= ))[,'?;.\-]|[!\"#$%&*+/:<=>@\[\\\]^_`{|}~]")


def _entity(match: re.Match[str]) -> str:
    text = match.group(0)
    return text[:-1] + f"&#{ord(text[-1])};"


def md_text(value: object) -> Markup:
    """``value`` as inert Markdown/HTML text (see the module docstring)."""
    if type(value) is str:
        return _md_str(value)
    return Markup(_SYNTAX.sub(_entity, clean_text(value)))


@functools.lru_cache(maxsize=65536)
def _md_str(value: str) -> Markup:
    # Names and titles repeat on thousands of pages: escape each once.
    return Markup(_SYNTAX.sub(_entity, clean_text(value)))


def html_text(value: object) -> Markup:
    """``value`` as HTML text for a generated HTML region: control characters dropped, HTML-escaped."""
    if type(value) is str:
        return _html_str(value)
    return escape(clean_text(value))


@functools.lru_cache(maxsize=65536)
def _html_str(value: str) -> Markup:
    return escape(clean_text(value))


def html_link(label: Markup, href: str) -> Markup:
    """An HTML anchor; ``label`` is already inert and ``href`` a URL from :func:`href_quote`."""
    return Markup(f'<a href="{href}">{label}</a>')


def href_quote(url: str) -> str:
    """A URL for an ``href`` attribute: unsafe characters percent-encoded, ``&`` as ``&amp;``."""
    if _PLAIN_URL.match(url):
        return url
    return quote(url, safe="/#?&=:@%+,;~!$*'.-_").replace("&", "&amp;")


def html_block(content: str, search: bool = True) -> Markup:
    """``content`` (HTML starting with a block-level tag) marked as a raw HTML region of a staged page.

    With ``search=False`` its text is left out of the search index: lists of
    other notes (timelines, index tables), whose own pages are indexed.
    """
    start = BLOCK_START if search else BLOCK_START_UNINDEXED
    return Markup(f"{start}{content.strip()}{BLOCK_END}\n")


def title_text(value: object) -> Markup:
    """A page title (the first ``#`` heading): :func:`md_text` with ``<``/``>`` shown as ``‹``/``›``.

    MkDocs themes print the page title through ``striptags``, which decodes
    character references; angle brackets must not come back as ``<``.
    """
    return md_text(clean_text(value).replace("<", "\u2039").replace(">", "\u203a"))


def url_is_safe(url: str) -> bool:
    """True for a relative URL or one with an allowed scheme (after decoding and trimming, as browsers do)."""
    import html

    probe = "".join(ch for ch in html.unescape(url) if ch > " " and ch != "\x7f")
    match = _SCHEME.match(probe)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


_PLAIN_URL = re.compile(r"^[A-Za-z0-9/._#-]*$")


def md_url(url: str) -> str:
    """A URL for a Markdown link destination, in angle brackets with spaces and brackets encoded."""
    if _PLAIN_URL.match(url):
        return f"<{url}>"
    return "<" + quote(url, safe="/#?&=:@%+,;~!$*'.-_") + ">"


def md_link(text: Markup | str, url: str) -> Markup:
    """A Markdown link whose text is already inert (Markup) or is escaped here."""
    label = text if isinstance(text, Markup) else md_text(text)
    return Markup(f"[{label}]({md_url(url)})")


@dataclass
class BodyLinks:
    """How :func:`rewrite_body` resolves links, plus what it found (for the build to act on)."""

    wiki: Callable[[str, str | None], Markup]  # (slug, label) -> link or text
    local: Callable[[str], str | None]  # notes-relative target path -> staged page/asset path, or None
    attachments: set[str] = field(default_factory=set)  # notes-relative files the body links to
    problems: list[str] = field(default_factory=list)
    plain: list[int] = field(default_factory=list)  # body line numbers (0 first) of paragraphs shown as text


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
_WIKI = re.compile(r"\[\[([^\]\[\|#]+)(#[^\]\|]*)?(?:\|([^\]]*))?\]\]")
_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\(\s*(?P<url><[^>\n]*>|[^\s)]+)(?P<title>\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_DEF = re.compile(r"^(?P<lead> {0,3}\[[^\]]+\]:[ \t]*)(?P<url><[^>\n]*>|\S+)(?P<rest>.*)$")
_HEADING1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


def rewrite_body(body: str, note_dir: str, title: str | None, links: BodyLinks) -> str:
    """The body ready for a staged page: see the module docstring.

    ``note_dir`` is the note's folder relative to ``notes/``; a first ``#``
    heading equal to ``title`` is dropped (the page already starts with it).
    """
    # Region markers (and Python-Markdown's own placeholder characters) never come from a note.
    lines = body.translate(_BLOCK_CHARS).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    skipped = 0  # lines dropped from the top, to give body line numbers
    while lines and not lines[0].strip():
        lines.pop(0)
        skipped += 1
    if lines and title is not None:
        match = _HEADING1.match(lines[0])
        if match and match.group(1).strip() == title.strip():
            lines.pop(0)
            skipped += 1
    out: list[str] = []
    fence: str | None = None
    plain = _heavy_lines(lines)
    skip_to = 0
    for number, line in enumerate(lines):
        if number < skip_to:
            continue  # (inside a paragraph shown as plain text)
        if number in plain:
            skip_to = plain[number]
            links.plain.append(number + skipped)
            out.append(html_block("<pre>" + str(escape("\n".join(lines[number:skip_to]))) + "</pre>"))
            continue
        if "[" not in line and "`" not in line and "~" not in line:
            out.append(line)  # no link, and neither opens nor closes a fence: nothing to rewrite
            continue
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        ref = _REF_DEF.match(line)
        if ref:
            url = _local_url(ref.group("url").strip("<>"), note_dir, links)
            out.append(f"{ref.group('lead')}{md_url(url)}{ref.group('rest')}" if url is not None
                       else f"{ref.group('lead')}#{ref.group('rest')}")
            continue
        out.append(_outside_code(line, lambda part: _rewrite_inline(part, note_dir, links)))
    return "\n".join(out).strip("\n")


# Python-Markdown takes time quadratic (or worse) in a paragraph's length when it is full of brackets
# that never close (`[[[[`, `[a](`, `<a <a`); so does a link regex. A paragraph longer than
# MAX_PARAGRAPH characters, or with more than MAX_UNCLOSED brackets left open, is shown as plain,
# preformatted text instead: no Markdown, no links, nothing lost, in time linear in its length.
MAX_PARAGRAPH = 20_000
MAX_UNCLOSED = 32
_OPENERS = {"[": "]", "(": ")", "<": ">"}


def _heavy_lines(lines: list[str]) -> dict[int, int]:
    """The paragraphs (runs of non-blank lines) to show as plain text: ``{first line: line after}``."""
    out: dict[int, int] = {}
    start = 0
    while start < len(lines):
        if not lines[start].strip():
            start += 1
            continue
        end, size = start, 0
        while end < len(lines) and lines[end].strip():
            size += len(lines[end]) + 1
            end += 1
        if size > MAX_PARAGRAPH or _unclosed(lines[start:end]) > MAX_UNCLOSED:
            out[start] = end
        start = end
    return out


def _unclosed(lines: list[str]) -> int:
    """How many ``[``, ``(`` and ``<`` in these lines are never closed (or nest deeper than allowed)."""
    text = "\n".join(lines)
    if sum(text.count(c) for c in _OPENERS) <= MAX_UNCLOSED:
        return 0
    stack: list[str] = []
    unclosed = 0
    for ch in text:
        if ch in _OPENERS:
            stack.append(_OPENERS[ch])
            if len(stack) > MAX_UNCLOSED:
                return len(stack)
        elif stack and ch == stack[-1]:
            stack.pop()
        elif ch in "])>" and ch in stack:
            while stack and stack[-1] != ch:
                stack.pop()
                unclosed += 1
            stack.pop()
    return unclosed + len(stack)


def _outside_code(line: str, change: Callable[[str], str]) -> str:
    pieces, last = [], 0
    for match in _CODE_SPAN.finditer(line):
        pieces.append(change(line[last:match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(change(line[last:]))
    return "".join(pieces)


def _rewrite_inline(text: str, note_dir: str, links: BodyLinks) -> str:
    def link(m: re.Match[str]) -> str:
        url = _local_url(m.group("url").strip("<>"), note_dir, links)
        if url is None:
            return m.group("text")
        return f"{m.group('bang')}[{m.group('text')}]({md_url(url)}{m.group('title') or ''})"

    # Links first: the links that wiki links become are already in their final form.
    text = _LINK.sub(link, text)
    return _WIKI.sub(lambda m: str(links.wiki(m.group(1).strip(), m.group(3))), text)


def _local_url(url: str, note_dir: str, links: BodyLinks) -> str | None:
    """Where a body link should point on the site, or None to keep only its text."""
    if not url_is_safe(url):
        return None
    if _SCHEME.match(url) or url.startswith("#") or url.startswith("//"):
        return url
    path, _, fragment = url.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        return url
    if path.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(note_dir, unquote(path)))
    if target == ".." or target.startswith("../") or any(p.startswith(".") for p in target.split("/")):
        links.problems.append(f"link to `{url}` leaves notes/ or names a hidden file: shown as text")
        return None
    staged = links.local(target)
    if staged is None:
        return None
    if not target.endswith(".md"):
        links.attachments.add(target)
    return staged + (f"#{fragment}" if fragment else "")
