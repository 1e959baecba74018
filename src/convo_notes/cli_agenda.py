"""The daily commands: ``due``, ``threads``, ``brief``, ``new``, ``done`` and ``watch``.

Each command loads the notebook, asks one query (:mod:`agenda`, :mod:`brief`,
:mod:`edit`, :mod:`watch`) and renders the answer as text or JSON. The JSON
keys are documented in ``docs/daily.md`` and stable.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any, Callable

import click

from .agenda import MINE, SETTLED, THEIRS, DueItem, Thread, find_due, group_of, threads
from .cli import (
    DATE,
    CommandFailed,
    State,
    TerminalProgress,
    UsageProblem,
    cli,
    complete_person,
    echo,
    emit_json,
    pass_state,
    print_diagnostics,
    style,
    use_color,
)
from .dates import MAX_WITHIN_DAYS
from .diagnostics import did_you_mean
from .model import Notebook
from .render import commitment_to_json, person_ref, referral_to_json
from .schema import CHANNELS

if TYPE_CHECKING:
    from .brief import Brief

GROUPS = ("overdue", "today", "upcoming", "later", "undated")
GROUP_TITLES = {"overdue": "Overdue", "today": "Today", "upcoming": "Upcoming", "later": "Later",
                "undated": "No date"}
KIND_LABELS = {"commitment": "commitment", "my-turn": "my turn", "waiting": "waiting",
               "keep-in-touch": "keep in touch"}
STATE_LABELS = {MINE: "my turn", THEIRS: "their turn", SETTLED: "settled"}


# --- small shared renderers ----------------------------------------------------------

def names(nb: Notebook, slug: str | None) -> str:
    """Display name(s) of a slug, or of several joined by ``+`` (a ``them`` turn)."""
    if not slug:
        return ""
    return ", ".join(nb.display(s) for s in slug.split("+"))


def ref(nb: Notebook, slug: str | None) -> dict[str, str] | None:
    """``{"slug", "name"}``; several people joined by ``+`` keep the joined slug and list their names."""
    if slug is None:
        return None
    if "+" in slug:
        return {"slug": slug, "name": names(nb, slug)}
    return person_ref(nb, slug)


def when(day: dt.date | None, today: dt.date) -> str:
    """How a due date stands: ``3d late``, ``today``, ``in 2d``, or empty."""
    if day is None:
        return ""
    delta = (today - day).days
    if delta > 0:
        return f"{delta}d late"
    return "today" if delta == 0 else f"in {-delta}d"


def ago(day: dt.date, today: dt.date) -> str:
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta < 0:
        return f"in {-delta} day{'s' * (delta != -1)}"
    return f"{delta} day{'s' * (delta != 1)} ago"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def report_errors(nb: Notebook) -> bool:
    """Print the notebook's errors on stderr with a hint; True when there are any."""
    errors = nb.errors
    if errors:
        print_diagnostics(errors)
        echo(f"convo: {plural(len(errors), 'error')} in the notebook; this answer may be incomplete "
             "(run `convo validate`)", err=True)
    return bool(errors)


# --- due ---------------------------------------------------------------------------------

def due_item_json(nb: Notebook, item: DueItem, today: dt.date, within: int) -> dict[str, Any]:
    """One due item as documented in docs/daily.md."""
    return {
        "kind": item.kind,
        "date": item.date,
        "days_overdue": item.days_overdue(today),
        "group": group_of(item, today, within),
        "owner": ref(nb, item.owner),
        "to": ref(nb, item.to),
        "what": item.what,
        "about": item.what if item.kind in ("my-turn", "waiting") else None,
        "thread": item.thread,
        "person": [ref(nb, s) for s in item.people],
        "id": item.id,
        "source": item.source,
        "private": item.private,
    }


def plain(text: str, **_: Any) -> str:
    """:func:`style` when colour is off."""
    return text


def painter() -> Callable[..., str]:
    """:func:`style`, with the terminal asked once (an agenda can have thousands of lines)."""
    return click.style if use_color() else plain


