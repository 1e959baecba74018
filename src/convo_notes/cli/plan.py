"""Changing the plan without an editor: ``snooze``, ``reschedule`` and ``reopen``.

Each finds the ITEM (:func:`find_item`), plans a byte-exact edit of one note
(:mod:`~convo_notes.edit`: only the lines it means to change, refused when the
file changed underneath), then prints the diff (``--dry-run``) or writes it atomically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import click

from ..agenda import SETTLED, Thread, threads
from ..errors import EditRefused, NotFound, UsageError
from ..model import Commitment, Conversation, Notebook, Person
from ..render.terminal import echo
from .common import DATE, State, complete_item, pass_state

ITEM_HELP = "a commitment id or PATH:LINE, a thread slug (its next move) or a person (keep in touch)"


@dataclass(frozen=True)
class Item:
    """What an ITEM named: a commitment, a thread's next move, or a person's keep-in-touch."""

    kind: str  # "commitment", "thread" or "person"
    conversation: Conversation | None = None
    commitment: Commitment | None = None
    thread: Thread | None = None
    person: Person | None = None


PREFIXES = ("commitment", "thread", "person")


def find_item(nb: Notebook, text: str, kinds: tuple[str, ...] = PREFIXES) -> Item:
    """The item ``text`` names, among ``kinds``, by the first rule that matches.

    1. ``PATH:LINE``: the commitment starting on that line, the ``next`` on that line
       of a thread's latest conversation, or a person's note (as ``convo due`` prints them);
    2. a commitment's ``id``; 3. a thread's key; 4. a person (slug, name or alias).

    ``commitment:``, ``thread:`` or ``person:`` in front says which is meant. A thread
    key that is also a person (a thread of the conversations with that one person) is
    refused as ambiguous when both may be meant, asking for the prefix.
    """
    from ..edit import _PATH_LINE, find_commitment, notebook_relative
    from ..names import lookup, resolve

    head, colon, rest = text.partition(":")
    if colon and head in PREFIXES and head in kinds:
        kinds, text = (head,), rest
    all_threads = threads(nb)
    match = _PATH_LINE.match(text)
    if match is not None:
        rel, line = notebook_relative(nb.root, match["path"]), int(match["line"])
        if "thread" in kinds:
            for t in all_threads:
                if t.latest.path == rel and t.latest.next is not None and t.latest.next.line == line:
                    return Item("thread", t.latest, thread=t)
        for who in nb.people.values():
            if who.path == rel:  # any line of a person's note: their keep-in-touch
                if "person" not in kinds:
                    raise NotFound(f"{rel} is {who.name}'s note: give a commitment or a thread here "
                                   f"(`convo snooze {who.slug} --until DATE` puts off keeping in touch)")
                return Item("person", person=who)
        conv, c = find_commitment(nb, text)
        return Item("commitment", conv, c)
    if "commitment" in kinds:
        for conv in nb.conversations:
            for c in conv.commitments:
                if c.id == text:
                    return Item("commitment", conv, c)
    person = None
    if "person" in kinds and lookup(nb, text, ("person",)):
        slug = resolve(nb, text, ("person",), "person")
        person = Item("person", person=nb.people[slug])
    if "thread" in kinds:
        for t in all_threads:
            if t.key == text:
                if person is not None:
                    raise UsageError(f"`{text}` is both a thread and a person: write `thread:{text}` "
                                     f"(its next move) or `person:{text}` (keeping in touch)")
                return Item("thread", t.latest, thread=t)
    if person is not None:
        return person
    what = " or ".join(kinds)
    raise NotFound(f"`{text}` is no {what} in this notebook (give a commitment id or PATH:LINE, "
                   "a thread slug or a person)")


def report(change: Any, stat: Any, nb: Notebook, dry_run: bool) -> None:
    """Print a planned change's diff (``dry_run``), or write it and say what changed."""
    from ..edit import apply_change

    if dry_run:
        click.echo(change.diff(), nl=False)
        echo(f"(dry run: {change.path} not written)", err=True)
        return
    apply_change(nb, change, stat)
    echo(f"{change.path}:{change.line}: {change.summary}")


def _next_of(item: Item) -> Conversation:
    assert item.thread is not None
    if item.thread.state == SETTLED or item.thread.latest.next is None:
        raise EditRefused(f"thread `{item.thread.key}` is settled (its latest conversation, "
                          f"{item.thread.latest.path}, has no `next`): there is no next move to change")
    return item.thread.latest


