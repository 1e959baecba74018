"""Commands on the notebook as a whole: ``validate`` it, ``init`` a new one, print its ``schema``."""

from __future__ import annotations

from pathlib import Path

import click

from ..diagnostics import Diagnostic
from ..errors import NotebookHasErrors
from ..render.terminal import echo, emit_json, print_diagnostics
from ..render.text import render_init, render_validate_summary
from .common import State, pass_state

KIND_NAMES = ("conversation", "person", "org", "config")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--lint/--no-lint", default=True, show_default=True,
              help="Also run the lints (warnings such as an org without `what`; see docs/validate.md).")
@click.option("--skip", "skip", multiple=True, metavar="CODE", help="Do not run this lint (repeatable).")
@click.option("--personal", is_flag=True, help="Also check your personal overlay notes (overlay:notes/...).")
@pass_state
def validate(state: State, fmt: str, as_json: bool, strict: bool, lint: bool, skip: tuple[str, ...],
             personal: bool) -> None:
    """Check every note and report every problem, like a compiler.

    Each problem reads PATH:LINE:COL: error[CODE]: message. Exit 1 when
    there are errors (with --strict, warnings too). Lints are warnings about
    what is valid but probably wrong (--no-lint turns them off).
    """
    from ..lints import run_lints

    nb = state.notebook(personal=personal)
    problems = nb.diagnostics
    if lint:
        problems = sorted([*problems, *run_lints(nb, state.today, skip)], key=Diagnostic.sort_key)
    if fmt == "json" or as_json:
        emit_json({"errors": [d.to_json() for d in problems]})
    else:
        print_diagnostics(problems, err=False)
        echo(render_validate_summary(len(nb.files), problems))
    failing = [d for d in problems if d.severity == "error" or strict]
    if failing:
        raise NotebookHasErrors(len(failing))


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Your name, for your own person note (default: git config user.name).")
@click.option("--email", help="Your email (default: git config user.email).")
@click.option("--force", is_flag=True, help="Work in a non-empty directory; files already there are kept.")
@click.option("--obsidian", is_flag=True,
              help="Also make it an Obsidian vault: .obsidian/ settings, property types, [[links]] in new notes.")
@click.option("--ci", type=click.Choice(["github", "gitlab"]),
              help="Also write a CI workflow: `convo validate` on every push, the site deployed from the "
                   "default branch (in an existing notebook, only this file is written).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_state
def init_command(state: State, directory: Path, name: str | None, email: str | None, force: bool,
                 obsidian: bool, ci: str | None, as_json: bool) -> None:
    """Start a new notebook in DIRECTORY: a git repository ready to validate and build.

    Writes convo.yml, mkdocs.yml, .gitignore, .pre-commit-config.yaml, your own
    person note (team: true), notes/orgs/ and an example conversation to delete
    later; runs git init and makes a first commit when git knows your name.
    """
    from ..notebook_init import init_notebook

    result = init_notebook(directory, state.today, name=name, email=email, force=force, obsidian=obsidian,
                           ci=ci)
    if as_json:
        emit_json({"root": str(result.root), "me": result.me, "written": result.written, "kept": result.kept,
                   "git_init": result.git_init, "committed": result.committed,
                   "message": result.git_message or None})
    else:
        echo(render_init(result))


@click.command("schema")
@click.argument("kind", required=False, type=click.Choice(KIND_NAMES))
def schema_command(kind: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of a note kind's front matter, or of convo.yml (config).

    Without KIND: one document {"conversation": ..., "person": ..., "org": ..., "config": ...}.
    """
    from ..schema import json_schema

    if kind:
        emit_json(json_schema(kind))
    else:
        emit_json({name: json_schema(name) for name in KIND_NAMES})
