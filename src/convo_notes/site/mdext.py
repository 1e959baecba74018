"""A Markdown extension that keeps note bodies inert on the site.

The site build adds it last to ``markdown_extensions`` (``convo_notes.site.mdext``),
so it runs after every other extension:

- raw HTML is not passed through: the block and inline HTML processors are
  removed, so ``<script>`` or ``<img onerror=...>`` in a note is shown as text;
- file-including extensions (``pymdownx.snippets``) are switched off, so a
  public note cannot pull a private one into its page;
- a last tree pass removes elements that run code (``script``, ``iframe``,
  ``object``, ``svg``...), every ``on*`` event-handler and ``style`` attribute
  (attr_list's ``{ onclick=... }`` included) and every ``href``/``src``-like
  attribute whose scheme is not ``http``, ``https``, ``mailto`` or ``tel``.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from typing import Any

from markdown import Extension, Markdown  # type: ignore[import-untyped]
from markdown.treeprocessors import Treeprocessor  # type: ignore[import-untyped]

from .inert import url_is_safe

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


class InertExtension(Extension):
    """See the module docstring."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's API name
        for name in ("html_block", "snippet"):
            if name in md.preprocessors:
                md.preprocessors.deregister(name)
        if "html" in md.inlinePatterns:
            md.inlinePatterns.deregister("html")
        # After attr_list (8), toc (5) and unescape (0): nothing can add attributes later.
        md.treeprocessors.register(InertTree(md), "convo_inert", -100)


def makeExtension(**kwargs: Any) -> InertExtension:  # noqa: N802 - Markdown's API name
    return InertExtension(**kwargs)
