"""Keeping a notebook tidy: ``convo rename`` and ``convo merge`` (the rewrite is :mod:`convo_notes.rewrite`)."""

from __future__ import annotations

import click

from ..render.terminal import echo
from ..render.text import render_rewrite_summary as _report
from .common import State, complete_person, finish, pass_state


@click.command()
@click.argument("kind", type=click.Choice(["person", "org", "thread", "id"]))
@click.argument("old", shell_complete=complete_person)
@click.argument("new")
@click.option("--dry-run", is_flag=True, help="Show the edits as a diff; write nothing.")
@pass_state
def rename(state: State, kind: str, old: str, new: str, dry_run: bool) -> None:
    """Rename a person, org, thread or commitment id in every note.

    A person's or org's note moves to NEW.md; every reference (front-matter
    fields, `closes`, [[wiki links]], Markdown links to the note) is rewritten
    and no other byte of any file changes. All files are written or none.
    OLD may be a name or alias for a person or org.
    """
    from .. import names, rewrite
    from ..loader import load_notebook

    if not dry_run:
        rewrite.recover(state.root)
    nb = state.notebook()
    if kind in ("person", "org"):
        old = names.resolve(nb, old, (kind,), kind)  # type: ignore[arg-type]
    plan = rewrite.plan_rename(nb, kind, old, new)
    if dry_run:
        click.echo(plan.diff(), nl=False)
        echo(_report(plan, True) + " (dry run: nothing written)", err=True)
        return
    rewrite.apply(nb.root, plan)
    echo(_report(plan, False))
    finish(load_notebook(nb.root))


@click.command()
@click.argument("kind", type=click.Choice(["person"]))
@click.argument("duplicate", shell_complete=complete_person)
@click.argument("keep", shell_complete=complete_person)
@click.option("--append-body", is_flag=True, help="Also append DUPLICATE's body to KEEP's note.")
@click.option("--dry-run", is_flag=True, help="Show the edits as a diff; write nothing.")
@pass_state
def merge(state: State, kind: str, duplicate: str, keep: str, append_body: bool, dry_run: bool) -> None:
    """Fold a duplicate person into another: `convo merge person DUPLICATE KEEP`.

    KEEP's note gains DUPLICATE's name as an alias and its aliases, emails and
    phones; every reference to DUPLICATE becomes KEEP; DUPLICATE's note is
    removed (with --append-body its body is added to KEEP's first). All files
    or none.
    """
    from .. import names, rewrite
    from ..loader import load_notebook

    if not dry_run:
        rewrite.recover(state.root)
    nb = state.notebook()
    a = names.resolve(nb, duplicate, ("person",), kind)
    b = names.resolve(nb, keep, ("person",), kind)
    plan = rewrite.plan_merge(nb, a, b, append_body)
    dropped = f"{nb.people[a].path} had notes in its body; they are not copied (--append-body keeps them)"
    if dry_run:
        click.echo(plan.diff(), nl=False)
        echo(_report(plan, True) + " (dry run: nothing written)", err=True)
        if plan.dropped_body:
            echo(f"convo: {dropped}", err=True)
        return
    rewrite.apply(nb.root, plan)
    echo(_report(plan, False))
    if plan.dropped_body:
        echo(f"convo: {dropped}; the old note is in git's history", err=True)
    finish(load_notebook(nb.root))
