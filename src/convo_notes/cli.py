"""The ``convo`` command line: a thin shell over the library.

Each command loads the notebook, asks one query and hands the result to a
renderer. Exceptions map to exit codes in one place (:func:`main`):
``0`` success, ``1`` the notebook has errors (or a command found what it was
asked to fail on), ``2`` usage error or no notebook.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .dates import in_range, range_text
from .diagnostics import CURRENT_FILE, Diagnostic
from .loader import NotebookNotFound, find_root, load_notebook
from .model import Notebook
from .schema import parse_date
from .termsafe import escape_controls


class CommandFailed(Exception):
    """A command found what it was asked to fail on, or could not do its job (exit 1)."""


class UsageProblem(Exception):
    """The command was called wrongly (exit 2)."""


EXIT_CODES: dict[type[BaseException], int] = {
    CommandFailed: 1,
    UsageProblem: 2,
    NotebookNotFound: 2,
}


def use_color() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set."""
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def style(text: str, **kwargs: Any) -> str:
    return click.style(text, **kwargs) if use_color() else text


def echo(text: str = "", err: bool = False) -> None:
    """The one way text reaches the terminal: control characters from notes are shown escaped."""
    click.echo(escape_controls(text, keep_styles=True), err=err, color=use_color() if not err else None)


def emit_json(document: Any) -> None:
    """One JSON document on stdout; dates as ISO strings."""

    def default(value: Any) -> Any:
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        return str(value)

    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=default))


@dataclass
class State:
    """What the group options decided; the notebook is loaded on first use."""

    notebook_dir: str | None
    today: dt.date
    _notebook: Notebook | None = field(default=None, repr=False)
    _checked: bool = field(default=False, repr=False)

    @property
    def root(self) -> Path:
        return find_root(explicit=self.notebook_dir)

    def notebook(self, check: bool = False) -> Notebook:
        """The notebook; ``check=True`` also runs the checks across notes (validate, show)."""
        if self._notebook is None or (check and not self._checked):
            with TerminalProgress("Reading notes") as progress:
                self._notebook = load_notebook(self.root, check=check, progress=progress)
            self._checked = check
        return self._notebook


class TerminalProgress:
    """A progress bar on stderr for long reads, shown only on a terminal and for large batches."""

    MIN_TOTAL = 2_000

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0

    def __enter__(self) -> TerminalProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if total < self.MIN_TOTAL or not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


class DateType(click.ParamType):
    """A ``YYYY-MM-DD`` date, as a click parameter type."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        day = parse_date(str(value))
        if day is None:
            self.fail(f"{value!r} is not a date in YYYY-MM-DD form", param, ctx)
        if not in_range(day):
            self.fail(f"{value!r} is outside the supported dates ({range_text()})", param, ctx)
        return day


DATE = DateType()


def complete_person(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of person (and org) slugs from the notebook."""
    from click.shell_completion import CompletionItem

    try:
        root = find_root(explicit=ctx.find_root().params.get("notebook") or os.environ.get("CONVO_NOTEBOOK"))
        people = root / "notes" / "people"
        orgs = root / "notes" / "orgs"
        names = sorted(p.stem for folder in (people, orgs) if folder.is_dir() for p in folder.glob("*.md"))
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


