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

And the agenda's own rules (docs/daily.md, "The items"): snoozes, stale waits after the
``agenda: follow_up`` window, warning periods, recurring commitments (only the next
occurrence, their ``due``), keep-in-touch by tag and windows, and the filters.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Collection, NamedTuple

from .dates import Duration, add_days
from .model import OVERLAY, Commitment, Conversation, Notebook, Person

MINE, THEIRS, SETTLED = "mine", "theirs", "settled"
KINDS = ("commitment", "my-turn", "waiting", "keep-in-touch")


class Thread(NamedTuple):
    """One ongoing conversation and its state as of its latest conversation.

    (A named tuple, as :class:`DueItem`: the threads snapshot holds thousands, loaded by every
    ``convo threads``.)
    """

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


class DueItem(NamedTuple):
    """One thing on the agenda, with the place in a note it comes from.

    (A named tuple, not a dataclass: an agenda of thousands of items is made, pickled into
    the snapshot and loaded again by every ``convo due``; a tuple is made four times faster,
    and the class itself costs a warm command 0.6 ms to create, not 4 ms.)
    """

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
    snooze: dt.date | None = None  # hidden until this date (`snooze:` of the commitment, `next` or person)
    every: str | None = None  # a recurring commitment's repeat (`1w`, `.+1w`)
    last_done: dt.date | None = None  # a recurring commitment's latest completion
    warn_from: dt.date | None = None  # a commitment listed from this date on, whatever the window
    follow_up: dt.date | None = None  # a dateless wait goes stale after this date
    stale: bool = False  # dated by its follow-up window, not by the note
    deadline: dt.date | None = None  # keep-in-touch window's end: overdue only after it
    tags: tuple[str, ...] = ()  # the conversation's tags
    org: str | None = None  # the conversation's org (its own, else its people's)

    def days_overdue(self, today: dt.date) -> int | None:
        return None if self.date is None else (today - self.date).days

    def snoozed(self, today: dt.date) -> bool:
        """Hidden today: its ``snooze`` date is still ahead."""
        return self.snooze is not None and today < self.snooze

    def warning(self, today: dt.date) -> bool:
        """Listed early by its warning period: ``warn_from <= today < date``."""
        return self.warn_from is not None and self.date is not None and self.warn_from <= today < self.date


def threads(nb: Notebook) -> list[Thread]:
    """Every thread, each with its current state."""
    groups: dict[str, list[Conversation]] = defaultdict(list)
    key_of = nb.thread_key
    for conv in nb.conversations:  # already chronological
        groups[key_of(conv)].append(conv)
    return [thread_of(nb, key, convs) for key, convs in groups.items()]


def thread_of(nb: Notebook, key: str, convs: list[Conversation]) -> Thread:
    """The thread ``key`` made of ``convs`` (chronological): its state is its latest conversation's."""
    canon = nb.canon
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
    return Thread(key, latest.thread is not None, tuple(convs), state, turn, by, about, people)


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


def cadence_of(nb: Notebook, person: Person) -> tuple[Duration | None, str | None]:
    """A person's keep-in-touch cadence and the tag it comes from (None: their own ``cadence``).

    Their own ``cadence`` wins; else the first of their ``tags`` (in the order written)
    that ``keep_in_touch`` in ``convo.yml`` names (tags compared without case).
    """
    if person.cadence is not None:
        return person.cadence, None
    rules = nb.config.keep_in_touch
    for tag in person.tags:
        rule = rules.get(tag.casefold())
        if rule is not None:
            return rule, tag
    return None, None


def cadence_due(nb: Notebook) -> list[tuple[Person, dt.date | None, Conversation | None]]:
    """People with a cadence (their own or by tag), their latest conversation plus the cadence
    (None when never contacted: they are due today, whatever day that is), and that conversation."""
    latest = last_contact(nb)
    shared = latest if nb.overlay is None else last_contact(nb, personal=False)
    out = []
    for person in nb.people.values():
        cadence, _tag = cadence_of(nb, person)
        if cadence is None or nb.is_me(person.slug):
            continue
        # a person of the team's notebook is kept in touch with by the team: personal notes do not count
        conv = (latest if person.path.startswith(OVERLAY) else shared).get(person.slug)
        out.append((person, cadence.after(conv.date) if conv else None, conv))
    return out


def touch_deadline(nb: Notebook, person: Person, last: Conversation | None) -> dt.date | None:
    """The end of a keep-in-touch window (``2w..4w``): the latest conversation plus its maximum."""
    cadence, _tag = cadence_of(nb, person)
    if cadence is None or cadence.maximum is None or last is None:
        return None
    return cadence.maximum.after(last.date)


