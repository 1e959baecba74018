"""Queries for holding up our end: threads and whose turn it is, open commitments, due items.

These implement the "Meaning" section of the format exactly:

- A thread is the conversations sharing a ``thread``, else sharing a ``with`` set.
  Its latest conversation (by date, then path) holds its state; an earlier
  ``next`` is superseded by any later conversation.
- An open commitment has no ``done`` and its ``id`` is closed by no conversation.
- A person with ``cadence`` is due for contact at their latest conversation plus
  the cadence, or today if there is none.
- Due items as of today: open commitments, threads where it is my turn, threads
  where it is someone else's turn and ``by`` has passed, keep-in-touch dates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from .dates import add_days
from .model import OVERLAY, Commitment, Conversation, Notebook, Person

MINE, THEIRS, SETTLED = "mine", "theirs", "settled"
KINDS = ("commitment", "my-turn", "waiting", "keep-in-touch")


@dataclass(frozen=True, slots=True)
class Thread:
    """One ongoing conversation and its state as of its latest conversation."""

    key: str  # the `thread` slug, or the sorted `with` slugs joined by "+"
    explicit: bool
    conversations: tuple[Conversation, ...]  # chronological
    state: str  # MINE (one of us: our team), THEIRS or SETTLED
    turn: str | None  # slug whose move it is (me resolved; several joined by "+"), None when settled
    by: dt.date | None
    about: str | None
    people: tuple[str, ...]  # everyone in `with` across the thread, first-seen order

    @property
    def latest(self) -> Conversation:
        return self.conversations[-1]

    @property
    def title(self) -> str:
        if self.explicit:
            return self.key
        return self.latest.title

    def urgency(self, today: dt.date) -> tuple[int, dt.date, str]:
        """Sort key: my overdue turns first, then by date due, settled last."""
        rank = {MINE: 0, THEIRS: 1, SETTLED: 2}[self.state]
        return (rank, self.by or dt.date.max, self.key)


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing on the agenda, with the place in a note it comes from."""

    kind: str  # one of KINDS
    date: dt.date | None
    owner: str | None  # who must act (slug, me resolved)
    to: str | None  # who it is owed to
    what: str
    thread: str | None
    people: tuple[str, ...]
    source: str  # PATH:LINE
    private: bool
    id: str | None = None

    def days_overdue(self, today: dt.date) -> int | None:
        return None if self.date is None else (today - self.date).days

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its fields and rebuilt by the constructor: a snapshot of thousands
        # of items loads in half the time dataclasses' slots __setstate__ takes.
        return (DueItem, (self.kind, self.date, self.owner, self.to, self.what, self.thread, self.people,
                          self.source, self.private, self.id))


def threads(nb: Notebook) -> list[Thread]:
    """Every thread, each with its current state."""
    groups: dict[str, list[Conversation]] = defaultdict(list)
    key_of = nb.thread_key
    for conv in nb.conversations:  # already chronological
        groups[key_of(conv)].append(conv)
    canon = nb.canon
    out = []
    for key, convs in groups.items():
        latest = convs[-1]
        # everyone in `with` across the thread, in first-seen order (a dict keeps insertion order)
        people = tuple(dict.fromkeys(canon(slug) or slug for conv in convs for slug in conv.with_))
        nxt = latest.next
        if nxt is None:
            state, turn, by, about = SETTLED, None, None, None
        else:
            by, about = nxt.by, nxt.about
            whose = nb.canon_in(latest, nxt.turn)
            if whose == "them":  # the people in `with` not on our team (all of them, if all are)
                state, turn = THEIRS, "+".join(nb.others_in(latest.with_))
            elif nb.is_ours(whose):
                state, turn = MINE, whose
            else:
                state, turn = THEIRS, whose
        out.append(Thread(key, latest.thread is not None, tuple(convs), state, turn, by, about, people))
    return out


def closed_ids(nb: Notebook) -> dict[str, Conversation]:
    """Commitment ids closed by some conversation, with the (first) conversation that closes each."""
    out: dict[str, Conversation] = {}
    for conv in nb.conversations:
        for ident in conv.closes:
            out.setdefault(ident, conv)
    return out


def commitment_state(c: Commitment, closed: dict[str, Conversation], today: dt.date) -> str:
    """``done``, ``closed``, ``overdue`` or ``open``."""
    if c.done:
        return "done"
    if c.id and c.id in closed:
        return "closed"
    if c.due and c.due < today:
        return "overdue"
    return "open"


def open_commitments(nb: Notebook) -> list[tuple[Conversation, Commitment]]:
    """Every commitment with no ``done`` whose id no conversation closes."""
    closed = closed_ids(nb)
    return [(conv, c) for conv in nb.conversations for c in conv.commitments
            if not c.done and not (c.id and c.id in closed)]


def last_contact(nb: Notebook, personal: bool = True) -> dict[str, Conversation]:
    """Each person's latest conversation (``personal=False``: of the team's notes only)."""
    out: dict[str, Conversation] = {}
    for conv in nb.conversations:
        if not personal and conv.path.startswith(OVERLAY):
            continue
        for slug in conv.with_:
            out[nb.canon(slug) or slug] = conv
    return out


