"""Briefings: everything to know before the next conversation with a person or an org.

:func:`build_brief` gathers, for one person (or every person of one org):
who they are, when anyone on the team last spoke with them and who recorded
it, the turn in each of their threads, open commitments both ways, their
interests and what they have been sent, referrals given, received and about
them, and the history of conversations newest first. Private notes are
included (this runs on the user's own machine) and flagged, so renderers can
mark them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .agenda import Thread, closed_ids, keep_in_touch, threads
from .errors import NotFound
from .gitinfo import Edit, last_changes, last_edit_of
from .model import Commitment, Conversation, Notebook, Org, Person, Referral

EXCERPT_LINES = 3
EXCERPT_WIDTH = 100


@dataclass(frozen=True, slots=True)
class Promise:
    """A commitment in a brief, with the conversation it was made in."""

    conversation: Conversation
    commitment: Commitment
    private: bool
    fulfilled: dt.date | None = None  # when it was done, or the date of the conversation closing it
    closed_by: str | None = None  # the path of the conversation whose `closes` fulfilled it


@dataclass(frozen=True, slots=True)
class Interest:
    """Something they care about, asked for or received, and where it was noted (latest mention)."""

    text: str
    conversation: Conversation
    private: bool


@dataclass(frozen=True, slots=True)
class ReferralEntry:
    """A referral in a brief, with the conversation it was made in."""

    referral: Referral
    conversation: Conversation
    private: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One conversation with them, and the first lines of its body."""

    conversation: Conversation
    private: bool
    excerpt: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recorder:
    """A team member who recorded conversations with them, and their latest one."""

    slug: str
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class KeepInTouch:
    """A person's cadence and when they are next due for contact."""

    person: Person
    due: dt.date
    never: bool


@dataclass(frozen=True, slots=True)
class Brief:
    """Everything to know before talking to a person or an org."""

    subject: Person | Org
    org: Org | None  # the person's org, or the org itself
    people: tuple[Person, ...]  # the person, or the org's people
    private: bool  # the subject's own note is private
    last: Conversation | None
    recorders: tuple[Recorder, ...]  # newest first; recorded_by defaults to me
    threads: tuple[Thread, ...]
    they_owe: tuple[Promise, ...]  # open commitments they must act on
    we_owe: tuple[Promise, ...]  # open commitments owed to them
    sent: tuple[Promise, ...]  # fulfilled commitments with `to` one of them: what they were sent
    interests: tuple[Interest, ...]  # newest first
    referrals_given: tuple[ReferralEntry, ...]
    referrals_received: tuple[ReferralEntry, ...]
    recommended: tuple[ReferralEntry, ...]  # referrals recommending them
    keep_in_touch: tuple[KeepInTouch, ...]
    history: tuple[HistoryEntry, ...]  # newest first
    last_edit: Edit | None = None  # who last changed these notes in git (a person's own file and conversations)

    @property
    def is_org(self) -> bool:
        return isinstance(self.subject, Org)


class UnknownSubject(NotFound):
    """No person or org with the slug asked for (exit 2)."""


def excerpt(body: str, lines: int = EXCERPT_LINES, width: int = EXCERPT_WIDTH) -> tuple[str, ...]:
    """The first non-blank lines of a note's body, a leading heading skipped, each cut to ``width``."""
    out: list[str] = []
    for raw in body.splitlines():
        text = raw.strip()
        if not text or (not out and text.startswith("# ")):
            continue
        out.append(text if len(text) <= width else text[: width - 1].rstrip() + "…")
        if len(out) == lines:
            break
    return tuple(out)


def people_of(nb: Notebook, subject: Person | Org) -> tuple[Person, ...]:
    """The person itself, or an org's people sorted by name."""
    if isinstance(subject, Person):
        return (subject,)
    return tuple(sorted((p for p in nb.people.values() if p.org == subject.slug), key=lambda p: (p.name, p.slug)))


