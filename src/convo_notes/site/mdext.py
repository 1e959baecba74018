"""A Markdown extension that keeps note bodies inert on the site.

The site build adds it last to ``markdown_extensions`` (``convo_notes.site.mdext``),
so it runs after every other extension:

- raw HTML is not passed through: the block and inline HTML processors are
  removed, so ``<script>`` or ``<img onerror=...>`` in a note is shown as text;
- the only HTML that is passed through is the generated regions of a staged
  page, marked by :func:`~convo_notes.site.inert.html_block` with control
  characters no note can contain; each goes to Python-Markdown's raw-HTML
  stash whole, so it costs no Markdown processing (its values are escaped and
  its links final when the page is generated); it is wrapped in the comments
  ``<!--convo:text-->`` or ``<!--convo:skip-->`` and ``<!--/convo-->``, which
  tell the build how to index it for search (see ``mkdocs_run``);
- file-including extensions (``pymdownx.snippets``) are switched off, so a
  public note cannot pull a private one into its page;
- ``[[slug]]`` is an inline pattern (so never in code), and a tree pass that
  runs after the inline patterns, footnotes and attr_list (every link, image
  and reference is resolved by then, with its final attributes; code spans
  and blocks hold only text) decides
  every ``<a>`` and ``<img>`` a note body produced through
  :class:`~convo_notes.site.bodylinks.BodyLinks`: a public note's page, an
  attachment's copy, or the label alone; links a template wrote carry
  :data:`~convo_notes.site.inert.LINK_MARK` and are only unmarked;
- a last tree pass removes elements that run code (``script``, ``iframe``,
  ``object``, ``svg``...), every ``on*`` event-handler and ``style`` attribute
  (attr_list's ``{ onclick=... }`` included) and every ``href``/``src``-like
  attribute whose scheme is not ``http``, ``https``, ``mailto`` or ``tel``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString

from .bodylinks import BodyLinks
from .inert import BLOCK_END, BLOCK_START, BLOCK_START_UNINDEXED, LINK_MARK, url_is_safe

ACTIVE_TAGS = frozenset({"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
                         "base", "link", "meta", "template", "svg", "math", "form", "noscript"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                            "background", "srcset", "cite", "ping"})
DROPPED_ATTRIBUTES = frozenset({"style", "srcdoc"})


class InertTree(Treeprocessor):
    """Removes active elements, event handlers and unsafe URLs from the element tree."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if isinstance(child.tag, str) and child.tag.lower() in ACTIVE_TAGS:
                    keep = child.tail
                    index = list(parent).index(child)
                    parent.remove(child)
                    if keep:
                        if index:
                            prev = parent[index - 1]
                            prev.tail = (prev.tail or "") + keep
                        else:
                            parent.text = (parent.text or "") + keep
        for el in root.iter():
            for name in list(el.attrib):
                low = name.lower()
                if low.startswith("on") or low in DROPPED_ATTRIBUTES:
                    del el.attrib[name]
                elif low in URL_ATTRIBUTES and not url_is_safe(el.attrib[name]):
                    del el.attrib[name]


WIKI_ATTR, LABEL_ATTR = "data-convo-wiki", "data-convo-label"
_ESCAPED = re.compile(f"{STX}(\\d+){ETX}")