@click.command()
@click.argument("item", metavar="ITEM", shell_complete=complete_item)
@click.option("--until", "until", type=DATE, required=True, metavar="DATE",
              help="Hidden until this date (shown again on it): YYYY-MM-DD, fri, +2w...")
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@pass_state
def snooze(state: State, item: str, until: dt.date, dry_run: bool) -> None:
    """Hide ITEM from `convo due` until a date.

    ITEM is a commitment (id or PATH:LINE), a thread slug (its next move) or
    a person (their keep-in-touch reminder). Writes `snooze: DATE` into that
    commitment, the thread's `next`, or the person's note, and nothing else.
    `convo due --all` still lists it, marked snoozed.
    """
    from ..edit import plan_commitment_fields, plan_next_fields, plan_person_fields

    nb = state.notebook()
    found = find_item(nb, item)
    stamp = until.isoformat()
    if found.kind == "commitment":
        assert found.conversation and found.commitment
        change, stat = plan_commitment_fields(nb, found.conversation, found.commitment, {"snooze": stamp},
                                              f"snoozed until {stamp}: {found.commitment.what}")
    elif found.kind == "thread":
        conv = _next_of(found)
        assert found.thread
        change, stat = plan_next_fields(nb, conv, {"snooze": stamp},
                                        f"snoozed until {stamp}: next move in {found.thread.key}")
    else:
        assert found.person
        change, stat = plan_person_fields(nb, found.person, {"snooze": stamp},
                                          f"keep in touch with {found.person.name} snoozed until {stamp}")
    report(change, stat, nb, dry_run)


@click.command()
@click.argument("item", metavar="ITEM", shell_complete=complete_item)
@click.argument("day", metavar="DATE", type=DATE)
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@pass_state
def reschedule(state: State, item: str, day: dt.date, dry_run: bool) -> None:
    """Move a commitment's `due`, or a thread's `next.by`, to DATE.

    ITEM is a commitment id or PATH:LINE, or a thread slug. DATE may be
    YYYY-MM-DD, today, tomorrow, a weekday (fri), or +3d, -2w, +1m.
    Only that one value changes (or one `due:`/`by:` line is added).
    """
    from ..edit import plan_commitment_fields, plan_next_fields

    nb = state.notebook()
    found = find_item(nb, item, ("commitment", "thread"))
    stamp = day.isoformat()
    if found.kind == "commitment":
        assert found.conversation and found.commitment
        c = found.commitment
        if c.done is not None:
            raise EditRefused(f"{c.path}:{c.line}: already done on {c.done.isoformat()}; "
                              "`convo reopen` it first")
        change, stat = plan_commitment_fields(nb, found.conversation, c, {"due": stamp},
                                              f"due {stamp}: {c.what}")
    else:
        conv = _next_of(found)
        assert found.thread
        change, stat = plan_next_fields(nb, conv, {"by": stamp}, f"next move in {found.thread.key} by {stamp}")
    report(change, stat, nb, dry_run)


@click.command()
@click.argument("item", metavar="ID|PATH:LINE", shell_complete=complete_item)
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@pass_state
def reopen(state: State, item: str, dry_run: bool) -> None:
    """Undo a `done`: remove the commitment's `done:` line, so it is open again.

    A commitment closed by a later conversation's `closes` is refused: that
    conversation says it was fulfilled; edit it there.
    """
    from ..agenda import closed_ids
    from ..edit import plan_commitment_fields

    nb = state.notebook()
    found = find_item(nb, item, ("commitment",))
    if found.kind != "commitment":
        raise EditRefused(f"`{item}` is not a commitment; only a commitment can be reopened")
    assert found.conversation and found.commitment
    c = found.commitment
    if c.done is None:
        closer = closed_ids(nb).get(c.id or "")
        if closer is not None:
            raise EditRefused(f"{c.path}:{c.line}: closed by {closer.path} (`closes: {c.id}`); "
                              "remove the id there to reopen it")
        raise EditRefused(f"{c.path}:{c.line}: not done; nothing to reopen")
    change, stat = plan_commitment_fields(nb, found.conversation, c, {"done": None}, f"reopened: {c.what}")
    report(change, stat, nb, dry_run)