def build_brief(nb: Notebook, slug: str, today: dt.date) -> Brief:
    """The brief on the person or org ``slug`` (``me`` allowed) as of ``today``.

    Raises :class:`UnknownSubject` when no person or org has that slug.
    """
    slug = nb.canon(slug) or slug
    subject: Person | Org | None = nb.people.get(slug) or nb.orgs.get(slug)
    if subject is None:
        raise UnknownSubject(slug)
    people = people_of(nb, subject)
    slugs = {p.slug for p in people}
    org = subject if isinstance(subject, Org) else nb.orgs.get(subject.org or "")

    def involved(conv: Conversation) -> bool:
        if any((nb.canon(s) or s) in slugs for s in conv.with_):
            return True
        return isinstance(subject, Org) and conv.org == subject.slug

    convs = [c for c in nb.conversations if involved(c)]  # chronological
    involved_ids = {id(c) for c in convs}  # asked again below for every conversation and thread
    private = {c.path: nb.is_private(c) for c in convs}

    recorders: dict[str, Conversation] = {}
    for conv in convs:
        recorders[nb.canon(conv.recorded_by or "me") or "me"] = conv
    recorder_list = sorted((Recorder(s, c) for s, c in recorders.items()),
                           key=lambda r: r.conversation.sort_key, reverse=True)

    closed = closed_ids(nb)
    they_owe: list[Promise] = []
    we_owe: list[Promise] = []
    sent: list[Promise] = []
    for conv in nb.conversations:
        with_them = id(conv) in involved_ids
        for c in conv.commitments:
            owner, to = nb.canon(c.owner), nb.canon(c.to)
            owed_to_them = (to in slugs) or (with_them and to is None and owner not in slugs)
            if owner not in slugs and not owed_to_them:
                continue
            closer = closed.get(c.id) if c.id else None
            fulfilled = c.done or (closer.date if closer else None)
            promise = Promise(conv, c, nb.is_private(conv), fulfilled,
                              closer.path if closer is not None and not c.done else None)
            if fulfilled is not None:
                if to in slugs:  # only what was explicitly for them counts as sent
                    sent.append(promise)
            elif owner in slugs:
                they_owe.append(promise)
            else:
                we_owe.append(promise)

    def by_due(p: Promise) -> tuple[Any, ...]:
        return (p.commitment.due or dt.date.max, p.conversation.sort_key, p.commitment.index)

    they_owe.sort(key=by_due)
    we_owe.sort(key=by_due)
    sent.sort(key=lambda p: (p.fulfilled or dt.date.min, p.conversation.sort_key), reverse=True)

    interests: dict[str, Interest] = {}
    for conv in reversed(convs):
        for text in conv.interests:
            interests.setdefault(text.casefold(), Interest(text, conv, private[conv.path]))

    from .referrals import names_index, recommended

    names = names_index(nb)
    given: list[ReferralEntry] = []
    received: list[ReferralEntry] = []
    about: list[ReferralEntry] = []
    for conv in reversed(nb.conversations):
        for r in conv.referrals:
            entry = ReferralEntry(r, conv, nb.is_private(conv))
            if (nb.canon(r.by) or "") in slugs:
                given.append(entry)
            if (nb.canon(r.to) or "") in slugs:
                received.append(entry)
            if (recommended(nb, r.recommends, names) or r.recommends) in slugs | {subject.slug}:
                about.append(entry)

    cadences = tuple(KeepInTouch(p, when, conv is None)
                     for p, when, conv in keep_in_touch(nb, today) if p.slug in slugs)
    own_threads = [t for t in threads(nb)
                   if any(id(c) in involved_ids for c in t.conversations) or slugs & set(t.people)]
    own_threads.sort(key=lambda t: t.urgency(today))
    history = tuple(HistoryEntry(c, private[c.path], excerpt(c.body)) for c in reversed(convs))
    return Brief(
        subject=subject, org=org, people=people, private=nb.is_private(subject),
        last=convs[-1] if convs else None, recorders=tuple(recorder_list), threads=tuple(own_threads),
        they_owe=tuple(they_owe), we_owe=tuple(we_owe), sent=tuple(sent),
        interests=tuple(interests.values()), referrals_given=tuple(given),
        referrals_received=tuple(received), recommended=tuple(about), keep_in_touch=cadences,
        history=history, last_edit=_last_edit(nb, subject, people),
    )


def _last_edit(nb: Notebook, subject: Person | Org, people: tuple[Person, ...]) -> Edit | None:
    """The newest git change to the subject's notes (one ``git log`` run; None outside git)."""
    changes = last_changes(nb.root)
    if not changes:
        return None
    edits = [e for e in (last_edit_of(nb, changes, p.slug) for p in people) if e is not None]
    own = changes.get(subject.path)
    if own is not None:
        edits.append(Edit(subject.path, own.date, own.author, None))
    return max(edits, key=lambda e: e.date, default=None)