def keep_in_touch(nb: Notebook, today: dt.date) -> list[tuple[Person, dt.date, Conversation | None]]:
    """People with a cadence, the date they are due for contact, and their latest conversation."""
    return [(person, today if when is None else when, conv) for person, when, conv in cadence_due(nb)]


def agenda_entries(nb: Notebook) -> list[DueItem]:
    """The due items that do not depend on today, in the order :func:`all_items` builds them.

    Three kinds of item do depend on today, and are left for :func:`items_as_of`:
    a ``waiting`` item is listed only once its ``by`` has passed, so every
    candidate is kept here (dated by its ``by``); a dateless wait (a ``waiting``
    item with no ``by``, or an undated commitment owed to us) is kept with its
    ``follow_up`` date, and dated by it once that has passed; a ``keep-in-touch``
    item for a person never contacted is due today, so it is kept here with no date.
    A snapshot of this list stays valid as long as the notes and ``me`` do.

    The items come in three families, each made by one function from one unit of
    the notebook, so a snapshot can replace the items of the units an edit touched
    (:mod:`.cache.views`): :func:`commitment_items` (a conversation's open
    commitments), :func:`thread_item` (a thread's next move) and :func:`touch_item`
    (a person's keep-in-touch date).
    """
    closed = closed_ids(nb)
    items: list[DueItem] = []
    for conv in nb.conversations:
        items.extend(commitment_items(nb, conv, closed))
    for thread in threads(nb):
        item = thread_item(nb, thread)
        if item is not None:
            items.append(item)
    for person, when, last in cadence_due(nb):
        items.append(touch_item(nb, person, when, last))
    return items


def commitment_items(nb: Notebook, conv: Conversation, closed: Collection[str]) -> list[DueItem]:
    """The items of a conversation's open commitments (no ``done``, id in no ``closed``)."""
    canon = nb.canon
    follow_up, warn = nb.config.follow_up, nb.config.warn
    items = []
    for c in conv.commitments:
        if c.done or (c.id and c.id in closed):
            continue
        period = c.warn or warn
        owed_to_us = not nb.is_me(c.owner) and (c.to is None or nb.is_me(c.to))
        items.append(DueItem(
            "commitment", c.due, canon(c.owner), canon(c.to), c.what, nb.thread_key(conv),
            tuple(canon(s) or s for s in conv.with_), f"{c.path}:{c.line}", nb.is_private(conv), c.id,
            snooze=c.snooze, every=str(c.every) if c.every else None, last_done=c.last_done,
            warn_from=period.before(c.due) if period and c.due else None,
            follow_up=follow_up.after(conv.date) if c.due is None and owed_to_us else None,
            tags=conv.tags, org=nb.org_of(conv)))
    return items


def thread_item(nb: Notebook, thread: Thread) -> DueItem | None:
    """The item of a thread's next move (``my-turn`` or ``waiting``); None when it is settled.
    It reads only the thread's key, state and latest conversation."""
    latest = thread.latest
    nxt = latest.next
    if nxt is None:
        return None
    canon = nb.canon
    source = f"{latest.path}:{nxt.line}"
    people = tuple(canon(s) or s for s in latest.with_)
    about = nxt.about or f"next move in {thread.title}"
    private = nb.is_private(latest)
    context: dict[str, Any] = {"snooze": nxt.snooze, "tags": latest.tags, "org": nb.org_of(latest)}
    if thread.state == MINE:
        return DueItem("my-turn", nxt.by, thread.turn, None, about, thread.key, people, source, private, **context)
    if nxt.by is not None:
        return DueItem("waiting", nxt.by, thread.turn, nb.author_of(latest), about, thread.key, people,
                       source, private, **context)
    # no `by`: a stale wait once the follow-up window after the conversation has passed
    return DueItem("waiting", None, thread.turn, nb.author_of(latest), about, thread.key, people,
                   source, private, follow_up=nb.config.follow_up.after(latest.date), **context)


def touch_item(nb: Notebook, person: Person, when: dt.date | None, last: Conversation | None) -> DueItem:
    """The keep-in-touch item of a person with a cadence (:func:`cadence_due` gives ``when`` and ``last``)."""
    cadence, tag = cadence_of(nb, person)
    what = f"keep in touch with {person.name} (every {cadence}{f', {tag}' if tag else ''})"
    if last is None:
        what += ", never contacted"
    # the relationship is held by whoever on the team spoke with them last
    holder = nb.author_of(last) if last is not None else nb.canon("me")
    return DueItem("keep-in-touch", when, holder, person.slug, what, None, (person.slug,),
                   f"{person.path}:{person.cadence_line}", nb.is_private(person),
                   snooze=person.snooze, deadline=touch_deadline(nb, person, last), org=person.org)


def _item_order(item: DueItem) -> tuple[dt.date, int, str, int]:
    path, _, line = item.source.rpartition(":")
    return (item.date or dt.date.max, KINDS.index(item.kind), path, int(line) if line.isdigit() else 0)