def cadence_due(nb: Notebook) -> list[tuple[Person, dt.date | None, Conversation | None]]:
    """People with a cadence, their latest conversation plus the cadence (None when never
    contacted: they are due today, whatever day that is), and that conversation."""
    latest = last_contact(nb)
    shared = latest if nb.overlay is None else last_contact(nb, personal=False)
    out = []
    for person in nb.people.values():
        if person.cadence is None or nb.is_me(person.slug):
            continue
        # a person of the team's notebook is kept in touch with by the team: personal notes do not count
        conv = (latest if person.path.startswith(OVERLAY) else shared).get(person.slug)
        out.append((person, person.cadence.after(conv.date) if conv else None, conv))
    return out


def keep_in_touch(nb: Notebook, today: dt.date) -> list[tuple[Person, dt.date, Conversation | None]]:
    """People with a cadence, the date they are due for contact, and their latest conversation."""
    return [(person, today if when is None else when, conv) for person, when, conv in cadence_due(nb)]


def agenda_entries(nb: Notebook) -> list[DueItem]:
    """The due items that do not depend on today, in the order :func:`all_items` builds them.

    Two kinds of item do depend on today, and are left for :func:`items_as_of`:
    a ``waiting`` item is listed only once its ``by`` has passed, so every
    candidate is kept here (dated by its ``by``); a ``keep-in-touch`` item for a
    person never contacted is due today, so it is kept here with no date.
    A snapshot of this list stays valid as long as the notes and ``me`` do.
    """
    me = nb.canon("me")
    canon = nb.canon
    items: list[DueItem] = []
    for conv, c in open_commitments(nb):
        items.append(DueItem(
            "commitment", c.due, canon(c.owner), canon(c.to), c.what, nb.thread_key(conv),
            tuple(canon(s) or s for s in conv.with_), f"{c.path}:{c.line}", nb.is_private(conv), c.id))
    for thread in threads(nb):
        latest = thread.latest
        nxt = latest.next
        if nxt is None:
            continue
        source = f"{latest.path}:{nxt.line}"
        people = tuple(canon(s) or s for s in latest.with_)
        about = nxt.about or f"next move in {thread.title}"
        private = nb.is_private(latest)
        if thread.state == MINE:
            items.append(DueItem("my-turn", nxt.by, thread.turn, None, about, thread.key, people, source, private))
        elif nxt.by is not None:
            items.append(DueItem("waiting", nxt.by, thread.turn, nb.author_of(latest), about, thread.key, people,
                                 source, private))
    for person, when, last in cadence_due(nb):
        what = f"keep in touch with {person.name} (every {person.cadence})"
        if last is None:
            what += ", never contacted"
        # the relationship is held by whoever on the team spoke with them last
        holder = nb.author_of(last) if last is not None else me
        items.append(DueItem("keep-in-touch", when, holder, person.slug, what, None, (person.slug,),
                             f"{person.path}:{person.cadence_line}", nb.is_private(person)))
    return items


def _item_order(item: DueItem) -> tuple[dt.date, int, str, int]:
    path, _, line = item.source.rpartition(":")
    return (item.date or dt.date.max, KINDS.index(item.kind), path, int(line) if line.isdigit() else 0)


def items_as_of(entries: list[DueItem], today: dt.date) -> list[DueItem]:
    """:func:`agenda_entries` as of ``today``: waits whose ``by`` has passed, people never
    contacted due today, everything sorted by date (undated last), kind and source."""
    items = []
    for item in entries:
        if item.kind == "waiting":
            if item.date is None or item.date >= today:  # (a waiting item always has its `by` date)
                continue
        elif item.date is None and item.kind == "keep-in-touch":
            item = replace(item, date=today)
        items.append(item)
    items.sort(key=_item_order)
    return items


def all_items(nb: Notebook, today: dt.date) -> list[DueItem]:
    """Every due item regardless of window, sorted by date (undated last), kind and source."""
    return items_as_of(agenda_entries(nb), today)


def find_due(nb: Notebook, today: dt.date, within: int = 7, include_all: bool = False,
             owner: str | None = None, entries: list[DueItem] | None = None) -> list[DueItem]:
    """The agenda: overdue items and those due within ``within`` days (``include_all``: everything).

    ``owner`` keeps only items that person must act on (``me`` allowed).
    ``entries``: :func:`agenda_entries` of ``nb`` already computed (or kept in a snapshot).
    """
    horizon = add_days(today, within)
    owner = nb.canon(owner) if owner else None
    out = []
    for item in items_as_of(agenda_entries(nb) if entries is None else entries, today):
        if owner and item.owner != owner and not (item.owner and owner in item.owner.split("+")):
            continue
        if not include_all and (item.date is None or item.date > horizon):
            continue
        out.append(item)
    return out


def group_of(item: DueItem, today: dt.date, within: int) -> str:
    """``overdue``, ``today``, ``upcoming``, ``later`` or ``undated``."""
    if item.date is None:
        return "undated"
    if item.date < today:
        return "overdue"
    if item.date == today:
        return "today"
    return "upcoming" if item.date <= add_days(today, within) else "later"
