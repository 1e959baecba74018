"""Page generation: the staging tree's Markdown, from jinja2 templates.

Templates live in the package (``convo_notes/site_templates/*.md.j2``); a
notebook's own ``site_templates/`` folder overrides any of them by name
(jinja2 ``ChoiceLoader``). Every ``{{ value }}`` a template prints is made
inert by the environment's ``finalize`` (:func:`~convo_notes.site.inert.md_text`)
unless it is already :class:`~markupsafe.Markup`, which only the link helpers
below produce: a template cannot print a note's value as Markdown or HTML by
mistake.

Each template gets ``site`` (:class:`~convo_notes.site.model.SiteModel`),
``page`` (its path in the staging tree), ``link`` (:class:`Links`, relative
Markdown links from this page), ``html`` (:class:`HtmlLinks`, the same links
as HTML anchors with the URLs MkDocs will publish, for the regions a template
writes as HTML inside ``{% filter html_block %}``) and its own subject
(``person``, ``org``, ``conversation``, ``thread``, ``tag``).

The built-in templates write a page's title, section headings and the note's
body as Markdown, and everything generated from the notes' fields (fact
lists, tables, timelines) as HTML regions: Python-Markdown passes those
through untouched, which makes a page several times cheaper to render than
the same tables written as Markdown full of links.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .. import fsutil
from ..agenda import MINE, SETTLED, DueItem, Thread
from ..model import Conversation, Note
from . import charts
from .backlinks import markdown_targets, note_target
from .bodylinks import BodyLinks
from .inert import (
    clean_body,
    clean_text,
    href_quote,
    html_block,
    html_link,
    html_text,
    md_link,
    md_text,
    title_text,
    url_is_safe,
)
from .model import INDEX_PAGES, SiteModel
from .public import PRIVATE_LABEL

# The longest body a page shows, in characters: Markdown and the search index take time and memory
# in proportion to it; a longer note is cut at a line end, with a warning naming the line.
MAX_BODY_CHARS = 256 * 1024
TEMPLATE_DIR = "site_templates"
BodyOf = Callable[[Note], "str | None"]


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return md_text(value)


def _join(items: Iterable[Any], sep: str = ", ") -> Markup:
    """``join`` that keeps links: Markup items as they are, anything else escaped."""
    return Markup(sep).join(item if isinstance(item, Markup) else md_text(item) for item in items)


CHANNEL_ICONS = {"call": "phone", "phone": "phone", "email": "email", "mail": "email", "video": "video-outline",
                 "meeting": "account-group", "in-person": "handshake", "chat": "chat-outline",
                 "message": "message-text-outline"}


KIND_ICONS = {"commitment": "check-circle-outline", "my-turn": "account-arrow-right", "waiting": "timer-sand",
              "keep-in-touch": "account-clock"}
ICONS = (*KIND_ICONS.values(), "alert-circle", "calendar-today", "calendar-week", "email", "phone", "web",
         *sorted(set(CHANNEL_ICONS.values())), "forum")  # the icons the stylesheet defines (Material's bundled ones)


def icon(name: str) -> Markup:
    """One of Material's bundled icons (:data:`ICONS`), drawn by the site's stylesheet (one copy per site,
    not one per use), hidden from screen readers."""
    return Markup(f'<span class="convo-icon convo-icon--{name}" aria-hidden="true"></span>')


@functools.lru_cache(maxsize=1)
def icon_css() -> str:
    """CSS rules drawing :data:`ICONS` as masks from the installed theme's own SVG files (data URIs)."""
    from urllib.parse import quote as url_quote

    from .mkdocs_run import theme_icons_dir

    folder = theme_icons_dir()
    if folder is None:  # pragma: no cover - Material is a dependency
        return ""
    rules = []
    for name in dict.fromkeys(ICONS):
        try:
            svg = (folder / f"{name}.svg").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        data = "data:image/svg+xml," + url_quote(svg.replace('"', "'"), safe=" /:='.,-")
        rules.append(f'.convo-icon--{name} {{ -webkit-mask-image: url("{data}"); mask-image: url("{data}"); }}')
    return "\n".join(rules) + "\n"


def channel_icon(channel: str | None) -> Markup:
    """The icon of a conversation's channel (a speech bubble for one not known)."""
    return icon(CHANNEL_ICONS.get((channel or "").casefold(), "forum"))


def _span(days: int) -> str:
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"


