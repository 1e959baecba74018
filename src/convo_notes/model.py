"""Typed, immutable records of a notebook, each carrying where it came from.

Records are built by :mod:`convo_notes.loader` from checked front matter.
``locs`` maps a field path such as ``("commitments", 0, "due")`` to the
``(line, column)`` where its value stands in the file, so any later check
can point at the exact place.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any, NamedTuple

from .dates import Duration, Repeat
from .diagnostics import Diagnostic
from .fsutil import NOTE_LIMIT, Refused, read_notebook_file, real_root
from .parse import FrontMatter, Path, decode, read_note, split

Locs = dict[Path, tuple[int, int]]
OVERLAY = "overlay:"  # the prefix of the path of every note read from the reader's personal overlay
PERSONAL = "personal:"  # the prefix of the key of a thread of personal (overlay) notes


class NextTurn(NamedTuple):
    """Whose move it is after a conversation, and by when."""

    turn: str  # "me", "them" or a person slug
    by: dt.date | None
    about: str | None
    line: int
    snooze: dt.date | None = None  # hidden from the agenda until this date
    column: int = 1  # where `next`'s value starts on `line` (a lint points there without reading the file)


class Commitment(NamedTuple):
    """A promise made in a conversation."""

    what: str
    owner: str  # person slug or "me"
    to: str | None
    due: dt.date | None
    done: dt.date | None
    id: str | None
    path: str  # the conversation's file
    index: int  # type: ignore[assignment]  # position in its `commitments` list (a field, not tuple.index)
    line: int
    snooze: dt.date | None = None  # hidden from the agenda until this date
    every: Repeat | None = None  # recurring: `due` is the next occurrence
    last_done: dt.date | None = None  # a recurring commitment's latest completion
    warn: Duration | None = None  # listed this long before `due`, whatever the window


class Referral(NamedTuple):
    """A recommendation or introduction made in a conversation."""

    recommends: str  # person/org slug, or free text
    topics: tuple[str, ...]
    by: str | None  # person slug, "me", or None when it cannot be told
    to: str  # person slug or "me"
    note: str | None
    path: str
    index: int  # type: ignore[assignment]  # position in its `referrals` list (a field, not tuple.index)
    line: int


class _Source:
    """Lazy access to a note's body and field positions, re-read from its file on demand.

    Records stay small (the cache and every query carry thousands of them);
    the body and positions are needed only for a page, a brief or an error.
    """

    __slots__ = ()
    root: str
    path: str

    @property
    def src(self) -> str:
        """The note's absolute file path (an overlay note's ``overlay:`` prefix is not part of it)."""
        return os.path.join(self.root, self.path.removeprefix(OVERLAY))

    @property
    def body(self) -> str:
        """The note's Markdown body, as the file holds it now."""
        return body_of(self.src, self.root)

    @property
    def locs(self) -> Locs:
        """``{field path: (line, column)}`` of every value in the front matter."""
        return source_of(self.src, self.root).locs


@lru_cache(maxsize=2048)
def _source_cached(src: str, size: int, mtime_ns: int, ctime_ns: int, root: str = "") -> FrontMatter:  # noqa: ARG001
    try:
        raw = read_note_bytes(src, root)
    except Refused:
        return FrontMatter(None)
    return read_note(raw, src)


@lru_cache(maxsize=2048)
def _body_cached(src: str, size: int, mtime_ns: int, ctime_ns: int, root: str = "") -> str:  # noqa: ARG001
    try:
        raw = read_note_bytes(src, root)
    except Refused:
        return ""
    text, _ = decode(raw, src)
    return "" if text is None else split(text, src)[1]


def read_note_bytes(src: str, root: str = "") -> bytes:
    """A note file's bytes under the notebook's read policy (:func:`.fsutil.read_notebook_file`):
    a regular file inside ``root`` (its folder when not given), at most the note size limit."""
    return read_notebook_file(real_root(root or os.path.dirname(src)), src, NOTE_LIMIT, "note")


# Absolute path -> the note as an editor holds it, unsaved (set by the language server only):
# a record built from an open buffer answers for its body and positions from the buffer.
OPEN_BUFFERS: dict[str, FrontMatter] = {}


def body_of(src: str, root: str = "") -> str:
    """A note's body, as :func:`source_of` gives it, without parsing the front matter's YAML.

    (``read_note`` takes the body from the same decode and split; a brief reads hundreds.)
    """
    if src in OPEN_BUFFERS:
        return OPEN_BUFFERS[src].body
    try:
        st = os.stat(src)
    except OSError:
        return ""
    return _body_cached(src, st.st_size, st.st_mtime_ns, st.st_ctime_ns, root)


def source_of(src: str, root: str = "") -> FrontMatter:
    """The parsed file behind a record (memoized by size, modification and change time)."""
    if src in OPEN_BUFFERS:
        return OPEN_BUFFERS[src]
    try:
        st = os.stat(src)
    except OSError:
        return FrontMatter(None)
    return _source_cached(src, st.st_size, st.st_mtime_ns, st.st_ctime_ns, root)


