"""Commands on single notes: ``show`` one, start one with ``new``, mark a commitment ``done``.

Edits go through :mod:`~convo_notes.edit`: byte-exact, atomic, refused when the
file changed underneath (:class:`~convo_notes.errors.EditRefused`, exit 1).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..agenda import Thread
from ..diagnostics import did_you_mean
from ..errors import CommandFailed, NotebookHasErrors, NotFound, UsageError
from ..model import Note, Notebook
from ..render.json import note_to_json
from ..render.terminal import echo, emit_json, print_diagnostics
from ..render.text import render_note_text
from ..schema import CHANNELS
from .common import DATE, State, complete_item, complete_person, finish, pass_state


def notebook_path(nb: Notebook, path: str) -> str:
    """``path`` (relative to the notebook, to the current directory, or absolute) as the notebook's
    relative POSIX path that diagnostics and records use."""
    from ..edit import notebook_relative

    return notebook_relative(nb.root, path)


def find_note(nb: Notebook, path: str) -> Note | None:
    """The note at a path (relative to the notebook or the current directory) or with a slug."""
    rel = notebook_path(nb, path)
    notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    for note in notes:
        if note.path == rel:
            return note
    return nb.by_slug(path) if "/" not in path and not path.endswith(".md") else None


@click.command()
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def show(state: State, path: str, as_json: bool) -> None:
    """Show one note, parsed and normalized (PATH relative to the notebook, or a slug)."""
    nb = state.notebook(personal=True)
    note = find_note(nb, path)
    rel = note.path if note else notebook_path(nb, path)
    problems = [d for d in nb.diagnostics if d.path == rel]
    if note is None and not problems:
        raise NotFound(f"no note {path!r} in this notebook")
    if as_json:
        document: dict[str, Any] = note_to_json(nb, note) if note else {"path": rel, "readable": False}
        emit_json({**document, "diagnostics": [d.to_json() for d in problems],
                   "errors": [d.to_json() for d in nb.errors]})
        finish(nb, as_json=True)
    else:
        if note is not None:
            echo(render_note_text(nb, note))
        print_diagnostics(problems)
        others = [d for d in nb.errors if d.path != rel]
        print_diagnostics(others)
        finish(nb, show=False)


def open_in_editor(root: Path, rel: str, created: bool = True) -> None:
    """Open a note in ``$VISUAL``/``$EDITOR``; a failing editor is one clear line, the note kept."""
    try:
        click.edit(filename=str(root / rel))
    except click.ClickException as exc:
        done = f"{rel} was created, but the editor failed" if created else f"the editor failed on {rel}"
        raise CommandFailed(f"{done} ({exc.message}); open the note yourself, then run `convo validate`") from None


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@click.command()
@click.option("--with", "with_", multiple=True, metavar="PEOPLE", shell_complete=complete_person,
              help="Who it was with: slugs or names; repeat or separate with commas "
                   "(default with --continue THREAD: the thread's latest people).")
@click.option("--title", help="The title (default: 'Conversation with ...'); the file name comes from it.")
@click.option("--thread", metavar="SLUG", help="The ongoing conversation this belongs to.")
@click.option("--channel", type=click.Choice(CHANNELS), help="How it happened.")
@click.option("--date", "day", type=DATE, metavar="DATE", help="When it happened (default: today).")
@click.option("--create-people", is_flag=True, help="Create people who have no file yet, as short stubs.")
@click.option("--continue", "cont", is_flag=False, flag_value="", default=None, metavar="[THREAD]",
              help="Continue THREAD (a slug, or a key `convo threads` shows, like ana+ben), or alone: "
                   "the people's one open thread. Its open next move is carried into the note.")
@click.option("--no-continue", "no_cont", is_flag=True, help="Start a new thread; never ask.")
@click.option("--personal", is_flag=True,
              help="Write it in your personal overlay (`overlay:` in your config file), never in the repository.")
@click.option("--org", metavar="ORG", help="Quick capture: the org it was about (slug or name).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Quick capture: a tag (repeatable).")
@click.option("--interest", "interests", multiple=True, metavar="TEXT",
              help="Quick capture: something they care about or asked for (repeatable).")
@click.option("--private", is_flag=True, help="Quick capture: never on the site.")
@click.option("--next", "next_move", metavar="TURN[:DATE[:ABOUT]]",
              help="Quick capture: whose move it is next, e.g. them:+5d:Countersign (TURN: me, them or a person).")
@click.option("--turn", metavar="TURN", help="Quick capture: whose move it is next (me, them or a person).")
@click.option("--by", "by", type=DATE, metavar="DATE", help="Quick capture: when the next move is due.")
@click.option("--about", metavar="TEXT", help="Quick capture: what the next move is.")
@click.option("--commit", "commits", multiple=True, metavar="WHAT",
              help="Quick capture: a promise made (repeatable); the n-th --due and --to go with the n-th --commit.")
@click.option("--due", "dues", multiple=True, type=DATE, metavar="DATE", help="When the matching --commit is due.")
@click.option("--to", "tos", multiple=True, metavar="PERSON", help="Whom the matching --commit is owed to.")
@click.option("-m", "--message", metavar="TEXT", help="Quick capture: the note's body (`-` reads standard input).")
@click.option("--edit/--no-edit", "open_editor", default=None,
              help="Open the note in $VISUAL or $EDITOR (default: yes, unless the note was captured "
                   "from the options above).")
@pass_state
def new(state: State, with_: tuple[str, ...], title: str | None, thread: str | None, channel: str | None,
        day: dt.date | None, create_people: bool, cont: str | None, no_cont: bool, personal: bool,
        org: str | None, tags: tuple[str, ...], interests: tuple[str, ...], private: bool, next_move: str | None,
        turn: str | None, by: dt.date | None, about: str | None, commits: tuple[str, ...],
        dues: tuple[dt.date, ...], tos: tuple[str, ...], message: str | None, open_editor: bool | None) -> None:
    """Start a conversation note from the template, then check it.

    The file goes to notes/conversations/YYYY/DATE-TITLE.md and is never
    overwritten. Templates: templates/conversation.md in the notebook
    overrides the built-in one (templates/person.md for new people). In a
    notebook with several team members the note says who recorded it (you:
    --me, CONVO_ME or your config file). When the note continues a thread
    with an open next move, that move is written into it for you to keep,
    change or remove, and the thread's new state is printed after the editor.
    """
    from ..edit import (
        carried_next,
        create_new_note,
        find_thread,
        open_threads_with,
        plan_new_note,
        resolve_people,
        with_captured,
    )
    from ..model import OVERLAY, PERSONAL
    from ..schema import THREAD_RE

    nb = state.notebook(personal=personal)
    if personal and nb.overlay is None:
        raise UsageError("--personal: you have no personal overlay; name a folder in your config file "
                         "(`overlay: ~/convo-personal`, with a notes/ folder in it): see docs/format.md")
    if cont is not None and no_cont:
        raise UsageError("give --continue or --no-continue, not both")
    continued = find_thread(nb, cont) if cont else None
    if continued is not None:
        if thread is not None and thread != continued.key:
            raise UsageError(f"--thread {thread} and --continue {continued.key} name different threads")
        thread = continued.key
        if not with_:
            with_ = tuple(dict.fromkeys(nb.canon(s) or s for s in continued.latest.with_))
    if not with_:
        raise UsageError("who was it with? Give --with PEOPLE (or --continue THREAD)")
    slugs, missing = resolve_people(nb, list(with_), create_people)
    if missing and not create_people:
        hints = "; ".join(f"`{s}`{did_you_mean(s, nb.people)}" for s in missing)
        raise UsageError(f"no such person: {hints}. Fix the slug, or add --create-people to create "
                           f"{'it' if len(missing) == 1 else 'them'}")
    if thread is not None and not THREAD_RE.match(thread):
        raise UsageError(f"--thread `{thread}` is not a slug (lowercase letters, digits, hyphens)")
    if thread is None and not no_cont and not personal:  # a personal note never joins a team's thread
        thread = choose_thread(nb, open_threads_with(nb, slugs), cont is not None or None, state.today)
    # the thread this note joins: the one named, else the thread of its `with` set
    key = thread or "+".join(sorted({nb.canon(s) or s for s in slugs}))
    if personal and thread is not None and thread.startswith(PERSONAL):
        thread = key = thread.removeprefix(PERSONAL)
    key = PERSONAL + key if personal else key
    before = {t.key: t for t in threads_of(nb)}.get(key)
    folder = nb.overlay if personal else nb.root
    assert folder is not None
    captured = captured_fields(nb, state.today, org=org, tags=tags, interests=interests, private=private,
                               next_move=next_move, turn=turn, by=by, about=about, commits=commits, dues=dues,
                               tos=tos)
    body = sys.stdin.read() if message == "-" else message
    quick = bool(captured) or body is not None
    if open_editor is None:
        open_editor = not quick
    carried = None if "next" in captured else carried_next(nb, before, len(nb.team) > 1)
    plan = plan_new_note(nb, with_=slugs, missing=missing, day=day or state.today, title=title,
                         thread=thread, channel=channel, today=state.today, carried=carried, folder=folder)
    if quick:
        plan = with_captured(plan, captured, body)
        check_planned(plan)
    prefix = OVERLAY if personal else ""
    written = [prefix + rel for rel in create_new_note(folder, plan)]
    for rel in written:
        echo(f"created {rel}")
    if nb.reader is None and len(nb.team) > 1:
        echo(f"recorded_by: {nb.viewer} (convo.yml's `me`): if you are someone else, set CONVO_ME, --me or `me:` "
             "in your config file (docs/getting-started.md) and fix the note", err=True)
    if before is not None and before.state != "settled":
        echo(f"{key}: {thread_state_line(nb, before)} (carried into the note: keep, change or remove it)")
    edited = False
    if open_editor:
        if os.environ.get("VISUAL") or os.environ.get("EDITOR") or interactive():
            open_in_editor(folder, plan.path)
            edited = True
        else:
            echo(f"no $EDITOR set: open {plan.path} in your editor", err=True)
    fresh = state.reload()
    problems = [d for d in fresh.diagnostics if d.path in written]
    print_diagnostics(problems)
    if any(d.severity == "error" for d in problems):
        raise NotebookHasErrors(sum(d.severity == "error" for d in problems))
    if edited or quick:
        mine = next((c for c in fresh.conversations if c.path == prefix + plan.path), None)
        if mine is not None:
            now = {t.key: t for t in threads_of(fresh)}.get(fresh.thread_key(mine))
            if now is not None:
                echo(f"{now.key}: {thread_state_line(fresh, now, before)}")


def captured_fields(nb: Notebook, today: dt.date, *, org: str | None, tags: tuple[str, ...],
                    interests: tuple[str, ...], private: bool, next_move: str | None, turn: str | None,
                    by: dt.date | None, about: str | None, commits: tuple[str, ...], dues: tuple[dt.date, ...],
                    tos: tuple[str, ...]) -> dict[str, Any]:
    """The front-matter fields ``convo new``'s quick-capture options give (names resolved, dates parsed)."""
    from ..humandates import BadDate, parse_human_date
    from ..names import resolve, resolve_optional

    fields: dict[str, Any] = {}
    if org:
        fields["org"] = resolve_optional(nb, org, ("org",), "--org", "org")
    if tags:
        fields["tags"] = list(tags)
    if interests:
        fields["interests"] = list(interests)
    if private:
        fields["private"] = True
    if next_move is not None and (turn or by or about):
        raise UsageError("give --next TURN:DATE:ABOUT or --turn/--by/--about, not both")
    if next_move is not None:
        parts = next_move.split(":", 2)
        turn = parts[0]
        when = parts[1] if len(parts) > 1 and parts[1] else None
        about = parts[2] if len(parts) > 2 and parts[2] else None
        try:
            by = parse_human_date(when, today) if when else None
        except BadDate as exc:
            raise UsageError(f"--next: {exc}") from None
    if turn or by or about:
        if not turn:
            raise UsageError("--by and --about need --turn (me, them or a person)")
        who = turn if turn in ("me", "them") else resolve(nb, turn, ("person",), "person")
        fields["next"] = {"turn": who, "by": by, "about": about}
    if len(dues) > len(commits) or len(tos) > len(commits):
        raise UsageError("each --due and --to goes with a --commit (the n-th with the n-th)")
    if commits:
        fields["commitments"] = [
            {"what": what, "due": dues[i] if i < len(dues) else None,
             "to": (tos[i] if tos[i] in ("me",) else resolve(nb, tos[i], ("person",), "person"))
             if i < len(tos) else None}
            for i, what in enumerate(commits)]
    return fields


