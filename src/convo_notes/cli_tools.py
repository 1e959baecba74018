"""Commands that meet users in the tools they already use.

``convo init``, ``convo schema``, ``convo ics``, ``convo import vcard``,
``convo export vcard`` and ``convo export --format json|csv|sqlite``. Each one
loads the notebook, asks a library module (:mod:`~convo_notes.notebook_init`,
:mod:`~convo_notes.schema`, :mod:`~convo_notes.ics`, :mod:`~convo_notes.vcard`,
:mod:`~convo_notes.export`) and writes what it returns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import CommandFailed, State, UsageProblem, cli, complete_person, echo, emit_json, pass_state, style
from .fsutil import atomic_write
from .model import Notebook
from .termsafe import escape_controls

KIND_NAMES = ("conversation", "person", "org")


def _write_or_print(text: str, output: Path | None, what: str) -> None:
    """``text`` to ``output`` (atomically) with a one-line confirmation, or to stdout as it is."""
    if output is None:  # (byte-exact when piped; on a terminal, control characters shown escaped)
        click.echo(escape_controls(text) if sys.stdout.isatty() else text, nl=False)
        return
    try:
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise CommandFailed(f"cannot write {output}: {exc.strerror or exc}") from exc
    echo(f"wrote {what} to {output}")


def _warn_if_errors(nb: Notebook) -> None:
    errors = len(nb.errors)
    if errors:
        echo(f"convo: warning: the notebook has {errors} error{'s' * (errors != 1)} "
             "(see `convo validate`); using what could be read", err=True)


# --- init ------------------------------------------------------------------------------


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Your name, for your own person note (default: git config user.name).")
@click.option("--email", help="Your email (default: git config user.email).")
@click.option("--force", is_flag=True, help="Work in a non-empty directory; files already there are kept.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_state
def init_command(state: State, directory: Path, name: str | None, email: str | None, force: bool,
                 as_json: bool) -> None:
    """Start a new notebook in DIRECTORY: a git repository ready to validate and build.

    Writes convo.yml, mkdocs.yml, .gitignore, .pre-commit-config.yaml, your own
    person note (team: true), notes/orgs/ and an example conversation to delete
    later; runs git init and makes a first commit when git knows your name.
    """
    from .notebook_init import NotEmpty, init_notebook

    try:
        result = init_notebook(directory, state.today, name=name, email=email, force=force)
    except NotEmpty as exc:
        raise UsageProblem(str(exc)) from exc
    except OSError as exc:
        raise CommandFailed(f"cannot create the notebook in {directory}: {exc.strerror or exc}") from exc
    if as_json:
        emit_json({"root": str(result.root), "me": result.me, "written": result.written, "kept": result.kept,
                   "git_init": result.git_init, "committed": result.committed,
                   "message": result.git_message or None})
        return
    echo(style(f"New notebook in {result.root} (me: {result.me})", bold=True))
    for rel in result.written:
        echo(f"  created {rel}")
    for rel in result.kept:
        echo(f"  kept    {rel} (already there)")
    if result.committed:
        echo("git: repository initialized, first commit made")
    elif result.git_init:
        echo(f"git: repository initialized; {result.git_message}")
    else:
        echo(f"git: {result.git_message}")
    echo(f"Next: cd {result.root} && convo validate && convo due && convo site build")


# --- schema -------------------------------------------------------------------------------


@cli.command("schema")
@click.argument("kind", required=False, type=click.Choice(KIND_NAMES))
def schema_command(kind: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of a note kind's front matter, for editors.

    Without KIND: one document {"conversation": ..., "person": ..., "org": ...}.
    """
    from .schema import json_schema

    if kind:
        emit_json(json_schema(kind))
    else:
        emit_json({name: json_schema(name) for name in KIND_NAMES})


# --- ics ----------------------------------------------------------------------------------