# Records are named tuples (as the agenda's items are): a notebook of ten thousand notes makes,
# pickles and unpickles tens of thousands of them, and each dataclass cost every command about
# a millisecond to create at import. A record's fields are its ``_fields``; ``root`` and
# ``sort_key`` are set by the loader from the notebook and the other fields, so comparing
# records of one notebook compares their notes.


class _PersonFields(NamedTuple):
    slug: str
    path: str
    name: str
    org: str | None = None
    role: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    cadence: Duration | None = None
    team: bool = False
    private: bool | None = None
    cadence_line: int = 1
    root: str = ""  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()
    snooze: dt.date | None = None  # no keep-in-touch reminder until this date


class Person(_PersonFields, _Source):
    __slots__ = ()
    kind = "person"

    @property
    def title(self) -> str:
        return self.name


class _OrgFields(NamedTuple):
    slug: str
    path: str
    name: str
    what: str | None = None
    website: str | None = None
    tags: tuple[str, ...] = ()
    private: bool | None = None
    root: str = ""  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()


class Org(_OrgFields, _Source):
    __slots__ = ()
    kind = "org"

    @property
    def title(self) -> str:
        return self.name


class _ConversationFields(NamedTuple):
    slug: str
    path: str
    date: dt.date
    time: dt.datetime | None
    with_: tuple[str, ...]
    title: str
    channel: str | None = None
    thread: str | None = None
    org: str | None = None
    recorded_by: str | None = None
    tags: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    private: bool | None = None
    next: NextTurn | None = None
    commitments: tuple[Commitment, ...] = ()
    closes: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()
    root: str = ""  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()
    me_line: int = 0  # the first line that uses `me` (written or by default); 0 when none does
    placed: bool = True  # False: no valid `date` or `with`; checked, but in no query and not on the site
    # Chronological order: (date ordinal, second of the day, path); set by the loader.
    sort_key: tuple[int, int, str] = (0, 0, "")


class Conversation(_ConversationFields, _Source):
    __slots__ = ()
    kind = "conversation"

    @property
    def line(self) -> int:
        return 1


Note = Person | Org | Conversation


class Config:
    """``convo.yml``: who the notebook speaks for, site options, topic aliases."""

    __slots__ = ("me", "site_title", "private_by_default", "topic_aliases", "lint_off", "links", "raw",
                 "follow_up", "warn", "keep_in_touch")

    def __init__(self, me: str | None = None, site_title: str = "Conversations", private_by_default: bool = False,
                 topic_aliases: dict[str, str] | None = None, lint_off: tuple[str, ...] = (),
                 links: str = "plain", raw: dict[str, Any] | None = None, follow_up: Duration | None = None,
                 warn: Duration | None = None, keep_in_touch: dict[str, Duration] | None = None) -> None:
        self.me = me
        self.site_title = site_title
        self.private_by_default = private_by_default
        self.topic_aliases: dict[str, str] = {} if topic_aliases is None else topic_aliases
        self.lint_off = lint_off  # lint codes `convo validate` does not run
        self.links = links  # how `convo new` writes people: `plain` slugs or `obsidian` "[[slug]]" links
        self.raw: dict[str, Any] = {} if raw is None else raw
        self.follow_up = Duration(7, "d") if follow_up is None else follow_up  # agenda: follow_up
        self.warn = warn  # agenda: warn (a commitment's own `warn` wins)
        self.keep_in_touch: dict[str, Duration] = {} if keep_in_touch is None else keep_in_touch  # tag -> cadence

    def copy(self) -> Config:
        """A config of its own: the same values in new dicts (the cached one is shared)."""
        return Config(self.me, self.site_title, self.private_by_default, dict(self.topic_aliases), self.lint_off,
                      self.links, dict(self.raw), self.follow_up, self.warn, dict(self.keep_in_touch))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in Config.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable: compared, never hashed

    def __repr__(self) -> str:
        return "Config(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in Config.__slots__) + ")"


