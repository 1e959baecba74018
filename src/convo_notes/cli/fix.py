"""``convo fix``: migrations that edit notes, byte-exact, with ``--dry-run``."""

from __future__ import annotations

import click

from ..errors import CommandFailed, EditRefused
from ..render.terminal import echo
from ..render.text import plural
from .common import State, finish, pass_state


@click.group()
def fix() -> None:
    """Migrate notes to the current format, changing nothing else in them."""


@fix.command("recorded-by")
@click.option("--dry-run", is_flag=True, help="Only say what would be written.")
@click.option("--all", "every", is_flag=True,
              help="Also notes that do not use `me`, so every conversation says who recorded it.")
@pass_state
def recorded_by(state: State, dry_run: bool, every: bool) -> None:
    """Write `recorded_by` into every note that uses `me` without saying who wrote it.

    In a notebook with several team members, `me` in a note is its author
    (format v1.1). For each note that relies on `me` and has no
    `recorded_by`, the author of the git commit that added the file is
    matched to a team member (by email, then by name or alias) and one line
    `recorded_by: SLUG` is added at the end of the front matter; no other
    byte changes. Notes it cannot attribute are listed (exit 1). A notebook
    with errors is fixed all the same; its errors follow (exit 1).
    """
    from ..authorship import plan_authors
    from ..edit import write_field
    from ..loader import load_notebook

    nb = state.notebook()
    plans = plan_authors(nb, every)
    if not plans:
        echo(f"nothing to do: every note{'' if every else ' that uses `me`'} says who wrote it"
             if len(nb.team) > 1 else "nothing to do: this notebook has one team member, `me` is unambiguous")
        finish(nb)
        return
    done = 0
    others = 0  # notes now read as written by someone other than convo.yml's `me`
    failed: list[str] = []
    for plan in plans:
        if plan.slug is None:
            failed.append(f"{plan.path}: {plan.problem}")
            continue
        who = f" (added by {plan.added.author} <{plan.added.email}>)" if plan.added else ""
        if not dry_run:
            try:
                write_field(nb.root, plan.path, "recorded_by", plan.slug, plan.raw)
            except EditRefused as exc:
                failed.append(f"{plan.path}: {exc.message}")
                continue
        echo(f"{plan.path}: {'would add' if dry_run else 'added'} recorded_by: {plan.slug}{who}")
        done += 1
        others += plan.slug != nb.config.me
    for line in failed:
        echo(f"convo: {line}", err=True)
    verb = "would be written" if dry_run else "written"
    echo(f"{plural(done, 'note')} {verb}" + (f", {len(failed)} left to do by hand" if failed else ""))
    if others:
        echo(f"{plural(others, 'note')} by another team member than convo.yml's `me`: their `me` now means "
             "their author (format v1.1); `convo validate` lists them to check (me-meaning-changed)")
    finish(nb if dry_run or not done else load_notebook(nb.root))  # the errors as the notes are now
    if failed:
        raise CommandFailed("")