@cli.command("ics")
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
    from .ics import build_calendar

    nb = state.notebook(check=True)
    _warn_if_errors(nb)
    text = build_calendar(nb, state.today, include_private=include_private, include_done=include_done,
                          events=events)
    count = text.count("\r\nEND:VTODO") + text.count("\r\nEND:VEVENT")
    _write_or_print(text, output, f"{count} item{'s' * (count != 1)}")


# --- import -------------------------------------------------------------------------------


@cli.group("import")
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
    from .vcard import CannotEdit, apply_plan, parse_vcards, plan_import, render_actions

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CommandFailed(f"cannot read {file}: {exc.strerror or exc}") from exc
    cards = parse_vcards(data)
    if not cards:
        raise CommandFailed(f"{file}: no vCard found (no BEGIN:VCARD ... END:VCARD)")
    nb = state.notebook()
    actions = plan_import(nb, cards, overwrite=overwrite, source=str(file))
    try:
        if dry_run:
            render_actions(nb.root, actions)  # the same checks as a real run, nothing written
        else:
            apply_plan(nb.root, actions)
    except CannotEdit as exc:
        raise CommandFailed(f"nothing imported: {exc}") from exc
    except OSError as exc:
        raise CommandFailed(f"cannot write: {exc.strerror or exc} ({getattr(exc, 'filename', '')})") from exc
    counts = {verb: sum(1 for a in actions if a.verb == verb) for verb in ("create", "update", "unchanged", "skip")}
    if as_json:
        emit_json({"dry_run": dry_run, "actions": [a.to_json() for a in actions],
                   "created": counts["create"], "updated": counts["update"], "unchanged": counts["unchanged"],
                   "skipped": counts["skip"]})
        return
    for action in actions:
        detail = f"{action.name}: " if action.name else ""
        detail += "; ".join(action.changes) if action.changes and action.verb != "unchanged" else ""
        echo(f"{action.verb:<9} {action.path}" + (f"  ({detail.rstrip(': ')})" if detail else ""))
    summary = (f"{counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged, "
               f"{counts['skip']} skipped")
    echo(summary + (" (dry run: nothing written)" if dry_run else ""))


# --- export -------------------------------------------------------------------------------


@cli.group("export", invoke_without_command=True)
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
            raise UsageProblem(f"put options after the subcommand: convo export {ctx.invoked_subcommand} [OPTIONS]")
        return
    from . import export

    state: State = ctx.ensure_object(State)
    fmt = fmt or "json"
    if table and fmt != "csv":
        raise UsageProblem("--table goes with --format csv (json and sqlite hold every table)")
    if fmt == "sqlite" and output is None:
        raise UsageProblem("--format sqlite needs -o FILE (for example -o notebook.db)")
    nb = state.notebook(check=True)
    _warn_if_errors(nb)
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
        except (OSError, sqlite3.Error) as exc:
            raise CommandFailed(f"cannot write {output}: {exc}") from exc
        echo(f"wrote {output} (tables: {', '.join(export.TABLES)})")


@export_group.command("vcard", short_help="People as vCard 4.0, for contacts apps.")
@click.argument("slugs", nargs=-1, shell_complete=complete_person)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (default: standard output).")
@click.option("--include-private", is_flag=True, help="Include private people.")
@pass_state
def export_vcard(state: State, slugs: tuple[str, ...], output: Path | None, include_private: bool) -> None:
    """Write people as vCard 4.0 (everyone, or the SLUGS given), for contacts apps."""
    from .vcard import export_vcards

    nb = state.notebook()
    unknown = [s for s in slugs if (nb.canon(s) or s) not in nb.people]
    if unknown:
        raise UsageProblem(f"no person {', '.join(repr(s) for s in unknown)} in notes/people/")
    text = export_vcards(nb, list(slugs) or None, include_private=include_private)
    count = text.count("BEGIN:VCARD")
    _write_or_print(text, output, f"{count} card{'s' * (count != 1)}")
