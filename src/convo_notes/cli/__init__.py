"""The ``convo`` command line: a thin shell over the library.

Each command is a few lines in one of the modules of this package: load the
notebook, ask a query, hand the result to a renderer (:mod:`convo_notes.render`).

==================  ================================================================
module              commands
==================  ================================================================
``notebook``        ``validate``, ``init``, ``schema``
``daily``           ``due``, ``threads``, ``brief``, ``watch``
``notes``           ``show``, ``new``, ``done``
``fix``             ``fix recorded-by``
``plan``            ``snooze``, ``reschedule``, ``reopen``
``referrals``       ``referrals``
``find``            ``search``, ``people``, ``orgs``
``contacts``        ``person new``, ``org new``, ``edit``
``site``            ``site build``, ``site serve``
``integrations``    ``ics``, ``import``, ``export``
``tidy``            ``rename``, ``merge``
``editor``          ``lsp``
``capture``         ``import mail``, ``import chat``, ``import ics``, ``prep``
==================  ================================================================

:data:`COMMANDS` is the one table of which module holds each command; a
command's module is imported only when that command runs, so ``convo due``
pays for the agenda alone. Exceptions map to exit codes in one place,
:func:`main`, through :mod:`convo_notes.errors`.
"""

from __future__ import annotations

import atexit
import datetime as dt
import importlib
import os
import sys
from typing import NoReturn

import click

from .. import __version__, notefiles
from ..errors import ConvoError, exit_code_of
from .common import DATE, State

# Every command: its name and where it lives ("module:attribute" in this package).
COMMANDS: dict[str, str] = {
    "validate": "notebook:validate",
    "show": "notes:show",
    "init": "notebook:init_command",
    "schema": "notebook:schema_command",
    "due": "daily:due",
    "threads": "daily:threads_command",
    "brief": "daily:brief",
    "watch": "daily:watch",
    "new": "notes:new",
    "done": "notes:done",
    "fix": "fix:fix",
    "snooze": "plan:snooze",
    "reschedule": "plan:reschedule",
    "reopen": "plan:reopen",
    "referrals": "referrals:referrals",
    "search": "find:search",
    "people": "find:people",
    "orgs": "find:orgs",
    "person": "contacts:person_group",
    "org": "contacts:org_group",
    "edit": "contacts:edit_command",
    "site": "site:site",
    "ics": "integrations:ics_command",
    "import": "integrations:import_group",
    "export": "integrations:export_group",
    "rename": "tidy:rename",
    "merge": "tidy:merge",
    "lsp": "editor:lsp",
    "prep": "capture:prep",
}


def load_command(name: str) -> click.Command | None:
    """The command called ``name``, importing its module (None when there is no such command)."""
    where = COMMANDS.get(name)
    if where is None:
        return None
    module, _, attr = where.partition(":")
    command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    assert isinstance(command, click.Command), where
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported from :data:`COMMANDS` only when they run
    (click's documented lazy-loading pattern)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name) or load_command(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "--notebook", metavar="DIR", envvar="CONVO_NOTEBOOK",
              help="The notebook directory (default: found from the current directory upward).")
@click.option("--today", type=DATE, envvar="CONVO_TODAY", metavar="DATE",
              help="Fix 'today' for every command: YYYY-MM-DD, tomorrow, fri, +3d... (env CONVO_TODAY).")
@click.option("--me", "reader", metavar="SLUG",
              help="Read as this person: whose turn is 'yours', --mine, `convo new` (env CONVO_ME; "
                   "never changes what a note says).")
@click.option("--no-pager", is_flag=True, help="Never send long output (brief, referrals, due --all) "
              "through $PAGER.")
@click.version_option(__version__, prog_name="convo")
@click.pass_context
def cli(ctx: click.Context, notebook: str | None, today: dt.date | None, reader: str | None, no_pager: bool) -> None:
    """convo: keep track of conversations, promises and whose turn it is.

    Notes are Markdown files with YAML front matter under notes/. Every
    command reads them through the same strict loader.
    """
    ctx.obj = State(notebook, today or dt.date.today(), reader, no_pager)


def all_commands() -> dict[str, click.Command]:
    """Every top-level command, imported (for docs, completion checks and tests)."""
    found = {name: load_command(name) for name in COMMANDS}
    return {name: command for name, command in found.items() if command is not None}


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI on ``argv`` (default: the command line) and exit with its code (:func:`exit_code`)."""
    sys.exit(exit_code(argv))


def console() -> NoReturn:
    """The ``convo`` program (and ``python -m convo_notes``): :func:`exit_code`, then leave.

    The process is left as Python leaves it (``atexit`` handlers run, streams flushed)
    except that the interpreter's objects are not freed one by one: after a warm command
    has unpickled a snapshot of ten thousand notes, that alone is 5-15 % of its time.
    A thread still running (none of the commands leaves one) gets Python's own exit.
    """
    closed = sys.stdout is None  # started with its output closed (`convo due >&-`)
    if closed:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
    code = exit_code()
    notefiles.cancel()  # a walk started ahead (launch) that the command did not take
    if closed:  # the answer went nowhere: said, as a full disk is
        if sys.stderr is not None:
            sys.stderr.write("convo: cannot write the output: standard output is closed\n")
        code = code or 1
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon for t in threading.enumerate()
                                     if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed: nothing was written to it
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream was closed
            pass
        except OSError as exc:  # a full disk: the answer is not all there
            os.write(2, f"convo: cannot write the output: {exc.strerror or exc}\n".encode())
            code = code or 1
    os._exit(code)


def exit_code(argv: list[str] | None = None) -> int:
    """Run the CLI and map every failure to an exit code and at most one line."""
    from ..diagnostics import CURRENT_FILE
    from ..render.terminal import echo

    CURRENT_FILE.clear()
    code = 0
    try:
        cli.main(args=argv, prog_name="convo", standalone_mode=False)
    except click.exceptions.Abort:
        echo("Aborted.", err=True)
        code = 1
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except ConvoError as exc:
        if exc.message:
            echo(f"convo: {exc.message}", err=True)
        code = exit_code_of(exc)
    except BrokenPipeError:
        code = 0
    except OSError as exc:  # the machine said no (disk full, permission): one line, not a bug report
        where = exc.filename or CURRENT_FILE.get("path") or ""
        echo(f"convo: {where}{': ' if where else ''}{exc.strerror or exc}", err=True)
        code = 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        reading = CURRENT_FILE.get("path")
        where = f"while reading {reading}" if reading else "(not while reading a note)"
        echo(f"convo: internal error {where}: {type(exc).__name__}: {exc}. "
             "This is a bug: please report it with this line.", err=True)
        code = 1
    return code
