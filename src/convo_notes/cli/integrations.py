"""Commands that meet users in the tools they already use.

``convo ics``, ``convo import vcard``, ``convo export vcard`` and
``convo export --format json|csv|sqlite``. Each one loads the notebook, asks a
library module (:mod:`~convo_notes.ics`, :mod:`~convo_notes.vcard`,
:mod:`~convo_notes.export`) and writes what it returns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import CommandFailed, UsageError
from ..fsutil import atomic_write
from ..render.terminal import echo, emit_json
from ..render.text import render_import_actions
from ..termsafe import escape_controls
from .common import State, complete_person, finish, pass_state


def _write_or_print(text: str, output: Path | None, what: str) -> None:
    """``text`` to ``output`` (atomically) with a one-line confirmation, or to stdout as it is."""
    if output is None:  # (byte-exact when piped; on a terminal, control characters shown escaped)
        click.echo(escape_controls(text) if sys.stdout.isatty() else text, nl=False)
        return
    atomic_write(output, text.encode("utf-8"))  # an OSError is one line naming the file (cli.main)
    echo(f"wrote {what} to {output}")


# --- init ------------------------------------------------------------------------------


# --- schema -------------------------------------------------------------------------------


# --- ics ----------------------------------------------------------------------------------


@click.command("ics")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the feed to FILE (default: standard output).")
@click.option("--include-private", is_flag=True, help="Include private notes and people.")
@click.option("--include-done", is_flag=True, help="Include done commitments (STATUS:COMPLETED).")
@click.option("--events", is_flag=True,
              help="Dated items as all-day events, for calendar apps that ignore tasks (VTODO).")
@pass_state
def ics_command(state: State, output: Path | None, include_private: bool, include_done: bool,
                events: bool) -> None:
    """An iCalendar feed of commitments, my-turn threads and keep-in-touch dates.

    UIDs stay the same from run to run, and DTSTAMP is --today, so a calendar
    that subscribes updates items instead of duplicating them.
    """
    from ..ics import build_calendar

    nb = state.notebook()
    text = build_calendar(nb, state.today, include_private=include_private, include_done=include_done,
                          events=events)
    count = text.count("\r\nEND:VTODO") + text.count("\r\nEND:VEVENT")
    _write_or_print(text, output, f"{count} item{'s' * (count != 1)}")
    finish(nb)


# --- import -------------------------------------------------------------------------------


@click.group("import")
def import_group() -> None:
    """Bring data from other tools into the notebook."""


@import_group.command("vcard")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--overwrite", is_flag=True, help="Replace fields that differ (default: only add missing ones).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_state
def import_vcard(state: State, file: Path, dry_run: bool, overwrite: bool, as_json: bool) -> None:
    """Create or update people from a vCard file (vCard 2.1, 3.0 or 4.0).

    People are matched by email, then by name (ignoring case and accents).
    Existing fields are kept unless --overwrite; missing ones are added.
    """
    from ..vcard import apply_plan, parse_vcards, plan_import, render_actions

    data = file.read_bytes()
    cards = parse_vcards(data)
    if not cards:
        raise CommandFailed(f"{file}: no vCard found (no BEGIN:VCARD ... END:VCARD)")
    nb = state.notebook()
    actions = plan_import(nb, cards, overwrite=overwrite, source=str(file))
    if dry_run:
        render_actions(nb.root, actions)  # the same checks as a real run, nothing written
    else:
        apply_plan(nb.root, actions)
    if as_json:
        counts = {verb: sum(1 for a in actions if a.verb == verb) for verb in ("create", "update", "unchanged", "skip")}
        emit_json({"dry_run": dry_run, "actions": [a.to_json() for a in actions],
                   "created": counts["create"], "updated": counts["update"], "unchanged": counts["unchanged"],
                   "skipped": counts["skip"]})
    else:
        echo(render_import_actions(actions, dry_run))


def _attach_capture() -> None:
    """``import mail``, ``import chat`` and ``import ics`` live in :mod:`.capture`."""
    from .capture import import_chat, import_ics, import_mail

    commands: tuple[click.Command, ...] = (import_mail, import_chat, import_ics)
    for command in commands:
        import_group.add_command(command)


_attach_capture()


# --- export -------------------------------------------------------------------------------


@click.group("export", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "sqlite"]),
              help="json (default): every table in one document; csv: one --table; sqlite: a database (-o).")
@click.option("--table", type=click.Choice(["conversations", "commitments", "referrals", "people", "orgs",
                                            "participants"]),
              help="The table for --format csv (default: conversations).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (default: standard output; required for sqlite).")
@click.option("--include-private", is_flag=True, help="Include private notes and people.")
@click.pass_context
def export_group(ctx: click.Context, fmt: str | None, table: str | None, output: Path | None,
                 include_private: bool) -> None:
    """Export the notebook for scripts (JSON, CSV, SQLite) or contacts apps (`export vcard`)."""
    if ctx.invoked_subcommand is not None:
        if fmt or table or output or include_private:
            raise UsageError(f"put options after the subcommand: convo export {ctx.invoked_subcommand} [OPTIONS]")
        return
    from .. import export

    state: State = ctx.ensure_object(State)
    fmt = fmt or "json"
    if table and fmt != "csv":
        raise UsageError("--table goes with --format csv (json and sqlite hold every table)")
    if fmt == "sqlite" and output is None:
        raise UsageError("--format sqlite needs -o FILE (for example -o notebook.db)")
    nb = state.notebook()
    if fmt == "json":
        _write_or_print(export.to_json(nb, state.today, include_private), output, "JSON")
    elif fmt == "csv":
        _write_or_print(export.to_csv(nb, state.today, table or "conversations", include_private), output,
                        f"the {table or 'conversations'} table")
    else:
        assert output is not None
        import sqlite3

        try:
            export.write_sqlite(nb, state.today, output, include_private)
        except sqlite3.Error as exc:
            raise CommandFailed(f"cannot write {output}: {exc}") from exc
        echo(f"wrote {output} (tables: {', '.join(export.TABLES)})")
    finish(nb)


@export_group.command("vcard", short_help="People as vCard 4.0, for contacts apps.")
@click.argument("slugs", nargs=-1, shell_complete=complete_person)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (default: standard output).")
@click.option("--include-private", is_flag=True, help="Include private people.")
@pass_state
def export_vcard(state: State, slugs: tuple[str, ...], output: Path | None, include_private: bool) -> None:
    """Write people as vCard 4.0 (everyone, or the SLUGS given), for contacts apps."""
    from ..names import resolve
    from ..vcard import export_vcards

    nb = state.notebook()
    chosen = [resolve(nb, s, ("person",), "person") for s in slugs]  # the one name resolver
    text = export_vcards(nb, chosen or None, include_private=include_private)
    count = text.count("BEGIN:VCARD")
    _write_or_print(text, output, f"{count} card{'s' * (count != 1)}")
    finish(nb)
