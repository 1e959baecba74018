"""Short Markdown for an editor's hover: the brief on a person or org, a thread, a commitment."""

from __future__ import annotations

import datetime as dt

from ..agenda import MINE, SETTLED, Thread
from ..brief import Brief
from ..model import Commitment, Conversation, Notebook, Person
from .text import ago, when

MAX_PROMISES = 5


def _who(nb: Notebook, slug: str | None) -> str:
    if slug is None:
        return "?"
    return "me" if nb.is_me(slug) else nb.display(slug)


def _turn(nb: Notebook, t: Thread, today: dt.date) -> str:
    if t.state == SETTLED:
        return f"`{t.key}`: settled"
    whose = "my move" if t.state == MINE else f"waiting on {_who(nb, t.turn)}"
    by = f" by {t.by.isoformat()} ({when(t.by, today)})" if t.by else ""
    about = f": {t.about}" if t.about else ""
    return f"`{t.key}`: {whose}{by}{about}"


def _promise(c: Commitment, today: dt.date) -> str:
    due = f" (due {c.due.isoformat()}, {when(c.due, today)})" if c.due else ""
    return f"{c.what}{due}"


def render_hover_brief(nb: Notebook, b: Brief, today: dt.date) -> str:
    """The brief in a few lines: who and where, last spoke, whose turn, open promises both ways."""
    s = b.subject
    lines = [f"**{s.name}** (`{s.slug}`)" + (" · private" if b.private else "")]
    if isinstance(s, Person):
        where = f" at {b.org.name}" if b.org else ""
        if s.role or where:
            lines.append(f"{s.role or 'works'}{where}" + (f": {b.org.what}" if b.org and b.org.what else ""))
    elif s.what:
        lines.append(f"organization: {s.what}")
    if b.last is None:
        lines.append("Never spoken with.")
    else:
        lines.append(f"Last spoke {b.last.date.isoformat()} ({ago(b.last.date, today)}) about *{b.last.title}*"
                     f", recorded by {_who(nb, b.recorders[0].slug) if b.recorders else 'me'}")
    open_threads = [t for t in b.threads if t.state != SETTLED][:3]
    if open_threads:
        lines.append("Turn: " + "; ".join(_turn(nb, t, today) for t in open_threads))
    for label, promises in (("They owe", b.they_owe), ("We owe", b.we_owe)):
        if promises:
            shown = [_promise(p.commitment, today) for p in promises[:MAX_PROMISES]]
            more = f" and {len(promises) - MAX_PROMISES} more" if len(promises) > MAX_PROMISES else ""
            lines.append(f"{label}: " + "; ".join(shown) + more)
    return "\n\n".join(lines)


def render_hover_thread(nb: Notebook, t: Thread, today: dt.date) -> str:
    """A thread: its state, people and latest conversation."""
    people = ", ".join(_who(nb, p) for p in t.people)
    return "\n\n".join([
        f"**Thread** {_turn(nb, t, today)}",
        f"with {people}; {len(t.conversations)} conversation{'s' * (len(t.conversations) != 1)}, "
        f"latest {t.latest.date.isoformat()}: *{t.latest.title}*",
    ])


def render_hover_commitment(nb: Notebook, conv: Conversation, c: Commitment, state: str, today: dt.date) -> str:
    """A commitment named by its id: what, who to whom, due, state."""
    return "\n\n".join([
        f"**{c.what}** (`{c.id}`)",
        f"{_who(nb, c.owner)} → {_who(nb, c.to) if c.to else 'them'}; {state}"
        + (f", due {c.due.isoformat()} ({when(c.due, today)})" if c.due else ""),
        f"from *{conv.title}* ({conv.date.isoformat()})",
    ])
