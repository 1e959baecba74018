"""What every command shares: the group's state, parameter types, completion, and the one
policy for a notebook with errors (:func:`finish`)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..dates import in_range, range_text
from ..diagnostics import Diagnostic
from ..errors import NotebookHasErrors
from ..loader import find_root, load_notebook
from ..model import Notebook
from ..render.terminal import echo, emit_json, print_diagnostics


class State:
    """What the group options decided; the notebook is loaded on first use.

    (A plain class: a dataclass costs every command a millisecond to create at import.)
    """

    def __init__(self, notebook_dir: str | None, today: dt.date, reader: str | None = None,
                 no_pager: bool = False) -> None:
        self.notebook_dir = notebook_dir
        self.today = today
        self.reader = reader  # --me: whose view it is (else CONVO_ME or the user's config)
        self.no_pager = no_pager
        self._notebook: Notebook | None = None
        self._personal = False

    @property
    def root(self) -> Path:
        return find_root(explicit=self.notebook_dir)

    def notebook(self, personal: bool = False) -> Notebook:
        """The notebook, checked across notes too: every command sees the same errors.

        ``personal``: with the reader's overlay notes (only for the reader's own views:
        ``due``, ``threads``, ``brief``, ``referrals``, ``show``, ``validate``; never for
        anything that writes into the repository or builds the site).
        """
        if self._notebook is None or self._personal != personal:
            with TerminalProgress("Reading notes") as progress:
                self._notebook = load_notebook(self.root, check=True, progress=progress, reader=self.reader,
                                               overlay=personal)
            self._personal = personal
            freeze_gc()
        return self._notebook

    def reload(self) -> Notebook:
        """The notebook read again (after an edit), as :meth:`notebook` reads it."""
        self._notebook = None
        return self.notebook(self._personal)


pass_state = click.make_pass_decorator(State)


def _no_pager(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value and isinstance(ctx.find_object(State), State):
        ctx.find_object(State).no_pager = True  # type: ignore[union-attr]
    return value


def pager_option(command: Any) -> Any:
    """``--no-pager`` on a command with long output (the group's ``convo --no-pager`` does the same)."""
    return click.option("--no-pager", is_flag=True, expose_value=False, callback=_no_pager,
                        help="Print straight to the terminal, not through $PAGER.")(command)


def freeze_gc() -> None:
    """Move everything allocated so far out of the garbage collector's sight (``gc.freeze``).

    A one-shot command (never ``serve``, ``watch`` or ``lsp``, which do not load through
    :class:`State`) keeps the notebook it just read alive to the end; it holds no cycles,
    and every later collection would walk all of it again for nothing (a fifth to a third
    of ``threads``' and ``referrals``' time on large notebooks). Reference counting still
    frees what the query drops.
    """
    import gc

    gc.freeze()


def finish(nb: Notebook, *, as_json: bool = False, show: bool = True) -> None:
    """The one policy for a notebook with errors, run after a command printed its answer.

    The errors go to stderr (in text mode, unless ``show`` is off because the answer
    already listed them), then their count; the command exits 1. With ``--json`` the
    errors are already in the document's ``errors`` key, so only the count is printed.
    """
    finish_errors(nb.errors, as_json=as_json, show=show)


def finish_errors(errors: list[Diagnostic], *, as_json: bool = False, show: bool = True) -> None:
    """:func:`finish` for a command that has the notebook's errors without the notebook (``search``)."""
    if not errors:
        return
    if show and not as_json:
        print_diagnostics(errors)
    count = f"{len(errors)} error{'s' * (len(errors) != 1)}"
    echo(f"convo: {count} in the notebook; this answer may be incomplete "
         "(run `convo validate`)", err=True)
    raise NotebookHasErrors(len(errors))


def emit_report(nb: Notebook, document: dict[str, Any]) -> None:
    """A command's JSON document with the notebook's ``errors``, then :func:`finish`."""
    emit_json({**document, "errors": [d.to_json() for d in nb.errors]})
    finish(nb, as_json=True)


class TerminalProgress:
    """A progress bar on stderr for long reads, shown only on a terminal and for large batches."""

    MIN_TOTAL = 2_000

    def __init__(self, label: str, min_total: int = MIN_TOTAL) -> None:
        self.label = label
        self.min_total = min_total
        self.bar: Any = None
        self.shown = 0

    def __enter__(self) -> TerminalProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_total or not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.length = max(total, done)  # a total that grows as it is read (a mailbox) moves the end
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class DateType(click.ParamType):
    """A date as people type it (:mod:`convo_notes.humandates`), as a click parameter type.

    Relative dates count from the group's ``--today`` when it was given (it is read
    before any command's options), else from the real today.
    """

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        from ..humandates import BadDate, parse_human_date

        if isinstance(value, dt.date):
            return value
        base = None
        if ctx is not None and ctx.parent is not None:
            base = ctx.find_root().params.get("today")
        try:
            day = parse_human_date(str(value), base if isinstance(base, dt.date) else dt.date.today())
        except BadDate as exc:
            self.fail(str(exc), param, ctx)
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


def complete_item(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of what `snooze`, `reschedule`, `reopen` and `done` take: commitment ids,
    thread keys and person slugs."""
    from click.shell_completion import CompletionItem

    try:
        from ..agenda import threads

        root = find_root(explicit=ctx.find_root().params.get("notebook") or os.environ.get("CONVO_NOTEBOOK"))
        nb = load_notebook(root, check=False)
        found: dict[str, str] = {}
        for conv in nb.conversations:
            for c in conv.commitments:
                if c.id:
                    found.setdefault(c.id, f"commitment: {c.what}")
        for t in threads(nb):
            found.setdefault(t.key, "thread")
        for slug, person in nb.people.items():
            found.setdefault(slug, f"person: {person.name}")
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [CompletionItem(name, help=found[name]) for name in sorted(found) if name.startswith(incomplete)]
