"""What the site's pages show, computed once from the public view.

:class:`SiteModel` runs the ordinary queries (``agenda``, ``referrals``) on
the public notebook and indexes the results by person, org, thread and tag,
in one pass each, so a 10,000-note notebook is not scanned once per page. It
also decides where every page lives in the staging tree:

    index.md                      the dashboard
    people/index.md, people/<slug>.md
    orgs/index.md, orgs/<slug>.md
    conversations/<slug>.md
    threads/index.md, threads/<thread>.md
    commitments/index.md, referrals/index.md
    tags/index.md, tags/<tag>.md
    attachments/<path under notes/>
    calendar.ics
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from hashlib import blake2b

from markupsafe import Markup

from .. import agenda, referrals
from ..agenda import DueItem, Thread
from ..dates import add_days
from ..model import Commitment, Conversation, Org, Person, Referral
from ..schema import slugify
from . import charts
from .inert import clean_text
from .public import PublicView

# The site's index pages (staging path -> template); every other page belongs to one note, thread or tag.
INDEX_PAGES = {
    "index.md": "home.md.j2",
    "people/index.md": "people.md.j2",
    "orgs/index.md": "orgs.md.j2",
    "threads/index.md": "threads.md.j2",
    "commitments/index.md": "commitments.md.j2",
    "referrals/index.md": "referrals.md.j2",
    "tags/index.md": "tags.md.j2",
    "map/index.md": "map.md.j2",
}

RESERVED = frozenset({"index", "README"})  # MkDocs publishes README.md as its folder's index
DASHBOARD_ROWS = 50  # rows per dashboard section; the indexes list everything
# The longest page file name, in bytes: file systems allow 255, and MkDocs adds `.html` or a folder
# and `index.html`; a name this short also keeps URLs readable.
MAX_NAME_BYTES = 100


@dataclass(frozen=True)
class Tag:
    """A tag as shown on the site, with every public note carrying it."""

    key: str
    label: str
    page: str
    people: tuple[Person, ...]
    orgs: tuple[Org, ...]
    conversations: tuple[Conversation, ...]

    @property
    def count(self) -> int:
        return len(self.people) + len(self.orgs) + len(self.conversations)


@dataclass(frozen=True)
class Mention:
    """A referral with the conversation it was made in."""

    conversation: Conversation
    referral: Referral


def page_name(name: str) -> str:
    """A page's file name (without ``.md``) from a slug or thread name, short enough for any file system.

    A name longer than :data:`MAX_NAME_BYTES` (a thread of ten people with long slugs, a
    300-character ``thread``) keeps its beginning and gets a hash of the whole name, so
    its URL is the same from build to build and differs from every other long name's.
    """
    try:
        data = name.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8 (as Python decodes it): its slug and a hash
        data = name.encode("utf-8", "surrogatepass")
        return f"{slugify(name)[:MAX_NAME_BYTES - 11] or 'page'}-{blake2b(data, digest_size=5).hexdigest()}"
    if len(data) <= MAX_NAME_BYTES:
        return name
    digest = blake2b(data, digest_size=5).hexdigest()
    head = data[:MAX_NAME_BYTES - len(digest) - 1].decode("utf-8", "ignore").rstrip("-")
    return f"{head}-{digest}"


def _allocate(folder: str, name: str, taken: set[str]) -> str:
    name = page_name(name)
    base = name if name and name not in RESERVED else f"{name or 'page'}-page"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return f"{folder}/{candidate}.md"


class SiteModel:
    """Everything the page templates need (see the module docstring)."""

    def __init__(self, view: PublicView, today: dt.date, changes: dict[str, object] | None = None,
                 within: int = 7, directory: list[referrals.TopicEntry] | None = None) -> None:
        nb = view.nb
        self.view = view
        self.nb = nb
        self.today = today
        self.within = within
        self.dashboard_rows = DASHBOARD_ROWS
        self.graph_nodes = charts.GLOBAL_NODES
        self.week_end = add_days(today, within)
        self.changes = changes or {}
        self.title = nb.config.site_title
        self.link_cache: dict[tuple[str, str, str], Markup] = {}  # rendered links, by page folder

        # Where pages live.
        taken: set[str] = set()
        self.person_page = {s: _allocate("people", s, taken) for s in sorted(nb.people)}
        taken = set()
        self.org_page = {s: _allocate("orgs", s, taken) for s in sorted(nb.orgs)}
        taken = set()
        self.conv_page: dict[str, str] = {}  # note path -> page
        self.conv_by_slug: dict[str, Conversation] = {}
        for conv in nb.conversations:
            self.conv_page[conv.path] = _allocate("conversations", conv.slug, taken)
            self.conv_by_slug.setdefault(conv.slug, conv)
        self.note_by_path: dict[str, Person | Org | Conversation] = {
            **{p.path: p for p in nb.people.values()}, **{o.path: o for o in nb.orgs.values()},
            **{c.path: c for c in nb.conversations}}
        self.page_of_path = {**{p.path: self.person_page[s] for s, p in nb.people.items()},
                             **{o.path: self.org_page[s] for s, o in nb.orgs.items()},
                             **self.conv_page}

        # Threads, in order of urgency.
        self.threads = sorted(agenda.threads(nb), key=lambda t: t.urgency(today))
        self.thread_by_key = {t.key: t for t in self.threads}
        self.thread_page: dict[str, str] = {}
        taken = set()
        for thread in sorted(self.threads, key=lambda t: (not t.explicit, t.key)):
            self.thread_page[thread.key] = _allocate("threads", self._thread_name(thread), taken)
        self.thread_of: dict[str, tuple[Thread, int]] = {}
        for thread in self.threads:
            for i, conv in enumerate(thread.conversations):
                self.thread_of[conv.path] = (thread, i)

        # Commitments.
        self.closed = agenda.closed_ids(nb)
        self.open = agenda.open_commitments(nb)
        self.by_id: dict[str, list[tuple[Conversation, Commitment]]] = defaultdict(list)
        for conv in nb.conversations:
            for c in conv.commitments:
                if c.id:
                    self.by_id[c.id].append((conv, c))
        self.open_by: dict[str, list[tuple[Conversation, Commitment]]] = defaultdict(list)
        self.open_to: dict[str, list[tuple[Conversation, Commitment]]] = defaultdict(list)
        for conv, c in self.open:
            self.open_by[nb.canon(c.owner) or c.owner].append((conv, c))
            if c.to:
                self.open_to[nb.canon(c.to) or c.to].append((conv, c))

        # Conversations by person and org; referrals by party.
        self.with_person: dict[str, list[Conversation]] = defaultdict(list)
        self.of_org: dict[str, list[Conversation]] = defaultdict(list)
        self.recommended: dict[str, list[Mention]] = defaultdict(list)
        self.given: dict[str, list[Mention]] = defaultdict(list)
        self.received: dict[str, list[Mention]] = defaultdict(list)
        # what each team member recorded (a note's author: `recorded_by`, else the notebook's `me`)
        self.recorded: dict[str, list[Conversation]] = defaultdict(list)
        names = referrals.names_index(nb)
        for conv in nb.conversations:
            self.recorded[nb.author_of(conv)].append(conv)
            for slug in conv.with_:
                self.with_person[nb.canon(slug) or slug].append(conv)
            org = nb.org_of(conv)
            if org:
                self.of_org[org].append(conv)
            for ref in conv.referrals:
                mention = Mention(conv, ref)
                self.recommended[referrals.recommended(nb, ref.recommends, names) or ref.recommends].append(mention)
                if ref.by:
                    self.given[nb.canon(ref.by) or ref.by].append(mention)
                self.received[nb.canon(ref.to) or ref.to].append(mention)
        self.people_of_org: dict[str, list[Person]] = defaultdict(list)
        for person in self.people:
            if person.org:
                self.people_of_org[person.org].append(person)
        self.last_contact = agenda.last_contact(nb)
        self.keep_in_touch = sorted(agenda.keep_in_touch(nb, today), key=lambda k: (k[1], k[0].name.casefold()))
        self.cadence_due = {p.slug: when for p, when, _ in self.keep_in_touch}
        self.threads_of: dict[str, list[Thread]] = defaultdict(list)
        self.turn_of: dict[str, list[Thread]] = defaultdict(list)  # each team member's turns
        for thread in self.threads:
            if thread.state == agenda.MINE and thread.turn:
                self.turn_of[thread.turn].append(thread)
            for slug in thread.people:
                self.threads_of[slug].append(thread)

        # The referral directory (the agenda as of today, ``due``, is made when first asked).
        self.directory = self._directory() if directory is None else directory
        self.tags = self._tags()
        self.tag_by_key = {t.key: t for t in self.tags}

        # Backlinks from front matter and wiki links (Markdown links are added by the pages: they need bodies),
        # and the relationship graph.
        self.mentions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._front_matter_mentions()
        self.graph = self._graph()
        self.chronological = sorted(nb.conversations, key=lambda c: c.sort_key)

    @functools.cached_property
    def due(self) -> list[DueItem]:
        """The agenda as of today: made when first asked (only the dashboard shows it, and ``convo site
        serve`` makes an edited conversation's page before the dashboard)."""
        return agenda.find_due(self.nb, self.today, within=self.within)

    # ----------------------------------------------------------------- sorted lists
    @property
    def people(self) -> list[Person]:
        return sorted(self.nb.people.values(), key=lambda p: (p.name.casefold(), p.slug))

    @property
    def orgs(self) -> list[Org]:
        return sorted(self.nb.orgs.values(), key=lambda o: (o.name.casefold(), o.slug))

    @property
    def conversations(self) -> list[Conversation]:
        return self.nb.conversations

    # ----------------------------------------------------------------- queries used by templates
    def overdue(self) -> list[DueItem]:
        return [i for i in self.due if i.date is not None and i.date < self.today]

    def this_week(self) -> list[DueItem]:
        return [i for i in self.due if i.date is not None and self.today <= i.date <= self.week_end]

    def my_turn(self) -> list[Thread]:
        return [t for t in self.threads if t.state == agenda.MINE]

    def waiting(self) -> list[Thread]:
        return [t for t in self.threads if t.state == agenda.THEIRS]

    def keep_in_touch_due(self) -> list[tuple[Person, dt.date, Conversation | None]]:
        return [k for k in self.keep_in_touch if k[1] <= self.week_end]

    def state(self, c: Commitment) -> str:
        """``done``, ``closed``, ``overdue`` or ``open`` as of the build date."""
        return agenda.commitment_state(c, self.closed, self.today)

    def closer(self, c: Commitment) -> Conversation | None:
        return self.closed.get(c.id) if c.id else None

    def rows(self, conv: Conversation) -> list[tuple[Conversation, Commitment]]:
        """A conversation's commitments as ``(conversation, commitment)`` rows."""
        return [(conv, c) for c in conv.commitments]

    def commitments_with_id(self, ident: str) -> list[tuple[Conversation, Commitment]]:
        """The public commitment(s) with this id."""
        return self.by_id.get(ident, [])

    def is_latest(self, conv: Conversation) -> bool:
        thread, index = self.thread_of[conv.path]
        return index == len(thread.conversations) - 1

    def owners(self) -> list[tuple[str, list[tuple[Conversation, Commitment]]]]:
        """Open commitments grouped by owner: me first, then by display name, stand-ins last."""
        nb = self.nb

        def key(slug: str) -> tuple[int, str, str]:
            return (0 if nb.is_me(slug) else 2 if self.view.is_hidden(slug) else 1,
                    nb.display(slug).casefold(), slug)

        return [(slug, sorted(items, key=lambda ci: (ci[1].due or dt.date.max, ci[0].sort_key)))
                for slug, items in sorted(self.open_by.items(), key=lambda kv: key(kv[0]))]

    def all_pages(self) -> set[str]:
        """The staging path of every page."""
        return {*INDEX_PAGES, *self.person_page.values(), *self.org_page.values(), *self.conv_page.values(),
                *self.thread_page.values(), *(t.page for t in self.tags)}

    def change(self, path: str) -> object | None:
        """The note's last git change (``gitinfo.Change``), if known."""
        return self.changes.get(path)

    def recent(self, n: int = 10) -> list[Conversation]:
        """The ``n`` latest conversations, newest first."""
        return self.chronological[::-1][:n]

    def counts(self) -> list[tuple[str, str, int, str, str]]:
        """The dashboard's cards: ``(key, label, count, anchor on the dashboard, icon)``."""
        today = [i for i in self.due if i.date == self.today]
        return [
            ("overdue", "Overdue", len(self.overdue()), "overdue", "alert-circle"),
            ("today", "Due today", len(today), "due-this-week", "calendar-today"),
            ("week", "Due this week", len(self.this_week()), "due-this-week", "calendar-week"),
            ("waiting", "Waiting on others", len(self.waiting()), "waiting-on-others", "timer-sand"),
            ("touch", "Keep in touch", len(self.keep_in_touch_due()), "keep-in-touch", "account-clock"),
        ]

    def turn_groups(self) -> list[tuple[str, list[Thread]]]:
        """Threads that are not settled, grouped by whose move it is (a person's slug, or the
        ``+``-joined people of a thread waiting on them), our team's members first."""
        groups: dict[str, list[Thread]] = defaultdict(list)
        for t in self.threads:
            if t.state != agenda.SETTLED and t.turn:
                groups[t.turn].append(t)
        nb = self.nb
        return sorted(groups.items(), key=lambda kv: (not nb.is_ours(kv[0]), -len(kv[1]),
                                                      self.display(kv[0]).casefold(), kv[0]))

    def display(self, slug: str) -> str:
        """A name for a slug (or ``+``-joined slugs) as the site shows it; hidden ones as ``someone (private)``."""
        from .public import PRIVATE_LABEL

        names = []
        for part in slug.split("+"):
            canon = self.nb.canon(part) or part
            hidden = self.view.is_hidden(canon) and not self.nb.is_me(part)
            names.append(PRIVATE_LABEL if hidden else self.nb.display(part))
        return ", ".join(names)

    def backlinks(self, page: str) -> list[tuple[Person | Org | Conversation, list[str]]]:
        """The notes that mention the note of ``page`` by link or reference, newest conversations first,
        with how (``link``, ``commitment``, ``referral``, ``next move``, ``org``, ``member``); being one of a
        conversation's ``with`` alone is left out (the page's timeline lists those)."""
        out = []
        for path, how in self.mentions.get(page, {}).items():
            shown = sorted(how - {"with"})
            note = self.note_by_path.get(path)
            if shown and note is not None and self.page_of_path.get(path) != page:
                out.append((note, shown))

        def order(item: tuple[Person | Org | Conversation, list[str]]) -> tuple[int, tuple[int, int, str], str]:
            note = item[0]
            if isinstance(note, Conversation):
                return (0, (-note.sort_key[0], -note.sort_key[1], note.path), "")
            return (1, (0, 0, ""), note.title.casefold())

        return sorted(out, key=order)

    def mention(self, source_path: str, target: str | None, how: str) -> None:
        """Record that the note at ``source_path`` mentions ``target`` (a slug of a person, org or
        conversation, or a notebook path)."""
        if not target:
            return
        page = self.page_of_path.get(target)
        if page is None:
            canon = self.nb.canon(target) or target
            page = self.person_page.get(canon) or self.org_page.get(canon)
            if page is None and canon in self.conv_by_slug:
                page = self.conv_page[self.conv_by_slug[canon].path]
        if page is not None:
            self.mentions[page][source_path].add(how)

    def interests(self, slug: str, kind: str = "person") -> list[str]:
        """The interests noted in a person's (or org's) conversations, most often noted first."""
        counts: dict[str, int] = defaultdict(int)
        spelled: dict[str, str] = {}
        convs = self.with_person.get(slug, []) if kind == "person" else self.of_org.get(slug, [])
        for conv in convs:
            for interest in conv.interests:
                key = interest.casefold()
                counts[key] += 1
                spelled.setdefault(key, interest)
        return [spelled[k] for k in sorted(counts, key=lambda k: (-counts[k], k))]

    def contact_dates(self, slug: str, kind: str) -> list[dt.date]:
        convs = self.with_person.get(slug, []) if kind == "person" else self.of_org.get(slug, [])
        return [c.date for c in convs]

    def contact_window(self, person: Person) -> tuple[dt.date, dt.date] | None:
        """(last contact, next contact due) for a person with a keep-in-touch cadence."""
        due = self.cadence_due.get(person.slug)
        if due is None:
            return None
        last = self.last_contact.get(person.slug)
        return (last.date if last else due, due)

    # ----------------------------------------------------------------- helpers
    def _front_matter_mentions(self) -> None:
        nb = self.nb
        for person in self.nb.people.values():
            self.mention(person.path, person.org, "member")
            for slug, _line, _col in person.links:
                self.mention(person.path, slug, "link")
        for org in self.nb.orgs.values():
            for slug, _line, _col in org.links:
                self.mention(org.path, slug, "link")
        for conv in nb.conversations:
            for slug in conv.with_:
                self.mention(conv.path, slug, "with")
            self.mention(conv.path, conv.org, "org")
            for c in conv.commitments:
                self.mention(conv.path, c.owner, "commitment")
                self.mention(conv.path, c.to, "commitment")
            for r in conv.referrals:
                for party in (r.recommends, r.by, r.to):
                    self.mention(conv.path, party, "referral")
            if conv.next is not None and conv.next.turn not in (None, "me", "them"):
                self.mention(conv.path, conv.next.turn, "next move")
            for slug, _line, _col in conv.links:
                self.mention(conv.path, slug, "link")

    def _graph(self) -> charts.Graph:
        nb = self.nb
        graph = charts.Graph()
        for person in self.people:
            home = nb.canon(person.org) if person.org else None
            graph.add_node(person.slug, "person", person.name, home if home in nb.orgs else None)
        for org in self.orgs:
            graph.add_node(org.slug, "org", org.name)
        for person in self.people:
            if person.org:
                graph.connect(person.slug, nb.canon(person.org) or person.org, "member")
        me = nb.canon("me") or "me"
        graph.hubs = {me}
        for conv in nb.conversations:
            people = [nb.canon(s) or s for s in conv.with_]
            recorder = nb.canon(conv.recorded_by) if conv.recorded_by else me
            for slug in people:
                graph.connect(recorder, slug, "talks")
            if len(people) <= charts.MAX_GROUP:
                for i, a in enumerate(people):
                    for b in people[i + 1:]:
                        graph.connect(a, b, "talks")
            for r in conv.referrals:
                rec = nb.canon(r.recommends) or r.recommends
                graph.connect(nb.canon(r.by) if r.by else None, rec, "recommended")
                graph.connect(rec, nb.canon(r.to) or r.to, "introduced")
        return graph

    def _thread_name(self, thread: Thread) -> str:
        if thread.explicit and "+" not in thread.key:
            return thread.key
        parts = [p for p in thread.key.split("+") if not self.view.is_hidden(p)]
        name = "with-" + "--".join(slugify(p) or "x" for p in parts) if parts else "with"
        if len(parts) < len(thread.key.split("+")):
            name += "--someone"
        return name

    def _directory(self) -> list[referrals.TopicEntry]:
        """The referral directory (ranked as in ``convo referrals``), stand-in parties left out."""
        entries = referrals.directory(self.nb, include_private=False)
        out = []
        for entry in entries:
            parties = [p for p in entry.parties if not (p.kind == "text" and p.name in self.view.stand_ins)]
            if parties or entry.experts:
                entry.parties = parties
                out.append(entry)
        return out

    def _tags(self) -> list[Tag]:
        groups: dict[str, dict[str, list]] = defaultdict(lambda: {"people": [], "orgs": [], "conversations": []})
        spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        seen: set[tuple[str, str]] = set()

        def add(tag: str, kind: str, note: Person | Org | Conversation) -> None:
            label = clean_text(tag)
            if not label:
                return
            key = label.casefold()
            spellings[key][label] += 1
            if (key, note.path) not in seen:
                seen.add((key, note.path))
                groups[key][kind].append(note)

        for person in self.people:
            for tag in person.tags:
                add(tag, "people", person)
        for org in self.orgs:
            for tag in org.tags:
                add(tag, "orgs", org)
        for conv in reversed(self.nb.conversations):
            for tag in conv.tags:
                add(tag, "conversations", conv)
        taken: set[str] = set()
        out = []
        for key in sorted(groups):
            label = max(spellings[key].items(), key=lambda kv: (kv[1], kv[0]))[0]
            page = _allocate("tags", slugify(label) or "tag", taken)
            g = groups[key]
            out.append(Tag(key, label, page, tuple(g["people"]), tuple(g["orgs"]), tuple(g["conversations"])))
        return out
