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
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .inert import BLOCK_END, BLOCK_START, BLOCK_START_UNINDEXED, url_is_safe

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
    """See the module docstring."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's API name
        for name in ("html_block", "snippet"):
            if name in md.preprocessors:
                md.preprocessors.deregister(name)
        if "html" in md.inlinePatterns:
            md.inlinePatterns.deregister("html")
        # After normalize_whitespace (30), which strips the stash's placeholder characters.
        md.preprocessors.register(GeneratedHtml(md), "convo_generated_html", 29)
        # After attr_list (8), toc (5) and unescape (0): nothing can add attributes later.
        md.treeprocessors.register(InertTree(md), "convo_inert", -100)


def makeExtension(**kwargs: Any) -> InertExtension:  # noqa: N802 - Markdown's API name
    return InertExtension(**kwargs)
