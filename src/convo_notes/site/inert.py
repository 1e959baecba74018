"""Keeping note content inert on the site: escaping values, checking URLs, rewriting bodies.

Values from front matter (titles, names, tags, anything) are written into the
generated Markdown by :func:`md_text`: every ASCII punctuation character that
Markdown, its extensions (attr_list's ``{ }``, magiclink, emoji ``:x:``) or
HTML could read as syntax becomes a numeric character reference, so a title
``x](javascript:alert(1))`` or a tag ``{ onclick=alert(1) }`` is shown as
exactly that text and never becomes a link or an attribute.

Note bodies stay Markdown (:func:`clean_body` only drops control characters
and a repeated title). Raw HTML in them is shown as text, and their links are
decided on the parsed document by the Markdown extension
:mod:`convo_notes.site.mdext` (``[[slug]]`` links, links to public notes and
attachments, links to anything else shown as their text only, unsafe URLs
dropped), which also strips event handlers and unsafe URLs from whatever the
Markdown produces.

The generated parts of a page (fact lists, tables, timelines) are HTML, not
Markdown: :func:`html_block` marks a region of a staged page between two
control characters (:data:`BLOCK_START`, :data:`BLOCK_END`) that the Markdown
extension hands to Python-Markdown's raw-HTML stash, so it skips all Markdown
processing. Nothing from a note can open such a region: :func:`clean_text`
drops control characters from every value and :func:`clean_body` from
bodies. Values inside the regions are escaped as everywhere else; links
there are HTML anchors (:func:`html_link`) whose URLs are final, because
MkDocs does not rewrite links in raw HTML.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import quote

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


# Marks a Markdown link that a template wrote (its URL is final): the link tree pass
# (:mod:`convo_notes.site.mdext`) leaves such links alone and decides every other link, as a note
# body's. No body can hold this character (:func:`clean_body` drops control characters).
LINK_MARK = "\x1a"


def md_link(text: Markup | str, url: str) -> Markup:
    """A Markdown link whose text is already inert (Markup) or is escaped here, marked as the site's own."""
    label = text if isinstance(text, Markup) else md_text(text)
    return Markup(f"[{label}](<{LINK_MARK}{md_url(url)[1:]})")


_CONTROL = dict.fromkeys(c for c in [*range(0x20), 0x7F] if chr(c) not in "\t\n")
_HEADING1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


def clean_body(body: str, title: str | None, plain: list[int] | None = None) -> str:
    """A note's body ready for its page: control characters dropped, line ends made ``\\n``, a first
    ``#`` heading equal to ``title`` dropped (the page already starts with it), and a paragraph too
    long or too full of unclosed brackets for Markdown shown as preformatted text (its body line
    number, 0 first, appended to ``plain``).

    Links are not touched here: Python-Markdown decides them on the parsed
    document (:mod:`convo_notes.site.mdext`). Dropping every control
    character keeps the region markers, :data:`LINK_MARK` and
    Python-Markdown's own placeholder characters out of a body.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL).split("\n")
    skipped = 0  # lines dropped from the top, so `plain` counts lines of the body as written
    while lines and not lines[0].strip():
        lines.pop(0)
        skipped += 1
    if lines and title is not None:
        match = _HEADING1.match(lines[0])
        if match and match.group(1).strip() == title.strip():
            lines.pop(0)
            skipped += 1
    heavy = _heavy_lines(lines)
    if heavy:  # paragraphs that would make Markdown quadratic: shown as preformatted text
        out: list[str] = []
        number = 0
        while number < len(lines):
            if number in heavy:
                end = heavy[number]
                if plain is not None:
                    plain.append(number + skipped)
                out.append(html_block("<pre>" + str(escape("\n".join(lines[number:end]))) + "</pre>"))
                number = end
                continue
            out.append(lines[number])
            number += 1
        lines = out
    return "\n".join(lines).strip("\n")


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