def due_line(nb: Notebook, item: DueItem, today: dt.date, paint: Callable[..., str] | None = None) -> str:
    """One item on one line: date, how late, kind, owner → to, what, thread, source."""
    paint = paint or style
    date = item.date.isoformat() if item.date else "(no date)"
    to = names(nb, item.to) or (", ".join(nb.display(s) for s in item.people) if item.kind == "my-turn" else "")
    who = names(nb, item.owner) + (f" → {to}" if to else "")
    late = when(item.date, today)
    if late.endswith("late"):
        late = paint(late, fg="red", bold=True)
    thread = f"  [{item.thread}]" if item.thread else ""
    private = paint("[private] ", fg="magenta") if item.private else ""
    return (f"  {date:<10}  {late:>8}  {KIND_LABELS[item.kind]:<13}  {private}{who}: {item.what}{thread}  "
            + paint(item.source, dim=True))


def window_phrase(within: int, include_all: bool) -> str:
    if include_all:
        return "everything open, dated or not"
    return f"overdue, today and the next {plural(within, 'day')}"


def render_due(nb: Notebook, items: list[DueItem], today: dt.date, within: int, include_all: bool,
               owner: str | None = None) -> str:
    """The agenda as text: a header, items grouped by when they are due, a summary line."""
    whose = f" for {names(nb, owner)}" if owner else ""
    head = f"Due as of {today.isoformat()}{whose} ({window_phrase(within, include_all)})"
    if not items:
        return f"Nothing due as of {today.isoformat()}{whose} ({window_phrase(within, include_all)})."
    paint = painter()
    lines = [paint(head, bold=True)]
    grouped: dict[str, list[DueItem]] = {group: [] for group in GROUPS}
    for item in items:
        grouped[group_of(item, today, within)].append(item)
    counts: dict[str, int] = {}
    for group in GROUPS:
        members = grouped[group]
        if not members:
            continue
        counts[group] = len(members)
        lines.append("")
        lines.append(paint(GROUP_TITLES[group], bold=True, fg="red" if group == "overdue" else None))
        lines.extend(due_line(nb, item, today, paint) for item in members)
    private = sum(1 for i in items if i.private)
    summary = f"{plural(len(items), 'item')}: " + ", ".join(f"{n} {g}" for g, n in counts.items())
    if private:
        summary += f" ({private} private)"
    lines += ["", summary]
    return "\n".join(lines)


def resolve_owner(nb: Notebook, owner: str | None, mine: bool) -> str | None:
    if owner and mine:
        raise UsageProblem("give --owner SLUG or --mine, not both")
    if mine:
        return nb.canon("me")
    if owner and not nb.is_me(owner) and owner not in nb.people:
        raise UsageProblem(f"--owner: no person `{owner}` in notes/people/{did_you_mean(owner, nb.people)}")
    return nb.canon(owner) if owner else None


@cli.command()
@click.option("--within", type=click.IntRange(min=0, max=MAX_WITHIN_DAYS), default=7, show_default=True, metavar="DAYS",
              help="Show items due up to DAYS days from today (overdue ones always show).")
@click.option("--all", "include_all", is_flag=True, help="Also items due later and items with no date.")
@click.option("--owner", metavar="SLUG", shell_complete=complete_person, help="Only what SLUG must act on.")
@click.option("--mine", is_flag=True, help="Only what I must act on (the notebook's `me`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything shown is overdue (for scripts).")
@pass_state
def due(state: State, within: int, include_all: bool, owner: str | None, mine: bool, as_json: bool,
        fail_on_overdue: bool) -> None:
    """The agenda: open commitments, my turns, overdue waits and keep-in-touch dates.

    Grouped as overdue, today and upcoming (the next 7 days by default);
    each item names its source as PATH:LINE. Private notes are included
    and marked. Exit 1 if the notebook has errors, or with
    --fail-on-overdue when something is overdue.
    """
    from .loader import paused_gc
    from .snapshot import agenda_view

    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            view = agenda_view(state.root, progress=progress)  # from a snapshot when nothing changed
        nb = view.notebook
        who = resolve_owner(nb, owner, mine)
        items = find_due(nb, state.today, within=within, include_all=include_all, owner=who, entries=view.entries)
        if as_json:
            emit_json({"today": state.today, "within": within, "owner": ref(nb, who),
                       "items": [due_item_json(nb, i, state.today, within) for i in items],
                       "errors": [d.to_json() for d in nb.errors]})
            failed = bool(nb.errors)
        else:
            echo(render_due(nb, items, state.today, within, include_all, who))
            failed = report_errors(nb)
    overdue = any(group_of(i, state.today, within) == "overdue" for i in items)
    if failed or (fail_on_overdue and overdue):
        raise SystemExit(1)