def relative(value: dt.date | dt.datetime | None, today: dt.date, past: str = "late") -> str:
    """``today``, ``tomorrow``, ``in 2 days``, ``3 days late`` (``past``: ``late`` or ``ago``)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    days = (value - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1 and past == "ago":
        return "yesterday"
    return f"in {_span(days)}" if days > 0 else f"{_span(-days)} {past}"


def initials(name: str) -> str:
    """Up to two initials of a name, for a profile's avatar."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    picked = [words[0], words[-1]] if len(words) > 1 else [words[0]]
    return "".join(w[0] for w in picked).upper()


def make_env(overrides: Path | None = None) -> jinja2.Environment:
    """The template environment: the notebook's ``site_templates/`` first, then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if overrides is not None and overrides.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(overrides)))
    loaders.append(jinja2.PackageLoader("convo_notes", TEMPLATE_DIR))
    # the notebook's own templates are rendered sandboxed: a cloned notebook's template must not
    # reach Python objects (plain Jinja lets `lipsum.__globals__` run anything)
    kind = jinja2.Environment if len(loaders) == 1 else SandboxedEnvironment
    env = kind(loader=jinja2.ChoiceLoader(loaders), finalize=_finalize, autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, auto_reload=False)
    env.filters["join"] = _join
    env.filters["html_block"] = html_block
    env.filters["text"] = md_text
    env.filters["heading"] = title_text
    env.filters["date"] = _date
    env.filters["initials"] = initials
    env.globals["relative"] = relative
    env.globals["icon"] = icon
    env.globals["channel_icon"] = channel_icon
    env.globals["kind_icon"] = lambda kind: icon(KIND_ICONS.get(kind, "forum"))
    env.globals["PRIVATE"] = PRIVATE_LABEL
    env.globals["MINE"] = MINE
    env.globals["SETTLED"] = SETTLED
    return env


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "\u2013"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


class Urls:
    """Where MkDocs publishes each staged file, and relative URLs between them.

    Mirrors ``mkdocs.structure.files.File.url``: with ``use_directory_urls``
    (MkDocs' default) ``people/ann.md`` is published at ``people/ann/`` and
    ``people/index.md`` at ``people/``; without it at ``people/ann.html`` and
    ``people/index.html``. Other files keep their path.
    """

    def __init__(self, directory_urls: bool = True) -> None:
        self.directory_urls = directory_urls
        self._url: dict[str, list[str]] = {}

    def url(self, target: str) -> str:
        """The URL of a staged file relative to the site's root (``./`` for the home page)."""
        return "/".join(self._parts(target)) or "./"

    def _parts(self, target: str) -> list[str]:
        found = self._url.get(target)
        if found is None:
            url = target
            if target.endswith(".md"):
                stem = target[:-3]
                folder, _, name = stem.rpartition("/")
                if name in ("index", "README"):
                    prefix = f"{folder}/" if folder else ""
                    url = prefix if self.directory_urls else f"{prefix}index.html"
                else:
                    url = f"{stem}/" if self.directory_urls else f"{stem}.html"
            found = self._url[target] = quote(url).split("/")
        return found

    def base(self, page: str) -> tuple[str, ...]:
        """The folders of ``page``'s URL, as seen by relative links from it.

        For a directory-URL page (``people/ann/``) the last folder is a
        wildcard: a link from it to a sibling reads ``../bob/``, the same from
        every page of the folder, so links can be shared between them.
        """
        parts = self._parts(page)[:-1]
        if self.directory_urls and page.endswith(".md") and parts and \
                page.rpartition("/")[2][:-3] not in ("index", "README"):
            parts = [*parts[:-1], "\0"]
        return tuple(parts)

    def relative(self, base: tuple[str, ...], target: str) -> str:
        """The URL of ``target`` relative to a page whose :meth:`base` is ``base``."""
        parts = self._parts(target)
        common = 0
        while common < len(base) and common < len(parts) - 1 and base[common] == parts[common]:
            common += 1
        return "../" * (len(base) - common) + "/".join(parts[common:]) or "./"


class Links:
    """Links and names as inert Markdown, relative to one page of the staging tree."""

    def __init__(self, site: SiteModel, page: str) -> None:
        self.site = site
        self.page = page
        self._dir = posixpath.dirname(page)
        self._prefix = self._dir + "/"
        self._up = "../" * (self._dir.count("/") + 1)
        self._scope = self._dir  # pages that share rendered links
        self._cache: dict[tuple[str, str, str], Markup] = site.link_cache

    def to(self, target: str) -> str:
        """The relative path from this page to ``target`` (a staging path)."""
        if not self._dir:
            return target
        if target.startswith(self._prefix):
            return target[len(self._prefix):]
        return self._up + target

    def page_link(self, target: str, text: Any) -> Markup:
        return md_link(text if isinstance(text, Markup) else md_text(text), self.to(target))

    def name(self, slug: str | None) -> str:
        """A person's or org's display name as plain text (``someone (private)`` for hidden ones)."""
        if slug is None:
            return ""
        nb = self.site.nb
        if self.site.view.is_hidden(nb.canon(slug) or slug) and not nb.is_me(slug):
            return PRIVATE_LABEL
        return nb.display(slug)

    def ref(self, slug: str | None) -> Markup:
        """A person or org: a link to its page, ``me``, ``someone (private)``, or the slug as text."""
        if slug is None:
            return Markup("")
        key = ("ref", self._scope, slug)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._ref(slug)
        return found

    def _ref(self, slug: str) -> Markup:
        nb, site = self.site.nb, self.site
        canon = nb.canon(slug) or slug
        if canon in site.person_page:
            return self.page_link(site.person_page[canon], nb.people[canon].name)
        if canon in site.org_page:
            return self.page_link(site.org_page[canon], nb.orgs[canon].name)
        if nb.is_me(slug):
            return md_text("me")
        if site.view.is_hidden(canon):
            return md_text(PRIVATE_LABEL)
        return md_text(slug)

    def refs(self, slugs: Iterable[str | None]) -> Markup:
        return _join([self.ref(s) for s in slugs if s])

    def turn(self, turn: str | None) -> Markup:
        """Whose turn: a thread's ``turn`` (one slug, or several joined by ``+`` for ``them``)."""
        if turn is None:
            return Markup("")
        return self.refs(turn.split("+"))

    def conv(self, conv: Conversation, text: Any = None) -> Markup:
        """A link to a conversation's page, titled by the conversation unless ``text`` is given."""
        if text is not None:
            return self.page_link(self.site.conv_page[conv.path], text)
        key = ("conv", self._scope, conv.path)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.page_link(self.site.conv_page[conv.path], conv.title)
        return found

    def thread(self, thread: Thread, text: Any = None) -> Markup:
        return self.page_link(self.site.thread_page[thread.key], self.thread_title(thread) if text is None else text)

    def thread_title(self, thread: Thread) -> str:
        return thread.conversations[0].title

    def tag(self, tag: str) -> Markup:
        found = self.site.tag_by_key.get(clean_text(tag).casefold())
        return self.page_link(found.page, tag) if found else md_text(tag)

    def tags(self, tags: Iterable[str]) -> Markup:
        return _join([self.tag(t) for t in tags])

    def source(self, path_line: str, text: Any = None) -> Markup:
        """A link to the page of the note a due item comes from (``PATH:LINE``), titled by the note."""
        path = path_line.rsplit(":", 1)[0]
        target = self.site.page_of_path.get(path)
        if text is None:
            note = self.site.note_by_path.get(path)
            text = note.title if note is not None else ""
        return self.page_link(target, text) if target else md_text(text)

    def party(self, party: Any) -> Markup:
        """A referral directory party: a person/org link, or its free-text name."""
        if party.slug:
            return self.ref(party.slug)
        return md_text(party.name)

    def recommends(self, value: str) -> Markup:
        """A referral's ``recommends``: a person/org, ``someone (private)``, or free text."""
        canon = self.site.nb.canon(value) or value
        if canon in self.site.person_page or canon in self.site.org_page or self.site.view.is_hidden(canon):
            return self.ref(canon)
        return md_text(value)

    def url(self, url: str | None, text: Any = None) -> Markup:
        """An external link, only for ``http(s)``/``mailto``/``tel`` URLs; otherwise plain text."""
        if not url:
            return Markup("")
        if url_is_safe(url) and url.split(":", 1)[0].lower() in ("http", "https", "mailto", "tel"):
            return md_link(md_text(text if text is not None else url), url)
        return md_text(url)

    def who(self, item: DueItem) -> Markup:
        """Who a due item is about: owner to recipient, the people waited on, or the person to call."""
        if item.kind == "commitment":
            owner = self.ref(item.owner)
            return Markup(f"{owner} \u2192 {self.ref(item.to)}") if item.to else owner
        if item.kind == "waiting":
            return self.turn(item.owner)
        return self.refs(item.people)


class HtmlLinks(Links):
    """The same links as :class:`Links`, as HTML anchors for a page's generated HTML regions.

    MkDocs does not rewrite links in raw HTML, so each URL is the one the
    target is published at (:class:`Urls`), relative to this page's URL.
    """

    def __init__(self, site: SiteModel, page: str, urls: Urls) -> None:
        super().__init__(site, page)
        self.urls = urls
        self._base = urls.base(page)
        self._scope = "\0html/" + "/".join(self._base)

    def to(self, target: str) -> str:
        """The URL of ``target`` (a staging path) relative to this page's URL."""
        return self.urls.relative(self._base, target)

    def page_link(self, target: str, text: Any) -> Markup:
        return html_link(text if isinstance(text, Markup) else html_text(text), self.to(target))

    def url(self, url: str | None, text: Any = None) -> Markup:
        """An external link, only for ``http(s)``/``mailto``/``tel`` URLs; otherwise plain text."""
        if not url:
            return Markup("")
        if url_is_safe(url) and url.split(":", 1)[0].lower() in ("http", "https", "mailto", "tel"):
            return html_link(html_text(text if text is not None else url), href_quote(url))
        return html_text(url)

    def note_url(self, slug: str) -> str:
        site = self.site
        return self.to(site.person_page.get(slug) or site.org_page[slug])

    def global_map(self) -> Markup:
        """The relationship map of the most connected people and orgs (:data:`.charts.GLOBAL_NODES`)."""
        graph = self.site.graph
        nodes = graph.top(charts.GLOBAL_NODES)
        label = f"Relationship map of the {len(nodes)} most connected people and organizations"
        return charts.graph_svg(graph, nodes, self.note_url, label)

    def local_map(self, slug: str) -> Markup:
        """A person's or org's neighbourhood in the relationship map (empty when it has none)."""
        graph = self.site.graph
        return charts.local_svg(graph, slug, self.note_url, f"{graph.name[slug]} and the people and "
                                "organizations closest to them")

    def history(self, note: Any) -> Markup:
        """A person's or org's conversations per month, with the keep-in-touch window."""
        site = self.site
        dates = site.contact_dates(note.slug, note.kind)
        window = site.contact_window(note) if note.kind == "person" else None
        label = f"Conversations per month over the last {charts.HISTORY_MONTHS} months: {len(dates)} in all"
        if dates:
            label += f", the latest on {max(dates).isoformat()}"
        if window is not None:
            label += f"; next contact due {window[1].isoformat()}" + (" (overdue)" if window[1] < site.today else "")
        return charts.history_svg(dates, site.today, window, label)


class PageSet:
    """Renders every page of the site from a :class:`SiteModel`."""

    def __init__(self, site: SiteModel, env: jinja2.Environment, body_of: BodyOf,
                 urls: Urls | None = None, links: BodyLinks | None = None, parser: Any = None,
                 raw_body: BodyOf | None = None) -> None:
        """``links`` and ``parser``: the MkDocs run's (:class:`~.mkdocs_run.MkDocsRun`), so bodies are
        parsed here as MkDocs will parse them; by default a parser with the built-in extensions.
        ``raw_body``: how :meth:`link_mentions` reads a body to look for link syntax (by default the
        note's file; ``convo site serve`` passes its bodies kept in memory)."""
        from .mdext import InertExtension

        self.site = site
        self.env = env
        self.body_of = body_of
        self.urls = urls or Urls()
        self.links = links if links is not None else BodyLinks()
        self.links.site = site
        self.problems: list[str] = []
        self.links.problems = self.problems
        if parser is None:
            import markdown

            parser = markdown.Markdown(extensions=["toc", "tables", "admonition", "attr_list",
                                                   InertExtension(links=self.links)])
        self.parser = parser
        self.raw_body = raw_body
        self.attachments: dict[str, str] = {}  # staging path -> notes-relative source
        self.page_attachments: dict[str, set[str]] = {}  # page -> the attachments its body links to
        self._bodies: dict[str, str | None] = {}
        self._linked = False
        self.link_targets: dict[str, list[str | None]] = {}  # note path -> its body's Markdown link targets

    def link_mentions(self) -> None:
        """Add the Markdown links between public notes' bodies to the site's backlinks (once).

        Only bodies that hold a link (``](`` in the note's cached body) are read through
        ``body_of`` (the public check) and tokenized; they are kept for the note's own page.
        """
        if self._linked:
            return
        self._linked = True
        site = self.site
        for note in site.note_by_path.values():
            try:
                raw = note.body if self.raw_body is None else self.raw_body(note)
            except (OSError, ValueError, fsutil.Refused):
                continue
            if not raw or "](" not in raw:
                continue
            text = self._bodies[note.path] = self.body_of(note)
            targets = self.link_targets[note.path] = [note_target(dest, note.path)
                                                      for dest in markdown_targets(text or "")]
            for target in targets:
                site.mention(note.path, target, "link")

    def again(self, body_of: BodyOf) -> None:
        """Make pages again from the same site model with bodies as ``body_of`` reads them now
        (``convo site serve``, when only bodies changed): bodies read earlier and problems told
        earlier are forgotten; the backlinks stay (the caller knows the bodies' links did not move)."""
        self.body_of = body_of
        self._bodies.clear()
        self.problems.clear()  # (the same list as the links': cleared in place)

    def render(self, template: str, page: str, **context: Any) -> str:
        tpl = self.env.get_template(template)
        return tpl.render(site=self.site, page=page, link=Links(self.site, page),
                          html=HtmlLinks(self.site, page, self.urls), **context)

    def body(self, note: Note, page: str) -> Markup:
        """The note's body for its page: Markdown, its links left to the parser (:mod:`.mdext`).

        Bodies that hold link syntax are parsed here once with the Markdown
        instance MkDocs will use (``self.parser``), which makes the same link
        decisions then, to learn the attachments to copy and the problems
        worth telling before MkDocs runs.
        """
        text = self._bodies.pop(note.path) if note.path in self._bodies else self.body_of(note)
        if not text:
            return Markup("")
        if len(text) > MAX_BODY_CHARS:
            cut = text.rfind("\n", 0, MAX_BODY_CHARS) + 1 or MAX_BODY_CHARS
            line = note.body_line + text.count("\n", 0, cut)
            self.problems.append(f"{note.path}:{line}: the body is {len(text) // 1024:,} KiB; the site shows "
                                 f"only its first {MAX_BODY_CHARS // 1024} KiB, up to this line")
            text = text[:cut] + f"\n\n*(The rest of this note, from line {line}, is too long for the site; " \
                                "it is in the note's file.)*\n"
        title = note.title if isinstance(note, Conversation) else note.name
        plain: list[int] = []
        out = clean_body(text, title, plain)
        self.problems.extend(f"{note.path}:{note.body_line + n}: a paragraph too long or with too many "
                             "unclosed brackets for Markdown is shown as plain text" for n in plain)
        self.links.note_of[page] = note.path
        if "](" in out or "]:" in out or "[[" in out:
            links = self.links
            links.page, links.recording, links.found = page, True, set()
            try:
                self.parser.reset().convert(out)
            finally:
                links.page, links.recording = None, False
            self.page_attachments.setdefault(page, set()).update(links.found)
            self.attachments.update({a: links.attachments[a] for a in links.found})
        return Markup(out)

    def pages(self, only: set[str] | None = None) -> Iterator[tuple[str, str]]:
        """Every ``(staging path, Markdown)`` of the site (or those in ``only``), index pages first."""
        self.link_mentions()
        for page, template, context in self._plan():
            if only is not None and page not in only:
                continue
            note = context.pop("note", None)
            yield page, (self.render(template, page, **context) if note is None
                         else self.note_page(template, page, note, **context))

    def paths(self) -> list[str]:
        """Every page's staging path, in the order :meth:`pages` yields them (nothing rendered)."""
        return [page for page, _template, _context in self._plan()]

    def _plan(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(page, template, context)`` of every page; ``note`` in the context: a note's own page."""
        site = self.site
        for page, template in INDEX_PAGES.items():
            yield page, template, {}
        for person in site.people:
            yield site.person_page[person.slug], "person.md.j2", {"note": person, "person": person}
        for org in site.orgs:
            yield site.org_page[org.slug], "org.md.j2", {"note": org, "org": org}
        for thread in site.threads:
            yield site.thread_page[thread.key], "thread.md.j2", {"thread": thread}
        for tag in site.tags:
            yield tag.page, "tag.md.j2", {"tag": tag}
        for conv in site.conversations:
            yield site.conv_page[conv.path], "conversation.md.j2", {"note": conv, "conversation": conv}

    def note_page(self, template: str, page: str, note: Note, **context: Any) -> str:
        self.page_attachments[page] = set()
        return self.render(template, page, body=self.body(note, page), note=note, **context)

    def count(self, only: set[str] | None = None) -> int:
        """How many pages :meth:`pages` yields."""
        return len(self.site.all_pages() if only is None else only)
