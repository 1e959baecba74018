"""Finding things: ``convo search`` over every note, and the contact lists ``convo people`` and ``convo orgs``."""

from __future__ import annotations

import os
from typing import Any

import click

from ..render.json import contact_json, search_hit_json
from ..render.terminal import echo
from ..render.text import render_contacts, render_search
from .common import State, emit_report, finish, finish_errors, pass_state

SEARCH_HELP = """Find notes: words, "phrases", -excluded, and filters.

\b
Filters: with:PERSON  org:ORG  tag:TAG  channel:CHANNEL  thread:SLUG
         kind:person|org|conversation  since:DATE  before:DATE (2026-10-01, -2w, mon)
         is:private|public  has:open-commitment|next|referral

Ranked best first (a match in a title or a name counts most); each result
shows PATH:LINE of its first match and an excerpt. Exit 1 when nothing matched.
"""


def complete_query(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a search term: the filter names (``with:``, ``tag:``...), then after
    ``with:``, ``org:`` or ``thread:`` the notebook's slugs, after ``is:``/``has:``/``kind:`` their values."""
    from click.shell_completion import CompletionItem

    from ..search import FIELDS, HAS_VALUES, IS_VALUES, KIND_VALUES

    name, colon, value = incomplete.partition(":")
    if not colon:
        return [CompletionItem(f"{f}:") for f in FIELDS if f.startswith(incomplete)]
    values: list[str] = list({"is": IS_VALUES, "has": HAS_VALUES, "kind": KIND_VALUES}.get(name, ()))
    if name in ("with", "org", "thread"):
        try:
            from ..agenda import threads
            from ..loader import find_root, load_notebook

            root = find_root(explicit=ctx.find_root().params.get("notebook") or os.environ.get("CONVO_NOTEBOOK"))
            nb = load_notebook(root, check=False)
            values = sorted(nb.people if name == "with" else nb.orgs if name == "org"
                            else {t.key for t in threads(nb)})
        except Exception:  # noqa: BLE001 - completion must never fail loudly
            return []
    return [CompletionItem(f"{name}:{v}") for v in values if v.startswith(value)]


@click.command(help=SEARCH_HELP)
@click.argument("query", nargs=-1, required=True, shell_complete=complete_query)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many results.")
@click.option("--all", "show_all", is_flag=True, help="Show every result.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/find.md).")
@pass_state
def search(state: State, query: tuple[str, ...], limit: int, show_all: bool, as_json: bool) -> None:
    from ..errors import Found
    from ..search import search as run_search

    text = " ".join(query)
    hits, total, errors = run_search(state.root, text, None if show_all else limit, state.today)
    if as_json:
        from ..render.terminal import emit_json

        emit_json({"query": text, "total": total, "results": [search_hit_json(h) for h in hits],
                   "errors": [d.to_json() for d in errors]})
    else:
        echo(render_search(hits, total, text))
    finish_errors(errors, as_json=as_json)
    if not hits:
        raise Found("no match")


SORTS = ("name", "last-contact", "open", "keep-in-touch")


def _contacts(state: State, kind: str, sort: str, tags: tuple[str, ...], org: str | None, losing_touch: bool,
              as_json: bool) -> None:
    from ..contacts import contact_list
    from ..names import resolve_optional

    nb = state.notebook()
    org_slug = resolve_optional(nb, org, ("org",), "--org", "org")
    rows = contact_list(nb, state.today, kind=kind, sort=sort, tags=tags, org=org_slug, losing_touch=losing_touch)
    if as_json:
        emit_report(nb, {"today": state.today, kind: [contact_json(nb, r, state.today) for r in rows]})
    else:
        echo(render_contacts(nb, rows, state.today, kind))
        finish(nb)


@click.command()
@click.option("--sort", type=click.Choice(SORTS), default="name", show_default=True,
              help="name; last-contact (longest ago first); open (most open commitments first); keep-in-touch.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only people with this tag (repeat: all of them).")
@click.option("--org", metavar="ORG", help="Only people of this org (slug or name).")
@click.option("--losing-touch", is_flag=True, help="Only people past their keep-in-touch date, latest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/find.md).")
@pass_state
def people(state: State, sort: str, tags: tuple[str, ...], org: str | None, losing_touch: bool,
           as_json: bool) -> None:
    """The contact list: last contact, next keep-in-touch date, open commitments both ways, whose turn."""
    _contacts(state, "people", sort, tags, org, losing_touch, as_json)


@click.command()
@click.option("--sort", type=click.Choice(SORTS[:3]), default="name", show_default=True,
              help="name; last-contact (longest ago first); open (most open commitments first).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only orgs with this tag (repeat: all of them).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys in docs/find.md).")
@pass_state
def orgs(state: State, sort: str, tags: tuple[str, ...], as_json: bool) -> None:
    """Every organization: its people, last contact, open commitments both ways, whose turn."""
    _contacts(state, "orgs", sort, tags, None, False, as_json)