class Notebook:
    """Everything the loader read: records, problems, and what could not be read."""

    __slots__ = ("root", "config", "people", "orgs", "conversations", "diagnostics", "unreadable", "files",
                 "slugs", "incomplete", "reader", "overlay", "shared")

    def __init__(self, root: FsPath, config: Config, people: dict[str, Person], orgs: dict[str, Org],
                 conversations: list[Conversation], diagnostics: list[Diagnostic], unreadable: set[str],
                 files: list[str], incomplete: list[Conversation] | None = None, reader: str | None = None,
                 overlay: FsPath | None = None) -> None:
        self.root = root
        self.config = config
        self.people = people
        self.orgs = orgs
        self.conversations = conversations  # chronological
        self.diagnostics = diagnostics
        self.unreadable = unreadable  # notes whose front matter could not be read: private for the site
        self.files = files  # every note file, relative posix paths, sorted
        self.incomplete: list[Conversation] = [] if incomplete is None else incomplete  # unplaced: never queried
        # whose view it is (CONVO_ME, --me, the user's config); never changes a fact
        self.reader = reader
        self.overlay = overlay  # the reader's personal notes folder, when it was loaded
        self.slugs: set[str] = set()  # every person, org and conversation slug
        self.shared = False  # more than one `team: true` person
        self.settle()

    def settle(self) -> None:
        """Work out what the records decide: ``slugs``, ``shared`` and the reader's own slug
        (at creation, and again after records are added or replaced)."""
        self.slugs = set(self.people) | set(self.orgs) | {c.slug for c in self.conversations}
        self.shared = sum(1 for p in self.people.values() if p.team) > 1
        if self.reader and self.reader not in self.people and self.reader != "me":
            from .names import lookup  # the one name resolver: `--me Jordan` is jordan-lee

            found = lookup(self, self.reader, ("person",))
            if len(found) == 1 and found[0] in self.people:
                self.reader = found[0]

    @property
    def me(self) -> str | None:
        """The notebook's own person: ``me`` in ``convo.yml``. In a notebook that names nobody and
        is kept by one person, the reader stands in (as in format v1); in a team's, nobody does,
        so no reader changes what a note says."""
        return self.config.me or (None if self.shared else self.reader)

    @property
    def viewer(self) -> str | None:
        """Whose view it is: the reader, else the notebook's ``me``."""
        return self.reader or self.config.me

    def canon(self, slug: str | None) -> str | None:
        """``me`` as the notebook's own slug where one is known.

        A note with ``recorded_by`` has its ``me`` resolved to its author when it is read
        (:func:`.loader.build_record`), so a ``me`` left in a record is the notebook's.
        """
        if slug == "me":
            return self.me or slug
        return slug

    def author_of(self, conv: Conversation) -> str:
        """Who recorded a conversation: ``recorded_by``, else the notebook's ``me``."""
        return self.canon(conv.recorded_by or "me") or "me"

    def canon_in(self, conv: Conversation, slug: str | None) -> str | None:
        """A slug as written in ``conv``: ``me`` there is its author (format v1.1)."""
        return self.author_of(conv) if slug == "me" else slug

    def is_me(self, slug: str | None) -> bool:
        """True for ``me`` and the notebook's own person."""
        return slug == "me" or (slug is not None and slug == self.me)

    def is_reader(self, slug: str | None) -> bool:
        """True when ``slug`` is the person reading (the one "your" speaks to)."""
        viewer = self.viewer
        return slug is not None and viewer is not None and (self.canon(slug) or slug) == viewer

    @property
    def team(self) -> list[str]:
        """Every member of our own team (``team: true``, and the notebook's ``me``), sorted."""
        members = {p.slug for p in self.people.values() if p.team}
        if self.me:
            members.add(self.me)
        return sorted(members)

    def is_ours(self, slug: str | None) -> bool:
        """True for ``me`` and every member of our own team."""
        if slug is None:
            return False
        if self.is_me(slug):
            return True
        person = self.people.get(slug)
        return person is not None and person.team

    def others_in(self, with_: tuple[str, ...]) -> tuple[str, ...]:
        """The people of a ``with`` who are not on our team (everyone, when all are): ``them``."""
        everyone = tuple(self.canon(s) or s for s in with_)
        outside = tuple(s for s in everyone if not self.is_ours(s))
        return outside or everyone

    def display(self, slug: str | None) -> str:
        """A person's or org's display name, ``me`` for the notebook's own person."""
        if slug is None:
            return ""
        if slug == "me" and not self.me:
            return "me"
        slug = self.canon(slug) or slug
        if slug in self.people:
            return self.people[slug].name
        if slug in self.orgs:
            return self.orgs[slug].name
        return slug

    def is_private(self, note: Note) -> bool:
        """Private for the site: explicitly, by default setting, because it could not be read,
        or because it is one of the reader's personal (overlay) notes."""
        if note.path in self.unreadable or note.path.startswith(OVERLAY):
            return True
        if note.private is None:
            return self.config.private_by_default
        return note.private

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def by_slug(self, slug: str) -> Note | None:
        """The person, org or conversation with this slug."""
        slug = self.canon(slug) or slug
        if slug in self.people:
            return self.people[slug]
        if slug in self.orgs:
            return self.orgs[slug]
        for conv in self.conversations:
            if conv.slug == slug:
                return conv
        return None

    def thread_key(self, conv: Conversation) -> str:
        """The thread a conversation belongs to: its ``thread``, else its ``with`` set (their slugs
        joined by ``+`` in slug order: a key ``thread:`` accepts too).

        The reader's personal (overlay) notes form threads of their own, ``personal:KEY``:
        they never change the state of a thread the team shares.
        """
        key = conv.thread or "+".join(sorted({self.canon(s) or s for s in conv.with_}))
        return PERSONAL + key if conv.path.startswith(OVERLAY) else key

    def org_of(self, conv: Conversation) -> str | None:
        """The conversation's org: its own ``org``, else that of the people in ``with`` who are
        not on our team (of anyone in ``with``, when all are)."""
        if conv.org:
            return conv.org
        for slug in self.others_in(conv.with_):
            person = self.people.get(slug)
            if person and person.org:
                return person.org
        return None
