"""The daily questions: ``due``, ``threads``, ``brief`` and ``watch``.

Each command loads the notebook, asks one query (:mod:`~convo_notes.agenda`,
:mod:`~convo_notes.brief`) and hands the answer to a renderer
(:mod:`~convo_notes.render`). The JSON keys are documented in ``docs/daily.md``.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from ..agenda import (
    KINDS,
    MINE,
    SETTLED,
    THEIRS,
    ItemFilter,
    Thread,
    find_due,
    group_of,
    item_matches,
    thread_matches,
    week_days,
)
from ..dates import MAX_WITHIN_DAYS
from ..diagnostics import did_you_mean
from ..errors import Found, UsageError
from ..model import Notebook
from ..names import resolve, resolve_optional
from ..render.json import brief_json, due_item_json, ref, thread_json
from ..render.terminal import echo, page, style
from ..render.text import render_brief, render_due, render_threads, render_watch_report, render_week
from .common import State, TerminalProgress, complete_person, emit_report, finish, pager_option, pass_state

WITHIN = click.IntRange(min=0, max=MAX_WITHIN_DAYS)  # at most a hundred years ahead


def owner_of(nb: Notebook, owner: str | None, mine: bool) -> str | None:
    """The person whose items to show: ``--owner`` (any name the resolver knows) or ``--mine``."""
    if owner and mine:
        raise UsageError("give --owner SLUG or --mine, not both")
    if mine:
        if not nb.viewer:
            raise UsageError("--mine: who are you? Set CONVO_ME, --me SLUG, or `me` in convo.yml "
                             "or in your config file (docs/getting-started.md)")
        if nb.viewer not in nb.people:
            raise UsageError(f"--mine: you are `{nb.viewer}` (--me, CONVO_ME or your config file), but there is "
                             f"no notes/people/{nb.viewer}.md{did_you_mean(nb.viewer, nb.people)}")
        return nb.viewer
    return resolve_optional(nb, owner, ("person",), "--owner")


def filter_options(command: Any) -> Any:
    """``--tag``, ``--org``, ``--person`` and ``--thread``: the filters ``due`` and ``threads`` share."""
    for option in reversed((
        click.option("--tag", "tags", multiple=True, metavar="TAG",
                     help="Only items with this tag (theirs or their people's; repeat: all of them)."),
        click.option("--org", metavar="ORG", help="Only items with this org (slug or name)."),
        click.option("--person", metavar="PERSON", shell_complete=complete_person,
                     help="Only items involving this person (slug, name or alias)."),
        click.option("--thread", metavar="SLUG", help="Only this thread."),
    )):
        command = option(command)
    return command


def item_filter(nb: Notebook, tags: tuple[str, ...], org: str | None, person: str | None, thread: str | None,
                kind: str | None = None) -> ItemFilter:
    """The filters asked for, names resolved through :mod:`~convo_notes.names`."""
    return ItemFilter(tuple(t.casefold() for t in tags), resolve_optional(nb, org, ("org",), "--org", "org"),
                      resolve_optional(nb, person, ("person",), "--person"), thread, kind)


@click.command()
@click.option("--within", type=WITHIN, default=7, show_default=True, metavar="DAYS",
              help="Show items due up to DAYS days from today (overdue ones always show).")
@click.option("--all", "include_all", is_flag=True,
              help="Also items due later, items with no date, and snoozed items (marked).")
@click.option("--week", is_flag=True, help="A day-by-day agenda for the next 7 days (overdue first).")
@click.option("--owner", metavar="SLUG", shell_complete=complete_person, help="Only what SLUG must act on.")
@click.option("--mine", is_flag=True, help="Only what I must act on (the reader: --me, CONVO_ME, your config).")
@filter_options
@click.option("--kind", type=click.Choice(KINDS), help="Only items of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything shown is overdue (for scripts).")
@pager_option
@pass_state
def due(state: State, within: int, include_all: bool, week: bool, owner: str | None, mine: bool,
        tags: tuple[str, ...], org: str | None, person: str | None, thread: str | None, kind: str | None,
        as_json: bool, fail_on_overdue: bool) -> None:
    """The agenda: open commitments, my turns, overdue waits and keep-in-touch dates.

    Grouped as overdue, today and upcoming (the next 7 days by default);
    each item names its source as PATH:LINE. Private notes are included
    and marked. Snoozed items are left out (with --all: shown, marked).
    Filters combine with AND. Exit 1 if the notebook has errors, or with
    --fail-on-overdue when something is overdue.
    """
    from ..cache.views import agenda_view
    from ..loader import paused_gc

    if week and include_all:
        raise UsageError("give --week or --all, not both")
    if week:
        within = 6
    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            # from a snapshot when nothing changed
            view = agenda_view(state.root, progress=progress, reader=state.reader, overlay=True)
        nb, today = view.notebook, state.today
        who = owner_of(nb, owner, mine)
        wanted = item_filter(nb, tags, org, person, thread, kind)
        items = find_due(nb, today, within=within, include_all=include_all, owner=who, entries=view.entries)
        if wanted:
            items = [i for i in items if item_matches(nb, i, wanted)]
        if week:
            items = [i for d, day_items in week_days(items, today) for i in day_items]
        if as_json:
            emit_report(nb, {"today": today, "within": within, "owner": ref(nb, who),
                             "items": [due_item_json(nb, i, today, within) for i in items]})
        elif week:
            echo(render_week(nb, week_days(items, today), today, who))
            finish(nb)
        else:
            text = render_due(nb, items, today, within, include_all, who)
            page(text, include_all and not state.no_pager)
            finish(nb)
    if fail_on_overdue and any(group_of(i, today, within) == "overdue" and not i.snoozed(today) for i in items):
        raise Found("something is overdue")


def sort_threads(found: list[Thread], order: str, today: dt.date) -> list[Thread]:
    """``urgency``: my turns first, then by date due; ``recent``: latest conversation first."""
    if order == "recent":
        return sorted(found, key=lambda t: t.latest.sort_key, reverse=True)
    return sorted(found, key=lambda t: t.urgency(today))


@click.command("threads")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@click.option("--state", "only", type=click.Choice([MINE, THEIRS, SETTLED]), help="Only threads in this state.")
@click.option("--sort", "order", type=click.Choice(["urgency", "recent"]), default="urgency", show_default=True,
              help="urgency: my turns first, then by date due; recent: latest conversation first.")
@filter_options
@click.option("--kind", type=click.Choice(["my-turn", "waiting"]),
              help="my-turn: threads where the move is mine; waiting: someone else's (as --state).")
@pass_state
def threads_command(state: State, as_json: bool, only: str | None, order: str, tags: tuple[str, ...],
                    org: str | None, person: str | None, thread: str | None, kind: str | None) -> None:
    """Every ongoing conversation: whose turn it is, by when, and the next move."""
    from ..cache.views import threads_view
    from ..loader import paused_gc

    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            # from a snapshot when nothing changed
            view = threads_view(state.root, progress=progress, reader=state.reader, overlay=True)
        nb = view.notebook
        wanted = item_filter(nb, tags, org, person, thread)
        by_kind = {"my-turn": MINE, "waiting": THEIRS}.get(kind or "")
        found = sort_threads([t for t in view.threads if (only is None or t.state == only)
                              and (by_kind is None or t.state == by_kind)
                              and (not wanted or thread_matches(nb, t, wanted))],
                             order, state.today)
        if as_json:
            emit_report(nb, {"today": state.today, "threads": [thread_json(nb, t, state.today) for t in found]})
        else:
            echo(render_threads(nb, found, state.today, only))
            finish(nb)


@click.command()
@click.argument("slug", shell_complete=complete_person)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/daily.md).")
@pager_option
@pass_state
def brief(state: State, slug: str, as_json: bool) -> None:
    """Everything to know before talking to a person or an org (SLUG, a name or an alias).

    Who they are, when anyone on the team last spoke with them, whose turn
    it is in each thread, open commitments both ways, interests, what they
    were sent, referrals, and the history newest first. Private notes are
    included and marked.
    """
    from ..brief import build_brief
    from ..cache.views import brief_view
    from ..loader import paused_gc

    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            # only the notes this brief needs
            nb = brief_view(state.root, slug, progress=progress, reader=state.reader, overlay=True).notebook
        subject = resolve(nb, slug)  # every person and org is in the view: a name or alias finds its slug
        if subject != slug:
            nb = brief_view(state.root, subject, reader=state.reader, overlay=True).notebook
        b = build_brief(nb, subject, state.today)
        if as_json:
            emit_report(nb, brief_json(nb, b, state.today))
        else:
            page(render_brief(nb, b, state.today), not state.no_pager)
            finish(nb)


@click.command()
@click.option("--within", type=WITHIN, default=7, show_default=True, metavar="DAYS",
              help="The agenda's window, as for `convo due`.")
@click.option("--mine", is_flag=True, help="Only what I must act on.")
@pass_state
def watch(state: State, within: int, mine: bool) -> None:
    """Re-check the notebook and re-list due items whenever a note changes (Ctrl-C stops).

    Prints the notebook's problems and the agenda at start, then again each
    time notes change and the result differs.
    """
    import signal

    from ..watch import NotebookWatcher

    root = state.root
    fixed_today = click.get_current_context().find_root().params.get("today")
    last: dict[str, str] = {}

    def show(nb: Notebook) -> None:
        today = fixed_today or dt.date.today()
        who = nb.viewer if mine else None
        report = render_watch_report(nb, find_due(nb, today, within=within, owner=who), today, within, who)
        if last.get("report") == report:
            return  # events are hints: an event that changed nothing prints nothing
        last["report"] = report
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        echo(style(f"── {stamp} {'─' * 40}", dim=True))
        echo(report)
        sys.stdout.flush()

    def failed(exc: Exception) -> None:
        echo(f"convo: could not reload the notebook: {type(exc).__name__}: {exc}", err=True)

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
