"""The contact lists: ``convo people`` and ``convo orgs``.

One row a person (or org): when anyone last spoke with them, when they are next
due for contact (their ``cadence``), the commitments still open both ways, and
the threads where it is our move or theirs. For an org, the row gathers its
people's conversations and those whose ``org`` names it, as ``convo brief`` does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .agenda import MINE, THEIRS, cadence_of, open_commitments, threads
from .model import Conversation, Notebook, Org, Person


@dataclass(frozen=True)
class Contact:
    """One row of the contact list."""

    note: Person | Org
    last: Conversation | None  # the latest conversation with them
    next_contact: dt.date | None  # keep-in-touch date (cadence), today when never contacted
    they_owe: int  # open commitments they must act on
    we_owe: int  # open commitments owed to them
    our_turn: int  # threads with them where the move is ours
    their_turn: int  # threads with them where the move is theirs
    conversations: int

    @property
    def open(self) -> int:
        return self.they_owe + self.we_owe

    def days_late(self, today: dt.date) -> int:
        """How many days past the keep-in-touch date (0 or less: not late)."""
        return 0 if self.next_contact is None else (today - self.next_contact).days


def _members(nb: Notebook, note: Person | Org) -> set[str]:
    if isinstance(note, Person):
        return {note.slug}
    return {p.slug for p in nb.people.values() if p.org == note.slug}


def _involves(nb: Notebook, conv: Conversation, note: Person | Org, members: set[str]) -> bool:
    if any((nb.canon(s) or s) in members for s in conv.with_):
        return True
    return isinstance(note, Org) and nb.org_of(conv) == note.slug


def contact_list(nb: Notebook, today: dt.date, *, kind: str = "people", sort: str = "name",
                 tags: tuple[str, ...] = (), org: str | None = None, losing_touch: bool = False) -> list[Contact]:
    """Every person (``kind="people"``) or org, filtered and sorted as asked.

    ``sort``: ``name``; ``last-contact`` (longest ago first, never contacted first);
    ``open`` (most open commitments first); ``keep-in-touch`` (earliest date first).
    ``losing_touch`` keeps those past their keep-in-touch date (the agenda's rule: their
    own ``cadence``, else their first tag's in ``convo.yml``'s ``keep_in_touch``; not
    while snoozed), sorted by how late.
    """
    notes: list[Person | Org] = list(nb.people.values()) if kind == "people" else list(nb.orgs.values())
    wanted_tags = {t.casefold() for t in tags}
    notes = [n for n in notes if wanted_tags <= {t.casefold() for t in n.tags}
             and (org is None or (isinstance(n, Person) and n.org == org))
             and not (isinstance(n, Person) and nb.is_me(n.slug))]
    opened = open_commitments(nb)
    all_threads = threads(nb)
    rows = []
    for note in notes:
        members = _members(nb, note)
        convs = [c for c in nb.conversations if _involves(nb, c, note, members)]
        last = convs[-1] if convs else None
        next_contact = None
        cadence = cadence_of(nb, note)[0] if isinstance(note, Person) else None
        if cadence is not None:  # the agenda's rule: their own cadence, else their tags' in convo.yml
            next_contact = cadence.after(last.date) if last else today
        they_owe = sum(1 for _, c in opened if (nb.canon(c.owner) or c.owner) in members)
        # owed to them: explicitly (`to`), or made in a conversation with them with no `to`, as a brief counts it
        we_owe = sum(1 for conv, c in opened
                     if (nb.canon(c.to) or c.to) in members
                     or (c.to is None and (nb.canon(c.owner) or c.owner) not in members
                         and _involves(nb, conv, note, members)))
        ours = theirs = 0
        for t in all_threads:
            if t.state not in (MINE, THEIRS) or not _involves(nb, t.latest, note, members):
                continue
            if t.state == MINE:
                ours += 1
            else:
                theirs += 1
        rows.append(Contact(note, last, next_contact, they_owe, we_owe, ours, theirs, len(convs)))
    if losing_touch:
        rows = [r for r in rows if r.next_contact is not None and r.next_contact < today
                and not (isinstance(r.note, Person) and r.note.snooze is not None and today < r.note.snooze)]
        return sorted(rows, key=lambda r: (-r.days_late(today), r.note.name.casefold()))
    return sorted(rows, key=_SORTS[sort])


def _by_name(r: Contact) -> tuple[str, str]:
    return (r.note.name.casefold(), r.note.slug)


_SORTS = {
    "name": _by_name,
    "last-contact": lambda r: (r.last is not None, r.last.sort_key if r.last else (0, 0, ""), _by_name(r)),
    "open": lambda r: (-r.open, _by_name(r)),
    "keep-in-touch": lambda r: (r.next_contact is None, r.next_contact or dt.date.max, _by_name(r)),
}
