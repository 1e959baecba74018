"""Creating and opening notes without hunting for files: ``convo person new``, ``convo org new``, ``convo edit``."""

from __future__ import annotations

import click

from ..render.terminal import echo, print_diagnostics
from .common import State, complete_person, pass_state


def _create(state: State, kind: str, name: str, fields: dict[str, object], slug: str | None, body: str,
            dry_run: bool) -> None:
    from ..errors import NotebookHasErrors
    from ..loader import load_notebook
    from ..newnotes import create_contact_note, plan_contact_note

    nb = state.notebook()
    planned = plan_contact_note(nb, kind, name, fields, slug, body)
    if dry_run:
        echo(f"would create {planned.path}:")
        echo(planned.text.rstrip("\n"))
        return
    create_contact_note(nb.root, planned)
    echo(f"created {planned.path}")
    problems = [d for d in load_notebook(nb.root).diagnostics if d.path == planned.path]
    print_diagnostics(problems)
    if any(d.severity == "error" for d in problems):
        raise NotebookHasErrors(sum(d.severity == "error" for d in problems))


@click.group("person")
def person_group() -> None:
    """Add people to the notebook."""


@person_group.command("new")
@click.argument("name")
@click.option("--slug", help="The file name (default: from the name, `Dana Reyes` -> dana-reyes).")
@click.option("--org", metavar="ORG", shell_complete=complete_person, help="Where they work (org slug or name).")
@click.option("--role", help="Their role.")
@click.option("--email", "emails", multiple=True, help="An email address (repeatable).")
@click.option("--phone", "phones", multiple=True, help="A phone number (repeatable).")
@click.option("--expertise", "expertise", multiple=True, help="What they know about (repeatable).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--alias", "aliases", multiple=True, help="Another name they go by (repeatable).")
@click.option("--cadence", metavar="DURATION", help="Keep in touch this often: 14d, 2w, 3m, 1y.")
@click.option("--team", is_flag=True, help="A member of our own team.")
@click.option("--private", is_flag=True, help="Never on the site.")
@click.option("-m", "--message", "body", default="", help="The note's body (what to know about them).")
@click.option("--dry-run", is_flag=True, help="Show the note; write nothing.")
@pass_state
def person_new(state: State, name: str, slug: str | None, org: str | None, role: str | None,
               emails: tuple[str, ...], phones: tuple[str, ...], expertise: tuple[str, ...], tags: tuple[str, ...],
               aliases: tuple[str, ...], cadence: str | None, team: bool, private: bool, body: str,
               dry_run: bool) -> None:
    """Create notes/people/SLUG.md for NAME, without opening an editor."""
    from ..names import resolve_optional

    org_slug = resolve_optional(state.notebook(), org, ("org",), "--org", "org")
    _create(state, "person", name, {"org": org_slug, "role": role, "email": list(emails), "phone": list(phones),
                                    "expertise": list(expertise), "tags": list(tags), "aliases": list(aliases),
                                    "cadence": cadence, "team": team, "private": private}, slug, body, dry_run)


@click.group("org")
def org_group() -> None:
    """Add organizations to the notebook."""


@org_group.command("new")
@click.argument("name")
@click.option("--slug", help="The file name (default: from the name).")
@click.option("--what", help="What the organization does (one line for whoever calls them next).")
@click.option("--website", help="Its website.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--private", is_flag=True, help="Never on the site.")
@click.option("-m", "--message", "body", default="", help="The note's body.")
@click.option("--dry-run", is_flag=True, help="Show the note; write nothing.")
@pass_state
def org_new(state: State, name: str, slug: str | None, what: str | None, website: str | None,
            tags: tuple[str, ...], private: bool, body: str, dry_run: bool) -> None:
    """Create notes/orgs/SLUG.md for NAME, without opening an editor."""
    _create(state, "org", name, {"what": what, "website": website, "tags": list(tags), "private": private},
            slug, body, dry_run)


@click.command("edit")
@click.argument("target", shell_complete=complete_person)
@pass_state
def edit_command(state: State, target: str) -> None:
    """Open a note in $VISUAL or $EDITOR (TARGET: a path, a slug, a name), then check it.

    After the editor closes, the note's problems are printed (exit 1 on errors).
    """
    import os

    from ..errors import NotebookHasErrors, UsageError
    from ..loader import load_notebook
    from ..names import lookup
    from .notes import find_note, notebook_path, open_in_editor

    nb = state.notebook()
    note = find_note(nb, target)
    if note is None and "/" not in target and not target.endswith(".md"):
        found = lookup(nb, target)
        note = nb.by_slug(found[0]) if len(found) == 1 else None
    rel = note.path if note is not None else notebook_path(nb, target)
    if note is None and rel not in nb.files:
        from ..names import resolve

        resolve(nb, target)  # the resolver's message: ambiguous, or the closest slugs
        raise UsageError(f"no note {target!r} in this notebook")
    if not (os.environ.get("VISUAL") or os.environ.get("EDITOR")):
        raise UsageError(f"no $EDITOR set: open {rel} in your editor")
    open_in_editor(nb.root, rel, created=False)
    problems = [d for d in load_notebook(nb.root).diagnostics if d.path == rel]
    print_diagnostics(problems)
    errors = sum(d.severity == "error" for d in problems)
    echo(f"{rel}: {errors} error{'s' * (errors != 1)}, {len(problems) - errors} warning"
         f"{'s' * (len(problems) - errors != 1)}", err=True)
    if errors:
        raise NotebookHasErrors(errors)
