"""Typed, immutable records of a notebook, each carrying where it came from.

Records are built by :mod:`convo_notes.loader` from checked front matter.
``locs`` maps a field path such as ``("commitments", 0, "due")`` to the
``(line, column)`` where its value stands in the file, so any later check
can point at the exact place.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any

from .diagnostics import Diagnostic
from .parse import FrontMatter, Path, decode, read_note, split
from .schema import Duration, Repeat

Locs = dict[Path, tuple[int, int]]


@dataclass(frozen=True)
class NextTurn:
    """Whose move it is after a conversation, and by when."""

    turn: str  # "me", "them" or a person slug
    by: dt.date | None
    about: str | None
    line: int
    snooze: dt.date | None = None  # hidden from the agenda until this date


@dataclass(frozen=True)
class Commitment:
    """A promise made in a conversation."""

    what: str
    owner: str  # person slug or "me"
    to: str | None
    due: dt.date | None
    done: dt.date | None
    id: str | None
    path: str  # the conversation's file
    index: int  # position in its `commitments` list
    line: int
    snooze: dt.date | None = None  # hidden from the agenda until this date
    every: Repeat | None = None  # recurring: `due` is the next occurrence
    last_done: dt.date | None = None  # a recurring commitment's latest completion
    warn: Duration | None = None  # listed this long before `due`, whatever the window


@dataclass(frozen=True)
class Referral:
    """A recommendation or introduction made in a conversation."""

    recommends: str  # person/org slug, or free text
    topics: tuple[str, ...]
    by: str | None  # person slug, "me", or None when it cannot be told
    to: str  # person slug or "me"
    note: str | None
    path: str
    index: int
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
        """The note's absolute file path."""
        return os.path.join(self.root, self.path)

    @property
    def body(self) -> str:
        """The note's Markdown body, as the file holds it now."""
        return body_of(self.src)

    @property
    def locs(self) -> Locs:
        """``{field path: (line, column)}`` of every value in the front matter."""
        return source_of(self.src).locs


@lru_cache(maxsize=2048)
def _source_cached(src: str, size: int, mtime_ns: int) -> FrontMatter:  # noqa: ARG001 - cache key
    try:
        raw = open(src, "rb").read()
    except OSError:
        return FrontMatter(None)
    return read_note(raw, src)


@lru_cache(maxsize=2048)
def _body_cached(src: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 - cache key
    try:
        with open(src, "rb") as fh:
            raw = fh.read()
    except OSError:
        return ""
    text, _ = decode(raw, src)
    return "" if text is None else split(text, src)[1]


def body_of(src: str) -> str:
    """A note's body, as :func:`source_of` gives it, without parsing the front matter's YAML.

    (``read_note`` takes the body from the same decode and split; a brief reads hundreds.)
    """
    try:
        st = os.stat(src)
    except OSError:
        return ""
    return _body_cached(src, st.st_size, st.st_mtime_ns)


def source_of(src: str) -> FrontMatter:
    """The parsed file behind a record (memoized by size and modification time)."""
    try:
        st = os.stat(src)
    except OSError:
        return FrontMatter(None)
    return _source_cached(src, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Person(_Source):
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
    root: str = field(default="", compare=False, repr=False)  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()
    snooze: dt.date | None = None  # no keep-in-touch reminder until this date

    kind = "person"

    @property
    def title(self) -> str:
        return self.name


@dataclass(frozen=True)
class Org(_Source):
    slug: str
    path: str
    name: str
    what: str | None = None
    website: str | None = None
    tags: tuple[str, ...] = ()
    private: bool | None = None
    root: str = field(default="", compare=False, repr=False)  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()

    kind = "org"

    @property
    def title(self) -> str:
        return self.name


@dataclass(frozen=True)
class Conversation(_Source):
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
    root: str = field(default="", compare=False, repr=False)  # the notebook folder, shared
    body_line: int = 1
    links: tuple[tuple[str, int, int], ...] = ()

    kind = "conversation"

    placed: bool = True  # False: no valid `date` or `with`; checked, but in no query and not on the site
    # Chronological order: (date ordinal, second of the day, path); set by the loader.
    sort_key: tuple[int, int, str] = field(default=(0, 0, ""), compare=False, repr=False)

    @property
    def line(self) -> int:
        return 1


Note = Person | Org | Conversation


@dataclass(slots=True)
class Config:
    """``convo.yml``: who the notebook speaks for, site options, topic aliases."""

    me: str | None = None
    site_title: str = "Conversations"
    private_by_default: bool = False
    topic_aliases: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    follow_up: Duration = field(default_factory=lambda: Duration(7, "d"))  # agenda: follow_up
    warn: Duration | None = None  # agenda: warn (a commitment's own `warn` wins)
    keep_in_touch: dict[str, Duration] = field(default_factory=dict)  # tag (casefolded) -> cadence


@dataclass(slots=True)
class Notebook:
    """Everything the loader read: records, problems, and what could not be read."""

    root: FsPath
    config: Config
    people: dict[str, Person]
    orgs: dict[str, Org]
    conversations: list[Conversation]  # chronological
    diagnostics: list[Diagnostic]
    unreadable: set[str]  # notes whose front matter could not be read: private for the site
    files: list[str]  # every note file, relative posix paths, sorted
    slugs: set[str] = field(default_factory=set)  # every person, org and conversation slug
    incomplete: list[Conversation] = field(default_factory=list)  # unplaced: checked, never queried

    def __post_init__(self) -> None:
        self.slugs = set(self.people) | set(self.orgs) | {c.slug for c in self.conversations}

    @property
    def me(self) -> str | None:
        return self.config.me

    def canon(self, slug: str | None) -> str | None:
        """``me`` as the notebook's own slug where one is configured."""
        if slug == "me" and self.config.me:
            return self.config.me
        return slug

    def is_me(self, slug: str | None) -> bool:
        return slug == "me" or (slug is not None and slug == self.config.me)

    def display(self, slug: str | None) -> str:
        """A person's or org's display name, ``me`` for the notebook's own person."""
        if slug is None:
            return ""
        if slug == "me" and not self.config.me:
            return "me"
        slug = self.canon(slug) or slug
        if slug in self.people:
            return self.people[slug].name
        if slug in self.orgs:
            return self.orgs[slug].name
        return slug

    def is_private(self, note: Note) -> bool:
        """Private for the site: explicitly, by default setting, or because it could not be read."""
        if note.path in self.unreadable:
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
        """The thread a conversation belongs to: its ``thread``, else its ``with`` set."""
        if conv.thread:
            return conv.thread
        return "+".join(sorted({self.canon(s) or s for s in conv.with_}))

    def org_of(self, conv: Conversation) -> str | None:
        """The conversation's org: its own ``org``, else that of the people in ``with``."""
        if conv.org:
            return conv.org
        for slug in conv.with_:
            person = self.people.get(self.canon(slug) or slug)
            if person and person.org:
                return person.org
        return None