class WikiLinkPattern(InlineProcessor):
    """``[[slug]]``, ``[[slug#part]]``, ``[[slug|label]]``: an ``<a>`` for :class:`BodyLinkTree` to decide."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # noqa: N802
        el = etree.Element("a")
        el.set(WIKI_ATTR, m.group(1).strip())
        if m.group(3) is not None:
            el.set(LABEL_ATTR, m.group(3))
        return el, m.start(0), m.end(0)


WIKI_RE = r"\[\[([^\]\|#\n]+)(#[^\]\|\n]*)?(?:\|([^\]\n]*))?\]\]"


class BodyLinkTree(Treeprocessor):
    """Decides every link and image of the page (see the module docstring)."""

    def __init__(self, md: Markdown, links: BodyLinks | None) -> None:
        super().__init__(md)
        self.links = links

    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, parent: etree.Element) -> None:
        index = 0
        while index < len(parent):
            child = parent[index]
            self._walk(child)
            index += self._decide(parent, index, child)

    def _decide(self, parent: etree.Element, index: int, el: etree.Element) -> int:
        """Decide one element; returns how many elements now stand where it stood."""
        links = self.links
        for name in list(el.attrib):
            low = name.lower()
            if (el.tag, low) in (("a", "href"), ("img", "src")) or low not in URL_ATTRIBUTES:
                continue
            value = el.attrib[name]
            if not (value.startswith("#") or (_external(value) and url_is_safe(value))):
                del el.attrib[name]  # attr_list's {: data=...}: nothing but links may point anywhere
        if el.tag == "a" and WIKI_ATTR in el.attrib:
            slug = el.attrib.pop(WIKI_ATTR)
            label = el.attrib.pop(LABEL_ATTR) if LABEL_ATTR in el.attrib else None
            href, shown = links.wiki(slug, label) if links is not None else (None, label or slug)
            el.text = AtomicString(shown)
            if href is None:
                return _unwrap(parent, index, el, shown)
            el.set("href", LINK_MARK + href)
        key = "href" if el.tag == "a" else "src" if el.tag == "img" else None
        if key is None or key not in el.attrib:
            return 1
        raw = el.attrib[key]
        if raw.startswith(LINK_MARK):
            el.set(key, raw[len(LINK_MARK):])
            return 1
        url = _ESCAPED.sub(lambda m: chr(int(m.group(1))), raw).strip()
        decided = links.url(url) if links is not None else (url if _external(url) and url_is_safe(url) else None)
        if decided is None:
            return _unwrap(parent, index, el, el.get("alt", "") if el.tag == "img" else None)
        el.set(key, decided)
        return 1


def _external(url: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", url)) or url.startswith("//") or url.startswith("#")


def _unwrap(parent: etree.Element, index: int, el: etree.Element, text: str | None) -> int:
    """Replace ``el`` by its content (or by ``text`` alone); returns how many elements took its place."""
    children = [] if text is not None else list(el)
    lead = el.text if text is None else text
    tail = el.tail
    parent.remove(el)
    for k, child in enumerate(children):
        parent.insert(index + k, child)

    def add(pos: int, piece: str | None) -> None:
        if not piece:
            return
        if pos == 0:
            parent.text = (parent.text or "") + piece
        else:
            prev = parent[pos - 1]
            prev.tail = (prev.tail or "") + piece

    add(index, lead)
    add(index + len(children), tail)
    return len(children)


_REGION = re.compile(f"([{BLOCK_START}{BLOCK_START_UNINDEXED}])(.*?){BLOCK_END}", re.S)
SEARCH_TEXT, SEARCH_SKIP, SEARCH_END = "<!--convo:text-->", "<!--convo:skip-->", "<!--/convo-->"


class GeneratedHtml(Preprocessor):
    """Stashes each generated HTML region as one raw block (see the module docstring)."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if BLOCK_START not in text and BLOCK_START_UNINDEXED not in text:
            return lines
        stash = self.md.htmlStash.store

        def region(m: re.Match[str]) -> str:
            mark = SEARCH_TEXT if m.group(1) == BLOCK_START else SEARCH_SKIP
            content = m.group(2).replace(BLOCK_START, "").replace(BLOCK_START_UNINDEXED, "")  # nested regions
            return f"\n\n{stash(mark + content + SEARCH_END)}\n\n"

        text = _REGION.sub(region, text)
        # An unpaired marker can only come from a broken template: drop it, keep the text.
        for char in (BLOCK_START, BLOCK_START_UNINDEXED, BLOCK_END):
            text = text.replace(char, "")
        return text.split("\n")


class InertExtension(Extension):
    """See the module docstring; ``links`` decides body links (without it, only external links stay)."""

    def __init__(self, links: BodyLinks | None = None, **kwargs: Any) -> None:
        self.links = links
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's API name
        for name in ("html_block", "snippet"):
            if name in md.preprocessors:
                md.preprocessors.deregister(name)
        if "html" in md.inlinePatterns:
            md.inlinePatterns.deregister("html")
        # After normalize_whitespace (30), which strips the stash's placeholder characters.
        md.preprocessors.register(GeneratedHtml(md), "convo_generated_html", 29)
        # Before `reference` (170) and `link` (160): `[[x]]` is not a shortcut reference.
        md.inlinePatterns.register(WikiLinkPattern(WIKI_RE, md), "convo_wiki", 175)
        # After the inline patterns (20), the footnotes' passes (19, 15) and attr_list (8): every link and
        # image exists with its final attributes; before toc (5) and MkDocs' own `relpath` (0), which then
        # turns the staged `.md` paths into page URLs.
        md.treeprocessors.register(BodyLinkTree(md, self.links), "convo_links", 6)
        # After attr_list (8), toc (5) and unescape (0): nothing can add attributes later.
        md.treeprocessors.register(InertTree(md), "convo_inert", -100)


def makeExtension(**kwargs: Any) -> InertExtension:  # noqa: N802 - Markdown's API name
    return InertExtension(**kwargs)