# --- threads -----------------------------------------------------------------------------

def thread_json(nb: Notebook, t: Thread, today: dt.date) -> dict[str, Any]:
    """One thread as documented in docs/daily.md."""
    latest = t.latest
    return {
        "key": t.key,
        "title": t.title,
        "explicit": t.explicit,
        "state": t.state,
        "turn": ref(nb, t.turn),
        "by": t.by,
        "days_overdue": None if t.by is None else (today - t.by).days,
        "about": t.about,
        "people": [ref(nb, s) for s in t.people],
        "conversations": len(t.conversations),
        "last_date": latest.date,
        "latest": latest.path,
        "source": f"{latest.path}:{latest.next.line if latest.next else 1}",
        "private": any(nb.is_private(c) for c in t.conversations),
    }


def thread_label(nb: Notebook, t: Thread) -> str:
    """``my turn``, ``Dana Reyes's turn``, ``their turn`` (several people) or ``settled``."""
    if t.state == THEIRS and t.turn and "+" not in t.turn:
        return f"{names(nb, t.turn)}'s turn"
    return STATE_LABELS[t.state]


def thread_lines(nb: Notebook, found: list[Thread], today: dt.date) -> list[str]:
    """Two lines a thread: state, due date and next move; then people, size, last date and source."""
    style = painter()  # the terminal asked once, not once a line
    width = max((len(thread_label(nb, t)) for t in found), default=0)
    lines: list[str] = []
    for t in found:
        due_text = f"by {t.by.isoformat()} ({when(t.by, today)})" if t.by else ""
        name = t.key if t.explicit else f"\"{t.latest.title}\""
        about = f": {t.about}" if t.about else ""
        private = style(" [private]", fg="magenta") if any(nb.is_private(c) for c in t.conversations) else ""
        lines.append(f"  {thread_label(nb, t):<{width}}  {due_text:<24}  {name}{about}{private}".rstrip())
        latest = t.latest
        source = f"{latest.path}:{latest.next.line}" if latest.next else latest.path
        lines.append(f"  {'':<{width}}  with {', '.join(nb.display(s) for s in t.people)}; "
                     f"{plural(len(t.conversations), 'conversation')}, last {latest.date.isoformat()}  "
                     + style(source, dim=True))
    return lines


def sort_threads(found: list[Thread], order: str, today: dt.date) -> list[Thread]:
    if order == "recent":
        return sorted(found, key=lambda t: t.latest.sort_key, reverse=True)
    return sorted(found, key=lambda t: t.urgency(today))


@cli.command("threads")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@click.option("--state", "only", type=click.Choice([MINE, THEIRS, SETTLED]), help="Only threads in this state.")
@click.option("--sort", "order", type=click.Choice(["urgency", "recent"]), default="urgency", show_default=True,
              help="urgency: my turns first, then by date due; recent: latest conversation first.")
@pass_state
def threads_command(state: State, as_json: bool, only: str | None, order: str) -> None:
    """Every ongoing conversation: whose turn it is, by when, and the next move."""
    nb = state.notebook()
    found = sort_threads([t for t in threads(nb) if only is None or t.state == only], order, state.today)
    if as_json:
        emit_json({"today": state.today, "threads": [thread_json(nb, t, state.today) for t in found],
                   "errors": [d.to_json() for d in nb.errors]})
        failed = bool(nb.errors)
    else:
        if found:
            lines = [style(f"Threads as of {state.today.isoformat()}", bold=True), ""]
            lines += thread_lines(nb, found, state.today)
            counts = {s: sum(1 for t in found if t.state == s) for s in (MINE, THEIRS, SETTLED)}
            lines += ["", f"{plural(len(found), 'thread')}: "
                      + ", ".join(f"{n} {STATE_LABELS[s]}" for s, n in counts.items() if n)]
            echo("\n".join(lines))
        else:
            echo("No threads" + (f" in state {only}." if only else " yet: start one with `convo new`."))
        failed = report_errors(nb)
    if failed:
        raise SystemExit(1)


# --- brief -------------------------------------------------------------------------------