def check_planned(plan: Any) -> None:
    """Refuse (exit 2) a captured note the loader would not accept, before anything is written."""
    from ..loader import build_record
    from ..parse import read_note

    record, problems = build_record(plan.path, read_note(plan.text.encode("utf-8"), plan.path))
    errors = [d for d in problems if d.severity == "error"]
    if errors or record is None:
        raise UsageError("; ".join(f"{d.line}:{d.column}: {d.message}" for d in errors) or "the note cannot be read")


def threads_of(nb: Notebook) -> list[Thread]:
    """Every thread of the notebook (see :func:`.agenda.threads`)."""
    from ..agenda import threads

    return threads(nb)


def thread_state_line(nb: Notebook, t: Thread, before: Thread | None = None) -> str:
    """A thread's state in words: ``still waiting on Dana Reyes, by 2026-11-25``, ``your turn``,
    ``settled`` (naming the move that was open, when this settled it)."""
    from ..render.json import names, turn_label

    if t.turn is None:
        if before is not None and before.turn is not None and before.key == t.key:
            was = f": {before.about}" if before.about else ""
            return f"settled (the open move was {turn_label(nb, before.turn)}{was})"
        return "settled"
    by = f", by {t.by.isoformat()}" if t.by else ""
    about = f": {t.about}" if t.about else ""
    if t.state == "theirs":
        still = "still " if before is not None and before.turn == t.turn else ""
        return f"{still}waiting on {names(nb, t.turn)}{by}{about}"
    return f"{turn_label(nb, t.turn)}{by}{about}"


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
        raise UsageError(f"several open threads with these people ({', '.join(keys)}): "
                         "choose one with --continue THREAD")
    echo(f"open thread{'s' * (len(keys) != 1)} with these people: {', '.join(keys)} "
         "(pass --continue or --thread to continue one)", err=True)
    return None