def items_as_of(entries: list[DueItem], today: dt.date) -> list[DueItem]:
    """:func:`agenda_entries` as of ``today``: waits whose ``by`` has passed, people never
    contacted due today, everything sorted by date (undated last), kind and source."""
    items = []
    for item in entries:
        if item.date is None and item.follow_up is not None:  # a dateless wait: stale after its window
            if item.follow_up < today:
                item = item._replace(date=item.follow_up, stale=True)
            elif item.kind == "waiting":
                continue
        if item.kind == "waiting":
            if item.date is None or item.date >= today:
                continue
        elif item.date is None and item.kind == "keep-in-touch":
            item = item._replace(date=today)
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
        if not include_all and (item.date is None or (item.date > horizon and not item.warning(today))
                                or item.snoozed(today)):
            continue
        out.append(item)
    return out


def group_of(item: DueItem, today: dt.date, within: int) -> str:
    """``overdue``, ``today``, ``upcoming``, ``later`` or ``undated``."""
    if item.date is None:
        return "undated"
    if (item.deadline or item.date) < today:
        return "overdue"
    if item.date <= today:  # due today, or inside a keep-in-touch window that has not ended
        return "today"
    return "upcoming" if item.date <= add_days(today, within) or item.warning(today) else "later"


class ItemFilter(NamedTuple):
    """What ``--tag``, ``--org``, ``--person``, ``--thread`` and ``--kind`` ask for (all must hold)."""

    tags: tuple[str, ...] = ()  # casefolded; every one must be among the item's tags
    org: str | None = None
    person: str | None = None
    thread: str | None = None
    kind: str | None = None

    def __bool__(self) -> bool:
        return bool(self.tags or self.org or self.person or self.thread or self.kind)


def _people_tags_orgs(nb: Notebook, slugs: tuple[str, ...]) -> tuple[set[str], set[str]]:
    tags: set[str] = set()
    orgs: set[str] = set()
    for slug in slugs:
        person = nb.people.get(slug)
        if person is not None:
            tags.update(t.casefold() for t in person.tags)
            if person.org:
                orgs.add(person.org)
    return tags, orgs


def item_matches(nb: Notebook, item: DueItem, wanted: ItemFilter) -> bool:
    """Whether a due item passes every filter asked for.

    An item's tags are its conversation's ``tags`` plus the ``tags`` of each of its
    people; its orgs are its conversation's org plus each person's ``org``; its people
    are its ``person`` list, its owner and whom it is owed to.
    """
    if wanted.kind and item.kind != wanted.kind:
        return False
    if wanted.thread and item.thread != wanted.thread:
        return False
    tags, orgs = _people_tags_orgs(nb, item.people)
    if wanted.tags and not set(wanted.tags) <= tags | {t.casefold() for t in item.tags}:
        return False
    if wanted.org and wanted.org not in orgs | ({item.org} if item.org else set()):
        return False
    if wanted.person:
        involved = set(item.people)
        for slug in (item.owner, item.to):
            involved.update(slug.split("+") if slug else ())
        if wanted.person not in involved:
            return False
    return True


def thread_matches(nb: Notebook, thread: Thread, wanted: ItemFilter) -> bool:
    """Whether a thread passes the filters: as :func:`item_matches`, over all its conversations
    (their tags and orgs) and everyone in ``with`` across it (``kind`` does not apply)."""
    if wanted.thread and thread.key != wanted.thread:
        return False
    tags, orgs = _people_tags_orgs(nb, thread.people)
    for conv in thread.conversations:
        tags.update(t.casefold() for t in conv.tags)
        org = nb.org_of(conv)
        if org:
            orgs.add(org)
    if wanted.tags and not set(wanted.tags) <= tags:
        return False
    if wanted.org and wanted.org not in orgs:
        return False
    return not (wanted.person and wanted.person not in thread.people)


def week_days(items: list[DueItem], today: dt.date) -> list[tuple[dt.date | None, list[DueItem]]]:
    """``--week``: overdue items first (``None``), then each of the 7 days from today with its items.

    Items from the agenda as :func:`find_due` gives it with a window of 6 days; an item
    due before today but not overdue (inside a keep-in-touch window) is listed today;
    undated items and items later than the 7th day are left out.
    """
    days: list[tuple[dt.date | None, list[DueItem]]] = [(None, [])]
    days += [(add_days(today, n), []) for n in range(7)]
    for item in items:
        if item.date is None:
            continue
        if (item.deadline or item.date) < today:
            days[0][1].append(item)
        elif item.date <= today:
            days[1][1].append(item)
        elif item.date <= add_days(today, 6):
            days[1 + (item.date - today).days][1].append(item)
    return days