def brief_json(nb: Notebook, b: Brief, today: dt.date) -> dict[str, Any]:
    """A brief as documented in docs/daily.md."""
    from .render import note_to_json

    def promise(p: Any) -> dict[str, Any]:
        closer = None
        if p.commitment.id and not p.commitment.done and p.fulfilled:
            closer = next((c.path for c in nb.conversations if p.commitment.id in c.closes), None)
        return {**commitment_to_json(nb, p.commitment, closer), "conversation": p.conversation.path,
                "fulfilled": p.fulfilled, "private": p.private}

    def referral(e: Any) -> dict[str, Any]:
        return {**referral_to_json(nb, e.referral), "date": e.conversation.date, "private": e.private}

    subject = note_to_json(nb, b.subject)
    subject.pop("body", None)
    return {
        "today": today,
        "kind": b.subject.kind,
        "subject": subject,
        "about": b.subject.body.strip(),
        "org": None if b.org is None else {"slug": b.org.slug, "name": b.org.name, "what": b.org.what,
                                           "website": b.org.website},
        "people": [{"slug": p.slug, "name": p.name, "role": p.role, "email": list(p.emails),
                    "phone": list(p.phones), "expertise": list(p.expertise), "private": nb.is_private(p)}
                   for p in b.people],
        "last_spoke": None if b.last is None else {
            "date": b.last.time.isoformat() if b.last.time else b.last.date, "title": b.last.title,
            "recorded_by": ref(nb, b.recorders[0].slug), "source": b.last.path},
        "recorded_by": [{"person": ref(nb, r.slug), "date": r.conversation.date, "source": r.conversation.path}
                        for r in b.recorders],
        "last_edited": None if b.last_edit is None else {
            "date": b.last_edit.date, "author": b.last_edit.author,
            "team_member": ref(nb, b.last_edit.team_member) if b.last_edit.team_member else None,
            "source": b.last_edit.path},
        "threads": [thread_json(nb, t, today) for t in b.threads],
        "they_owe": [promise(p) for p in b.they_owe],
        "we_owe": [promise(p) for p in b.we_owe],
        "sent": [promise(p) for p in b.sent],
        "interests": [{"text": i.text, "date": i.conversation.date, "source": i.conversation.path,
                       "private": i.private} for i in b.interests],
        "referrals": {"given": [referral(e) for e in b.referrals_given],
                      "received": [referral(e) for e in b.referrals_received],
                      "recommended": [referral(e) for e in b.recommended]},
        "keep_in_touch": [{"person": ref(nb, k.person.slug), "cadence": str(k.person.cadence), "due": k.due,
                           "never_contacted": k.never} for k in b.keep_in_touch],
        "history": [{"date": h.conversation.time.isoformat() if h.conversation.time else h.conversation.date,
                     "channel": h.conversation.channel, "title": h.conversation.title,
                     "with": [ref(nb, s) for s in h.conversation.with_], "excerpt": list(h.excerpt),
                     "source": h.conversation.path, "private": h.private} for h in b.history],
    }


