"""Writing to the terminal: colour only on a terminal (never with ``NO_COLOR``), one JSON
document on stdout, diagnostics in the compiler form. Every line of human text a
command prints goes through :func:`echo`."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any, Callable, Iterable

import click

from ..diagnostics import Diagnostic
from ..termsafe import escape_controls


def use_color() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set."""
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def plain(text: str, **_: Any) -> str:
    """:func:`style` when colour is off."""
    return text


def style(text: str, **kwargs: Any) -> str:
    """``text`` styled like :func:`click.style` when colour is on, else as it is."""
    return click.style(text, **kwargs) if use_color() else text


def painter() -> Callable[..., str]:
    """:func:`style`, with the terminal asked once (an agenda can have thousands of lines)."""
    return click.style if use_color() else plain


def echo(text: str = "", err: bool = False) -> None:
    """The one way human text reaches the terminal (stdout, or stderr with ``err``): control
    characters from notes are shown escaped (:func:`.termsafe.escape_controls`)."""
    click.echo(escape_controls(text, keep_styles=True), err=err, color=use_color() if not err else None)


def json_default(value: Any) -> Any:
    """Dates as ISO strings, sets and tuples as lists, anything else as text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def emit_json(document: Any) -> None:
    """One JSON document on stdout."""
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=json_default))


def diagnostic_line(d: Diagnostic, paint: Callable[..., str] | None = None) -> str:
    """``PATH:LINE:COL: error[CODE]: message``, the severity coloured on a terminal (``paint``:
    :func:`painter`'s answer, when the caller already asked it)."""
    text = d.format()
    if paint is plain:  # no colour: the line as it is (a notebook can have thousands)
        return text
    head, sep, rest = text.partition(f" {d.severity}[")
    if not sep:
        return text
    color = "red" if d.severity == "error" else "yellow"
    return head + " " + (paint or style)(f"{d.severity}[{d.code}]", fg=color, bold=True) + rest[len(d.code) + 1:]


def print_diagnostics(diagnostics: Iterable[Diagnostic], err: bool = True) -> None:
    """Each diagnostic on its own line (stderr unless ``err=False``), written at once: a
    notebook can have thousands."""
    paint = painter()
    lines = [diagnostic_line(d, paint) for d in diagnostics]
    if lines:
        echo("\n".join(lines), err=err)


def terminal_width() -> int | None:
    """The width to fit lines to: ``COLUMNS`` when set, else the terminal's; None off a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def page(text: str, enabled: bool = True) -> None:
    """Long text through ``$PAGER`` (default ``less``, with ``LESS=FRX`` as git sets it) when stdout
    is a terminal and ``enabled``; otherwise printed as :func:`echo` prints it."""
    if not (enabled and sys.stdin.isatty() and sys.stdout.isatty()) or os.environ.get("PAGER") == "cat":
        echo(text)
        return
    os.environ.setdefault("LESS", "FRX")
    click.echo_via_pager(text + "\n", color=use_color())