@click.command()
@click.argument("ref_", metavar="ID|PATH:LINE", shell_complete=complete_item)
@click.option("--date", "day", type=DATE, metavar="DATE", help="The date it was done (default: today).")
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@pass_state
def done(state: State, ref_: str, day: dt.date | None, dry_run: bool) -> None:
    """Mark one commitment done, changing nothing else in its file.

    Name it by its `id` or by PATH:LINE as `convo due` shows it. Inserts
    `done: DATE` into that commitment only; every other byte of the file
    stays as it was. A recurring commitment (`every:`) is not closed: its
    `last_done` is set and its `due` moves to the next occurrence. Refused
    (exit 1) if the note has errors, the commitment is already done or
    closed, or the file changes while it is edited.
    """
    from ..edit import find_commitment, mark_done, plan_done, plan_recurring_done
    from .plan import report

    nb = state.notebook(personal=True)  # a note with any error, across notes too, is not edited
    conv, commitment = find_commitment(nb, ref_)
    when = day or state.today
    if commitment.every is not None and commitment.done is None:
        change, stat = plan_recurring_done(nb, conv, commitment, when)
        report(change, stat, nb, dry_run)
        return
    if dry_run:
        change, stat = plan_done(nb, conv, commitment, when)
        report(change, stat, nb, True)
        return
    result = mark_done(nb, conv, commitment, when)
    echo(f"{result.path}:{result.line}: done {result.day.isoformat()}: {result.what}")
