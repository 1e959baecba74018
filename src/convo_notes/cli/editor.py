"""``convo lsp``: the language server for editors (:mod:`convo_notes.lsp`)."""

from __future__ import annotations

import click

from .common import State, pass_state


@click.command()
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default; editors may pass it).")
@pass_state
def lsp(state: State, stdio: bool) -> None:
    """Run the language server for editors, over stdio.

    Diagnostics as you type (the same as `convo validate`), completion of
    people, orgs, threads and commitment ids, the brief on hover, go to
    definition, references, code actions and rename. See docs/editors.md.
    Logs go to stderr only.
    """
    from ..errors import NotebookNotFound
    from ..lsp.server import serve

    try:
        root = state.root
    except NotebookNotFound:
        root = None  # found from the workspace or the first note opened
    fixed = click.get_current_context().find_root().params.get("today")  # --today / CONVO_TODAY
    serve(root, fixed)