class LazyGroup(click.Group):
    """A group whose commands live in other modules, imported only when that command runs.

    ``convo due`` then pays for importing the agenda commands alone, not the
    site, calendar or contacts code (click's documented lazy-loading pattern).
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = LAZY_COMMANDS.get(cmd_name)
            if module:
                _import_command_module(module)
            else:
                _load_commands()
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_commands()
        return sorted(self.commands)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "--notebook", metavar="DIR", envvar="CONVO_NOTEBOOK",
              help="The notebook directory (default: found from the current directory upward).")
@click.option("--today", type=DATE, envvar="CONVO_TODAY", metavar="YYYY-MM-DD",
              help="Fix 'today' for every command (env CONVO_TODAY).")
@click.version_option(__version__, prog_name="convo")
@click.pass_context
def cli(ctx: click.Context, notebook: str | None, today: dt.date | None) -> None:
    """convo: keep track of conversations, promises and whose turn it is.

    Notes are Markdown files with YAML front matter under notes/. Every
    command reads them through the same strict loader.
    """
    ctx.obj = State(notebook, today or dt.date.today())


pass_state = click.make_pass_decorator(State)


def print_diagnostics(diagnostics: list[Diagnostic], err: bool = True) -> None:
    for d in diagnostics:
        color = "red" if d.severity == "error" else "yellow"
        text = d.format()
        head, sep, rest = text.partition(f" {d.severity}[")
        echo(head + " " + style(f"{d.severity}[{d.code}]", fg=color, bold=True) + rest[len(d.code) + 1:]
             if sep else text, err=err)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@pass_state
def validate(state: State, fmt: str, as_json: bool, strict: bool) -> None:
    """Check every note and report every problem, like a compiler.

    Each problem reads PATH:LINE:COL: error[CODE]: message. Exit 1 when
    there are errors (with --strict, warnings too).
    """
    nb = state.notebook(check=True)
    problems = nb.diagnostics
    if fmt == "json" or as_json:
        emit_json({"errors": [d.to_json() for d in problems]})
    else:
        print_diagnostics(problems, err=False)
        errors = sum(1 for d in problems if d.severity == "error")
        warnings = len(problems) - errors
        notes = len(nb.files)
        summary = f"{notes} note{'s' * (notes != 1)} checked: {errors} error{'s' * (errors != 1)}, " \
                  f"{warnings} warning{'s' * (warnings != 1)}"
        echo(style(summary, fg="red" if errors else ("yellow" if warnings else "green")))
    failed = any(d.severity == "error" or strict for d in problems)
    if failed:
        raise SystemExit(1)


@cli.command()
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def show(state: State, path: str, as_json: bool) -> None:
    """Show one note, parsed and normalized (PATH relative to the notebook, or a slug)."""
    from .render import note_to_json, render_note_text

    nb = state.notebook(check=True)
    note = resolve_note(nb, path)
    problems = [d for d in nb.diagnostics if d.path == (note.path if note else _rel(nb, path))]
    if note is None:
        if problems:
            print_diagnostics(problems)
            raise SystemExit(1)
        raise UsageProblem(f"no note {path!r} in this notebook")
    if as_json:
        emit_json({**note_to_json(nb, note), "diagnostics": [d.to_json() for d in problems]})
    else:
        echo(render_note_text(nb, note))
        print_diagnostics(problems)
    if any(d.severity == "error" for d in problems):
        raise SystemExit(1)


def _rel(nb: Notebook, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        try:
            return candidate.resolve().relative_to(nb.root.resolve()).as_posix()
        except ValueError:
            return path
    return path.replace(os.sep, "/")


def resolve_note(nb: Notebook, path: str) -> Any:
    """The note at a path (relative to the notebook or the current directory) or with a slug."""
    rel = _rel(nb, path)
    for note in (*nb.people.values(), *nb.orgs.values(), *nb.conversations):
        if note.path == rel:
            return note
    return nb.by_slug(path) if "/" not in path and not path.endswith(".md") else None


def fail(message: str, code: int = 2) -> NoReturn:
    raise (UsageProblem if code == 2 else CommandFailed)(message)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map every failure to an exit code and one line."""
    try:
        cli.main(args=argv, prog_name="convo", standalone_mode=False)
    except click.exceptions.Abort:
        echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except tuple(EXIT_CODES) as exc:
        echo(f"convo: {exc}", err=True)
        sys.exit(EXIT_CODES[type(exc)])
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        where = CURRENT_FILE.get("path") or "(no file)"
        echo(f"convo: internal error while reading {where}: {type(exc).__name__}: {exc}. "
             "This is a bug: please report it with this line.", err=True)
        sys.exit(1)
    sys.exit(0)


def _import_command_module(name: str) -> None:
    import importlib

    importlib.import_module(f"convo_notes.{name}")


def _load_commands() -> None:
    """Import every module that adds commands to the group (each owns its commands)."""
    for name in {*COMMAND_MODULES, *LAZY_COMMANDS.values()}:
        _import_command_module(name)


# Which module defines each command; importing the module registers it on `cli`.
LAZY_COMMANDS: dict[str, str] = {
    "due": "cli_agenda", "threads": "cli_agenda", "brief": "cli_agenda", "new": "cli_agenda",
    "done": "cli_agenda", "watch": "cli_agenda", "referrals": "cli_referrals",
    "init": "cli_tools", "schema": "cli_tools", "ics": "cli_tools", "import": "cli_tools", "export": "cli_tools",
}


# Modules that add their commands to the group when imported.
COMMAND_MODULES: list[str] = ["cli_referrals", "cli_tools", "cli_agenda", "cli_site"]
