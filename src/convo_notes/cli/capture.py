"""Capturing conversations where they happen: ``convo import mail|chat|ics`` and ``convo prep``.

Each command loads the notebook, hands the files to the library
(:mod:`convo_notes.capture`) and prints the report it returns
(:func:`convo_notes.render.text.render_capture_report`). The import commands
are attached to the ``import`` group of :mod:`.integrations`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ..render.terminal import echo, emit_json, print_diagnostics
from .common import State, TerminalProgress, pass_state

_SHARED_HELP = {
    "dry_run": "Show what would be written; write nothing.",
    "public": "Publish the imported notes (default: private, never on the site).",
    "create_people": "Create a person note for every unknown correspondent.",
    "json": "Print the report as JSON.",
}


def _show(report: Any, as_json: bool) -> None:
    from ..render.text import render_capture_report

    print_diagnostics([p.diagnostic() for p in report.problems])
    if as_json:
        emit_json(report.to_json())
    else:
        echo(render_capture_report(report))


def _follow_up(state: State, given: int | None) -> int:
    from ..capture.notes import capture_settings

    return given if given is not None else capture_settings(state.notebook())[0]


@click.command("mail")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--me-address", "me_addresses", multiple=True, metavar="ADDRESS",
              help="An address of ours (repeatable); team members' addresses count already.")
@click.option("--create-people", is_flag=True, help=_SHARED_HELP["create_people"])
@click.option("--public", is_flag=True, help=_SHARED_HELP["public"])
@click.option("--attachments", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Copy attachments into DIR (default: only name them in the note).")
@click.option("--follow-up", "follow_up", type=click.IntRange(0, 3650), metavar="DAYS",
              help="Days to wait for their reply after our last message (default: convo.yml "
                   "capture.follow_up_days, else 5).")
@click.option("--dry-run", is_flag=True, help=_SHARED_HELP["dry_run"])
@click.option("--json", "as_json", is_flag=True, help=_SHARED_HELP["json"])
@pass_state
def import_mail(state: State, sources: tuple[Path, ...], me_addresses: tuple[str, ...], create_people: bool,
                public: bool, attachments: Path | None, follow_up: int | None, dry_run: bool,
                as_json: bool) -> None:
    """Import mail from mbox files, Maildir folders or .eml files, one thread per mail thread.

    Messages are threaded by Message-ID, In-Reply-To and References; each
    thread's exchange day becomes one note under notes/mail/. A re-import adds
    only new messages. Whose turn it is comes from the last message.
    """
    from ..capture.inbox import MailOptions
    from ..capture.inbox import import_mail as run

    nb = state.notebook()
    options = MailOptions(me_addresses=tuple(a.lower() for a in me_addresses), create_people=create_people,
                          public=public, dry_run=dry_run, attachments=attachments,
                          follow_up_days=_follow_up(state, follow_up))
    progress = TerminalProgress("Reading mail", min_total=500)
    try:
        report = run(nb, list(sources), options, progress)
    finally:
        progress.close()
    _show(report, as_json)


@click.command("chat")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--me", "me_names", multiple=True, metavar="NAME",
              help="The name we appear under in the export (repeatable); team members count already.")
@click.option("--gap", type=click.FloatRange(0.1, 24 * 365), metavar="HOURS",
              help="Hours of silence that start a new conversation (default: convo.yml "
                   "capture.chat_gap_hours, else 8).")
@click.option("--date-order", type=click.Choice(["auto", "dmy", "mdy"]), default="auto", show_default=True,
              help="Day and month order of a WhatsApp export's dates.")
@click.option("--create-people", is_flag=True, help=_SHARED_HELP["create_people"])
@click.option("--public", is_flag=True, help=_SHARED_HELP["public"])
@click.option("--follow-up", "follow_up", type=click.IntRange(0, 3650), metavar="DAYS",
              help="Days to wait for their reply after our last message (default 5).")
@click.option("--dry-run", is_flag=True, help=_SHARED_HELP["dry_run"])
@click.option("--json", "as_json", is_flag=True, help=_SHARED_HELP["json"])
@pass_state
def import_chat(state: State, file: Path, me_names: tuple[str, ...], gap: float | None, date_order: str,
                create_people: bool, public: bool, follow_up: int | None, dry_run: bool, as_json: bool) -> None:
    """Import a WhatsApp "Export chat" text file or a Telegram Desktop JSON export (result.json).

    A chat is split into conversations by gaps of silence; one chat is one
    thread. People are matched by name, alias or phone number.
    """
    from ..capture.chat import ChatOptions
    from ..capture.chat import import_chat as run
    from ..capture.notes import capture_settings

    nb = state.notebook()
    follow_days, gap_hours = capture_settings(nb)
    options = ChatOptions(me_names=me_names, gap_hours=gap or gap_hours, date_order=date_order,
                          create_people=create_people, public=public, dry_run=dry_run,
                          follow_up_days=follow_up if follow_up is not None else follow_days)
    _show(run(nb, file, options), as_json)


@click.command("ics")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--create-people", is_flag=True, help=_SHARED_HELP["create_people"])
@click.option("--public", is_flag=True, help=_SHARED_HELP["public"])
@click.option("--me-address", "me_addresses", multiple=True, metavar="ADDRESS",
              help="An address of ours (repeatable); team members' addresses count already.")
@click.option("--dry-run", is_flag=True, help=_SHARED_HELP["dry_run"])
@click.option("--json", "as_json", is_flag=True, help=_SHARED_HELP["json"])
@pass_state
def import_ics(state: State, file: Path, create_people: bool, public: bool, me_addresses: tuple[str, ...],
               dry_run: bool, as_json: bool) -> None:
    """Turn past calendar events with attendees into conversation stubs (channel meeting or video).

    Recurring events count once per occurrence up to --today; an event
    already imported (same UID and recurrence id) is skipped.
    """
    from ..capture.calendar import CalendarOptions, import_calendar

    nb = state.notebook()
    options = CalendarOptions(create_people=create_people, public=public, dry_run=dry_run,
                              me_addresses=tuple(a.lower() for a in me_addresses))
    _show(import_calendar(nb, file, state.today, options), as_json)


@click.command("prep")
@click.option("--days", type=click.IntRange(0, 366), default=1, show_default=True,
              help="Events from today through this many days ahead (1: today and tomorrow).")
@click.option("--calendar", "calendar", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The calendar file (.ics) (default: convo.yml capture.calendar).")
@click.option("--me-address", "me_addresses", multiple=True, metavar="ADDRESS",
              help="An address of ours (repeatable); team members' addresses count already.")
@click.option("--json", "as_json", is_flag=True, help=_SHARED_HELP["json"])
@pass_state
def prep(state: State, days: int, calendar: Path | None, me_addresses: tuple[str, ...], as_json: bool) -> None:
    """The brief of every external attendee of the coming events, to read before the call."""
    from ..capture.calendar import plan_prep
    from ..errors import UsageError
    from ..render.json import brief_json
    from ..render.text import render_prep

    nb = state.notebook()
    if calendar is None:
        section = nb.config.raw.get("capture")
        configured = section.get("calendar") if isinstance(section, dict) else None
        if not configured:
            raise UsageError("give the calendar file: convo prep --calendar FILE.ics "
                             "(or set capture.calendar in convo.yml)")
        calendar = nb.root / str(configured)
        if not calendar.is_file():
            raise UsageError(f"capture.calendar in convo.yml: no file {calendar}")
    start = dt.datetime.combine(state.today, dt.time())
    meetings = plan_prep(nb, calendar, start, start + dt.timedelta(days=days + 1), me_addresses)
    if as_json:
        emit_json({"from": state.today.isoformat(), "days": days, "events": [
            {"title": m.title, "start": m.start.isoformat(), "url": m.url,
             "attendees": [{"slug": slug, "brief": brief_json(nb, b, state.today) if b else None, "who": who}
                           for who, slug, b in m.attendees]}
            for m in meetings]})
    else:
        echo(render_prep(nb, meetings, state.today, days))
