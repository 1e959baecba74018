"""Which pages a change to some notes can touch, so ``convo site serve`` renders only those.

:func:`affected_pages` compares the site model before and after a change and
returns the staging paths whose Markdown may differ, or None when the change
reaches too far to tell cheaply (then every page is regenerated; the staging
tree still rewrites only files whose bytes changed). Index pages are always
included: they are few, and the byte comparison drops the unchanged ones.

A conversation shows up on its own page, its thread's page and every page of
that thread (numbering, previous/next), the pages of everyone it names (with,
turn, commitments, referrals) and of their orgs, its tags' pages, and the
pages of conversations its commitments are closed by or that it closes. A
person's or org's display name shows up almost everywhere, so renaming one,
adding or removing one, a privacy change, or a page moving to another path
regenerates everything.
"""

from __future__ import annotations

from typing import Callable

from ..loader import note_kind
from ..model import Conversation, Org, Person
from ..referrals import recommended
from .inert import clean_text
from .model import INDEX_PAGES, SiteModel


def _same_places(old: SiteModel, new: SiteModel) -> bool:
    """Every page that exists before and after stays at its path, and no new page takes an old one's."""
    for before, after in ((old.person_page, new.person_page), (old.org_page, new.org_page),
                          (old.conv_page, new.conv_page), (old.thread_page, new.thread_page),
                          ({t.key: t.page for t in old.tags}, {t.key: t.page for t in new.tags})):
        taken = set(before.values())
        for key, page in after.items():
            if (before[key] != page) if key in before else (page in taken):
                return False
    return True


def affected_pages(old: SiteModel, new: SiteModel, changed: set[str],
                   mentions: Callable[[str], set[str]] | None = None) -> set[str] | None:
    """Staging paths of ``new`` that may differ after the notes at ``changed`` paths changed.

    ``mentions(slug)`` gives the paths of notes whose body mentions ``slug``
    (wiki or relative links): with it, a conversation that turns private (or
    public) updates only the pages that can name it.
    """
    if old.nb.config.me != new.nb.config.me or old.nb.config.topic_aliases != new.nb.config.topic_aliases \
            or old.today != new.today:
        return None
    if set(old.nb.people) != set(new.nb.people) or set(old.nb.orgs) != set(new.nb.orgs):
        return None
    if not _same_places(old, new):
        return None
    pages = set(INDEX_PAGES)
    flipped = old.view.hidden ^ new.view.hidden
    if flipped:
        conversations = {p.rsplit("/", 1)[-1][:-3] for p in changed if note_kind(p) == "conversation"}
        if mentions is None or not flipped <= conversations:
            return None
        for slug in flipped:
            for path in mentions(slug):
                for site in (old, new):
                    if path in site.page_of_path:
                        pages.add(site.page_of_path[path])
    for path in changed:
        before, after = old.note_by_path.get(path), new.note_by_path.get(path)
        for site, note, other in ((old, before, after), (new, after, before)):
            if note is None:
                continue
            pages |= _mentioned_pages(site, note)
            if isinstance(note, (Person, Org)):
                if not isinstance(other, type(note)) or other.name != note.name \
                        or (isinstance(note, Person) and note.org != other.org):  # type: ignore[union-attr]
                    return None
                pages |= _note_pages(site, note)
            elif isinstance(note, Conversation):
                pages |= _conversation_pages(site, note)
    return pages & new.all_pages()


def _mentioned_pages(site: SiteModel, note: Person | Org | Conversation) -> set[str]:
    """The pages whose backlinks or local relationship map can show this note."""
    pages = {page for page, sources in site.mentions.items() if note.path in sources}
    nb = site.nb
    if isinstance(note, Conversation):
        slugs = {nb.canon(s) or s for s in note.with_}
        slugs |= {nb.canon(r.by) or r.by or "" for r in note.referrals}
        slugs |= {nb.canon(r.recommends) or r.recommends for r in note.referrals}
        slugs |= {nb.canon(r.to) or r.to for r in note.referrals}
        slugs |= site.graph.hubs
        if note.recorded_by:
            slugs.add(nb.canon(note.recorded_by) or note.recorded_by)
    else:
        slugs = {note.slug} | ({nb.canon(note.org) or note.org} if isinstance(note, Person) and note.org else set())
    for slug in site.graph.touched_by(slugs):
        page = site.person_page.get(slug) or site.org_page.get(slug)
        if page is not None:
            pages.add(page)
    return pages


def _note_pages(site: SiteModel, note: Person | Org) -> set[str]:
    pages = {site.page_of_path[note.path]}
    pages |= _tag_pages(site, note.tags)
    if isinstance(note, Person) and note.org in site.org_page:
        pages.add(site.org_page[note.org])
    return pages


def _tag_pages(site: SiteModel, tags: tuple[str, ...]) -> set[str]:
    out = set()
    for tag in tags:
        found = site.tag_by_key.get(clean_text(tag).casefold())
        if found is not None:
            out.add(found.page)
    return out


def _conversation_pages(site: SiteModel, conv: Conversation) -> set[str]:
    nb = site.nb
    pages = {site.conv_page[conv.path]}
    thread, _ = site.thread_of[conv.path]
    pages.add(site.thread_page[thread.key])
    pages |= {site.conv_page[c.path] for c in thread.conversations}
    named = set(thread.people) | set((thread.turn or "").split("+"))
    named |= {nb.canon(s) or s for s in conv.with_}
    if conv.next is not None:
        named.add(nb.canon_in(conv, conv.next.turn) or conv.next.turn)
    for c in conv.commitments:
        named |= {nb.canon(c.owner) or c.owner, nb.canon(c.to) or c.to or ""}
        if c.id:
            closer = site.closed.get(c.id)
            if closer is not None:
                pages.add(site.conv_page[closer.path])
    for ident in conv.closes:
        for other, c in site.by_id.get(ident, []):
            pages.add(site.conv_page[other.path])
            named |= {nb.canon(c.owner) or c.owner, nb.canon(c.to) or c.to or ""}
    for r in conv.referrals:
        named |= {recommended(nb, r.recommends) or r.recommends, nb.canon(r.by) or r.by or "", nb.canon(r.to) or r.to}
    named.add(nb.author_of(conv))  # the author's page lists what they recorded
    orgs = {nb.org_of(conv)}
    for slug in named:
        if slug in site.person_page:
            pages.add(site.person_page[slug])
            orgs.add(nb.people[slug].org)
        elif slug in site.org_page:
            orgs.add(slug)
    pages |= {site.org_page[o] for o in orgs if o in site.org_page}
    pages |= _tag_pages(site, conv.tags)
    return pages