def render_brief(nb: Notebook, b: Brief, today: dt.date) -> str:
    """A brief as text, on one screen: who, last contact, threads, promises, interests, referrals, history."""
    from .model import Person

    style = painter()  # the terminal asked once, not once a line
    mark = style(" [private]", fg="magenta")
    s = b.subject
    lines = [style(f"{s.name} ({s.slug})", bold=True) + (mark if b.private else "")]
    if isinstance(s, Person):
        where = f" at {b.org.name}" if b.org else ""
        if s.role or where:
            lines.append(f"  {s.role or 'works'}{where}" + (f": {b.org.what}" if b.org and b.org.what else ""))
        for label, values in (("expertise", s.expertise), ("contact", (*s.emails, *s.phones)),
                              ("also known as", s.aliases), ("tags", s.tags)):
            if values:
                lines.append(f"  {label}: {', '.join(values)}")
        if s.team:
            lines.append("  on our team")
    else:
        lines.append("  organization" + (f": {s.what}" if s.what else ""))
        if s.website:
            lines.append(f"  website: {s.website}")
        if s.tags:
            lines.append(f"  tags: {', '.join(s.tags)}")
    for k in b.keep_in_touch:
        who = f" with {k.person.name}" if b.is_org else ""
        never = ", never contacted" if k.never else ""
        lines.append(f"  keep in touch{who} every {k.person.cadence}: due {k.due.isoformat()} "
                     f"({when(k.due, today)}{never})")
    lines += [f"  {line}" for line in s.body.strip().splitlines()]

    if b.is_org:
        lines += ["", style("People", bold=True)]
        if not b.people:
            lines.append("  (no one in notes/people/ has this org)")
        for p in b.people:
            lines.append(f"  {p.name} ({p.slug})" + (f", {p.role}" if p.role else "")
                         + (mark if nb.is_private(p) else ""))

    lines.append("")
    if b.last is None:
        lines.append("Never spoken with (no conversations yet).")
    else:
        last_date = b.last.time.strftime("%Y-%m-%d %H:%M") if b.last.time else b.last.date.isoformat()
        lines.append(f"Last spoke {last_date} ({ago(b.last.date, today)}), recorded by "
                     f"{names(nb, b.recorders[0].slug)}: {b.last.title}")
        for r in b.recorders[1:]:
            lines.append(f"  {names(nb, r.slug)} last recorded one on {r.conversation.date.isoformat()}")
    if b.last_edit is not None:
        who = names(nb, b.last_edit.team_member) if b.last_edit.team_member else b.last_edit.author
        lines.append(f"Notes last edited {b.last_edit.date[:10]} by {who} ({b.last_edit.path})")

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", style(title, bold=True), *body])

    section("Threads", thread_lines(nb, list(b.threads), today))

    def promise_line(p: Any, fulfilled: bool = False) -> str:
        c = p.commitment
        if fulfilled:
            head = f"{p.fulfilled.isoformat():<10}"
        else:
            head = f"{c.due.isoformat() if c.due else '(no date)':<10}  {when(c.due, today):>8}"
        to = f" → {names(nb, nb.canon(c.to))}" if c.to else ""
        return (f"  {head}  {mark.strip() + ' ' if p.private else ''}{names(nb, nb.canon(c.owner))}{to}: {c.what}  "
                + style(f"{c.path}:{c.line}", dim=True))

    section("They owe", [promise_line(p) for p in b.they_owe])
    section("We owe", [promise_line(p) for p in b.we_owe])
    section("Interests", [f"  {i.text} ({i.conversation.date.isoformat()}){mark if i.private else ''}"
                          for i in b.interests])
    section("Sent", [promise_line(p, fulfilled=True) for p in b.sent])

    def referral_line(label: str, e: Any) -> str:
        r = e.referral
        target = nb.display(r.recommends) if (r.recommends in nb.people or r.recommends in nb.orgs) else r.recommends
        note = f" ({r.note})" if r.note else ""
        return (f"  {label:<12}{e.conversation.date.isoformat()}  {names(nb, nb.canon(r.by)) or '?'} recommended "
                f"{target} for {', '.join(r.topics)} to {names(nb, nb.canon(r.to))}{note}"
                + (mark if e.private else ""))

    section("Referrals", [referral_line("given", e) for e in b.referrals_given]
            + [referral_line("received", e) for e in b.referrals_received]
            + [referral_line("about them", e) for e in b.recommended])

    history: list[str] = []
    for h in b.history:
        c = h.conversation
        day = c.time.strftime("%Y-%m-%d %H:%M") if c.time else c.date.isoformat()
        with_ = f" (with {', '.join(nb.display(x) for x in c.with_)})" if b.is_org or len(c.with_) > 1 else ""
        history.append(f"  {day:<16}  {c.channel or '':<7}  {c.title}{with_}{mark if h.private else ''}")
        history.extend(f"  {'':<16}  {'':<7}  {line}" for line in h.excerpt)
        history.append(f"  {'':<16}  {'':<7}  " + style(c.path, dim=True))
    section(f"History ({len(b.history)}, newest first)", history)
    return "\n".join(lines)


def _named(nb: Notebook, text: str) -> str | None:
    """The slug of the one person or org whose name or alias is ``text`` (any case), when ``text``
    is not itself a slug of the notebook."""
    if (nb.canon(text) or text) in nb.people or text in nb.orgs:
        return None
    wanted = " ".join(text.split()).casefold()
    hits = {p.slug for p in nb.people.values() if wanted in {n.casefold() for n in (p.name, *p.aliases)}}
    hits |= {o.slug for o in nb.orgs.values() if o.name.casefold() == wanted}
    return hits.pop() if len(hits) == 1 else None


