"""Lints: what the validator cannot call wrong, but a years-old notebook should not hold.

Each lint is a warning with its own code, run by ``convo validate`` (``--no-lint``
turns them all off; ``convo.yml`` ``lint: {off: [CODE, ...]}`` turns some off), in the
style of ``hledger check``'s optional checks. They depend on today, so they are
computed at validation time, never cached:

- ``future-conversation``: a conversation dated after today (a typo in the year?);
- ``with-me``: a conversation ``with`` the notebook's own person (``me`` talks with others);
- ``org-without-what``: an org that does not say what it does (the gap behind
  "they don't know what my company does");
- ``client-without-org``: a person tagged ``client`` or ``customer`` with no ``org``;
- ``long-wait``: a thread waiting on someone else for more than 60 days since its
  latest conversation (nudge them, or settle it).

Like the checks across notes, each lint is a small function run by one driver.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable, Iterator

from .agenda import THEIRS, threads
from .diagnostics import Diagnostic
from .model import Notebook

LONG_WAIT_DAYS = 60
CLIENT_TAGS = frozenset({"client", "customer", "clients", "customers"})


def _at(note: object, *path: object) -> tuple[int, int]:
    locs = getattr(note, "locs", {})
    return locs.get(tuple(path), locs.get((), (1, 1)))


def future_conversations(nb: Notebook, today: dt.date) -> Iterator[Diagnostic]:
    for conv in nb.conversations:
        if conv.date > today:
            yield Diagnostic(conv.path, *_at(conv, "date"), "future-conversation",
                             f"dated {conv.date.isoformat()}, after today ({today.isoformat()}): "
                             "a conversation records what happened (plan ahead with `next` or a commitment)")


def conversations_with_me(nb: Notebook, today: dt.date) -> Iterator[Diagnostic]:
    for conv in nb.conversations:
        for i, slug in enumerate(conv.with_):
            if nb.is_me(slug):
                yield Diagnostic(conv.path, *_at(conv, "with", i), "with-me",
                                 f"`with` names `{slug}`, the notebook's own person: list the others you talked with")


def orgs_without_what(nb: Notebook, today: dt.date) -> Iterator[Diagnostic]:
    for org in nb.orgs.values():
        if not org.what:
            yield Diagnostic(org.path, *_at(org, "name"), "org-without-what",
                             f"`{org.slug}` does not say what it does: add `what:` (one line for the next caller)")


def clients_without_org(nb: Notebook, today: dt.date) -> Iterator[Diagnostic]:
    for person in nb.people.values():
        if person.org is None and not person.team and CLIENT_TAGS & {t.casefold() for t in person.tags}:
            yield Diagnostic(person.path, *_at(person, "tags"), "client-without-org",
                             f"{person.name} is tagged as a client but has no `org:`")


def long_waits(nb: Notebook, today: dt.date) -> Iterator[Diagnostic]:
    for thread in threads(nb):
        latest = thread.latest
        waited = (today - latest.date).days
        if thread.state == THEIRS and waited > LONG_WAIT_DAYS:
            # where `next` stands, kept in the record: reading hundreds of notes again cost a tenth
            # of a cold `validate`'s time after the reading
            line, col = (latest.next.line, latest.next.column) if latest.next else _at(latest, "next")
            yield Diagnostic(latest.path, line, col, "long-wait",
                             f"thread `{thread.key}` has waited on them for {waited} days (since "
                             f"{latest.date.isoformat()}): nudge them, or settle it by removing `next`")


LINTS: dict[str, Callable[[Notebook, dt.date], Iterable[Diagnostic]]] = {
    "future-conversation": future_conversations,
    "with-me": conversations_with_me,
    "org-without-what": orgs_without_what,
    "client-without-org": clients_without_org,
    "long-wait": long_waits,
}


def run_lints(nb: Notebook, today: dt.date, skip: Iterable[str] = ()) -> list[Diagnostic]:
    """Every lint's warnings but those turned off (``skip``, and ``convo.yml`` ``lint: off:``)."""
    off = set(skip) | set(nb.config.lint_off)
    out: list[Diagnostic] = []
    for code, lint in LINTS.items():
        if code not in off:
            out.extend(lint(nb, today))
    return out