@cli.command()
@click.argument("slug", shell_complete=complete_person)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@pass_state
def brief(state: State, slug: str, as_json: bool) -> None:
    """Everything to know before talking to a person or an org (SLUG).

    Who they are, when anyone on the team last spoke with them, whose turn
    it is in each thread, open commitments both ways, interests, what they
    were sent, referrals, and the history newest first. Private notes are
    included and marked.
    """
    from .brief import UnknownSubject, build_brief
    from .loader import paused_gc
    from .snapshot import brief_view

    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            nb = brief_view(state.root, slug, progress=progress).notebook  # only the notes this brief needs
        named = _named(nb, slug)
        if named is not None:  # `convo brief "Dana Reyes"`: a unique name or alias stands for its slug
            slug = named
            nb = brief_view(state.root, slug).notebook
        try:
            b = build_brief(nb, slug, state.today)
        except UnknownSubject:
            known = list(nb.people) + list(nb.orgs)
            raise UsageProblem(f"no person or org `{slug}` in this notebook{did_you_mean(slug, known)}") from None
        if as_json:
            emit_json({**brief_json(nb, b, state.today), "errors": [d.to_json() for d in nb.errors]})
            failed = bool(nb.errors)
        else:
            echo(render_brief(nb, b, state.today))
            failed = report_errors(nb)
    if failed:
        raise SystemExit(1)


# --- new, done, watch --------------------------------------------------------------------

def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@cli.command()
@click.option("--with", "with_", multiple=True, required=True, metavar="PEOPLE", shell_complete=complete_person,
              help="Who it was with: slugs or names; repeat or separate with commas.")
@click.option("--title", help="The title (default: 'Conversation with ...'); the file name comes from it.")
@click.option("--thread", metavar="SLUG", help="The ongoing conversation this belongs to.")
@click.option("--channel", type=click.Choice(CHANNELS), help="How it happened.")
@click.option("--date", "day", type=DATE, metavar="YYYY-MM-DD", help="When it happened (default: today).")
@click.option("--create-people", is_flag=True, help="Create people who have no file yet, as short stubs.")
@click.option("--continue/--no-continue", "cont", default=None,
              help="Continue the people's open thread (asked on a terminal when there is one).")
@click.option("--edit/--no-edit", "open_editor", default=True, show_default=True,
              help="Open the note in $VISUAL or $EDITOR.")
@pass_state
def new(state: State, with_: tuple[str, ...], title: str | None, thread: str | None, channel: str | None,
        day: dt.date | None, create_people: bool, cont: bool | None, open_editor: bool) -> None:
    """Start a conversation note from the template, then check it.

    The file goes to notes/conversations/YYYY/DATE-TITLE.md and is never
    overwritten. Templates: templates/conversation.md in the notebook
    overrides the built-in one (templates/person.md for new people).
    """
    from .edit import EditRefused, NotFound, create_new_note, open_threads_with, plan_new_note, resolve_people
    from .loader import load_notebook
    from .schema import SLUG_RE

    nb = state.notebook()
    try:
        slugs, missing = resolve_people(nb, list(with_))
    except NotFound as exc:
        raise UsageProblem(f"--with: {exc}") from None
    if missing and not create_people:
        hints = "; ".join(f"`{s}`{did_you_mean(s, nb.people)}" for s in missing)
        raise UsageProblem(f"no such person: {hints}. Fix the slug, or add --create-people to create "
                           f"{'it' if len(missing) == 1 else 'them'}")
    if thread is not None and not SLUG_RE.match(thread):
        raise UsageProblem(f"--thread `{thread}` is not a slug (lowercase letters, digits, hyphens)")
    if thread is None and cont is not False:
        thread = choose_thread(nb, open_threads_with(nb, slugs), cont, state.today)
    try:
        plan = plan_new_note(nb, with_=slugs, missing=missing, day=day or state.today, title=title,
                             thread=thread, channel=channel, today=state.today)
        written = create_new_note(nb.root, plan)
    except EditRefused as exc:
        raise CommandFailed(str(exc)) from None
    for rel in written:
        echo(f"created {rel}")
    if open_editor:
        import os

        if os.environ.get("VISUAL") or os.environ.get("EDITOR") or interactive():
            try:
                click.edit(filename=str(nb.root / plan.path))
            except click.ClickException as exc:
                raise CommandFailed(f"{plan.path} was created, but the editor failed ({exc.message}); "
                                    "open the note yourself, then run `convo validate`") from None
        else:
            echo(f"no $EDITOR set: open {plan.path} in your editor", err=True)
    fresh = load_notebook(nb.root)
    problems = [d for d in fresh.diagnostics if d.path in written]
    print_diagnostics(problems)
    if any(d.severity == "error" for d in problems):
        raise SystemExit(1)


def choose_thread(nb: Notebook, candidates: list[Thread], cont: bool | None, today: dt.date) -> str | None:
    """The thread a new note continues: asked on a terminal, chosen with --continue when unambiguous."""
    if not candidates:
        if cont:
            echo("no open thread with these people to continue; starting a new one", err=True)
        return None
    keys = [t.key for t in sorted(candidates, key=lambda t: t.urgency(today))]
    if interactive():
        for number, key in enumerate(keys, 1):
            echo(f"  {number}. {key}")
        echo("  0. none: start a new thread")
        default = 1 if cont or len(keys) == 1 else 0
        picked = click.prompt("Continue which thread?", type=click.IntRange(0, len(keys)), default=default)
        return keys[picked - 1] if picked else None
    if cont:
        if len(keys) == 1:
            return keys[0]
        raise UsageProblem(f"several open threads with these people ({', '.join(keys)}): choose one with --thread")
    echo(f"open thread{'s' * (len(keys) != 1)} with these people: {', '.join(keys)} "
         "(pass --continue or --thread to continue one)", err=True)
    return None


@cli.command()
@click.argument("ref_", metavar="ID|PATH:LINE")
@click.option("--date", "day", type=DATE, metavar="YYYY-MM-DD", help="The date it was done (default: today).")
@pass_state
def done(state: State, ref_: str, day: dt.date | None) -> None:
    """Mark one commitment done, changing nothing else in its file.

    Name it by its `id` or by PATH:LINE as `convo due` shows it. Inserts
    `done: DATE` into that commitment only; every other byte of the file
    stays as it was. Refused (exit 1) if the note has errors, the commitment
    is already done or closed, or the file changes while it is edited.
    """
    from .edit import EditRefused, NotFound, find_commitment, mark_done

    nb = state.notebook(check=True)  # a note with any error, across notes too, is not edited
    try:
        conv, commitment = find_commitment(nb, ref_)
    except NotFound as exc:
        raise UsageProblem(str(exc)) from None
    try:
        result = mark_done(nb, conv, commitment, day or state.today)
    except EditRefused as exc:
        raise CommandFailed(str(exc)) from None
    echo(f"{result.path}:{result.line}: done {result.day.isoformat()}: {result.what}")


@cli.command()
@click.option("--within", type=click.IntRange(min=0, max=MAX_WITHIN_DAYS), default=7, show_default=True, metavar="DAYS",
              help="The agenda's window, as for `convo due`.")
@click.option("--mine", is_flag=True, help="Only what I must act on.")
@pass_state
def watch(state: State, within: int, mine: bool) -> None:
    """Re-check the notebook and re-list due items whenever a note changes (Ctrl-C stops).

    Prints the notebook's problems and the agenda at start, then again each
    time notes change and the result differs.
    """
    from .watch import NotebookWatcher

    root = state.root
    fixed_today = click.get_current_context().find_root().params.get("today")
    last: dict[str, str] = {}

    def show(nb: Notebook) -> None:
        today = fixed_today or dt.date.today()
        who = nb.canon("me") if mine else None
        items = find_due(nb, today, within=within, owner=who)
        text = render_due(nb, items, today, within, False, who)
        problems = [d.format() for d in nb.diagnostics]
        report = "\n".join([*problems, *([f"{plural(len(nb.errors), 'error')} in the notebook", ""]
                                          if nb.errors else []), text])
        if last.get("report") == report:
            return  # events are hints: an event that changed nothing prints nothing
        last["report"] = report
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        echo(style(f"── {stamp} {'─' * 40}", dim=True))
        echo(report)
        sys.stdout.flush()

    def failed(exc: Exception) -> None:
        echo(f"convo: could not reload the notebook: {type(exc).__name__}: {exc}", err=True)

    import signal

    # Ctrl-C and SIGTERM both end the watch cleanly. SIGINT's handler is set explicitly:
    # a process started in the background by a shell inherits SIGINT as ignored, and
    # Python then never turns it into KeyboardInterrupt.
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread (embedded use): leave signals to the host
        pass
    watcher = NotebookWatcher(root, show, on_error=failed)
    echo(f"watching {root / 'notes'} (Ctrl-C to stop)")
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()
        echo("stopped watching")
