"""``convo referrals``: who was recommended for what, by whom, and who knows about it.

The command loads the notebook, asks :mod:`convo_notes.referrals` for the
directory and renders it as text or JSON (keys documented in docs/referrals.md).
"""

from __future__ import annotations

import click

from ..errors import Found
from ..model import Notebook
from ..names import resolve_optional
from ..referrals import directory, suggest_topics
from ..render.json import entry_to_json, person_ref
from ..render.terminal import echo, page
from ..render.text import render_entry, render_no_referrals, render_no_topic
from .common import State, TerminalProgress, complete_person, emit_report, finish, pager_option, pass_state

OVERVIEW_TOP = 3  # parties shown per topic when listing every topic


@click.command()
@click.argument("topic", nargs=-1)
@click.option("--by", "by", metavar="SLUG", shell_complete=complete_person,
              help="Only what this person recommended (`me` for yourself).")
@click.option("--to", "to", metavar="SLUG", shell_complete=complete_person,
              help="Only referrals this person received (introductions, when not `me`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pager_option
@pass_state
def referrals(state: State, topic: tuple[str, ...], by: str | None, to: str | None, as_json: bool) -> None:
    """Who was recommended for TOPIC, ranked by independent recommenders.

    Topics match case-insensitively and forgivingly (plumber, plumbers,
    plumbing; aliases from convo.yml `topics: aliases:`). Without TOPIC,
    every topic with its top recommendations. People whose expertise
    matches the topic follow the recommendations. Exit 1 when TOPIC
    matches nothing (the closest topics are suggested).
    """
    from ..cache.views import referrals_view
    from ..loader import paused_gc

    with paused_gc():
        with TerminalProgress("Reading notes") as progress:
            # only the conversations holding referrals, from a snapshot when nothing changed
            nb = referrals_view(state.root, progress=progress, reader=state.reader, overlay=True).notebook
        answer(nb, topic, by, to, as_json, state.no_pager)


def answer(nb: Notebook, topic: tuple[str, ...], by: str | None, to: str | None, as_json: bool,
           no_pager: bool) -> None:
    """The directory (or one topic of it) from ``nb``, printed, then :func:`.common.finish`."""
    wanted = " ".join(topic).strip() or None
    by_slug = resolve_optional(nb, by, ("person",), "--by")
    to_slug = resolve_optional(nb, to, ("person",), "--to")
    entries = directory(nb, wanted, by=by_slug, to=to_slug)
    limit = OVERVIEW_TOP if wanted is None and not by_slug and not to_slug else None
    suggestions = suggest_topics(nb, wanted) if wanted and not entries else []
    if as_json:
        emit_report(nb, {
            "query": {"topic": wanted, "by": person_ref(nb, by_slug), "to": person_ref(nb, to_slug)},
            "topics": [entry_to_json(nb, e, limit) for e in entries],
            "suggestions": suggestions,
        })
    elif entries:
        page("\n\n".join(render_entry(nb, e, limit, by_slug, to_slug) for e in entries), not no_pager)
        finish(nb)
    elif not wanted:
        echo(render_no_referrals(nb, by_slug, to_slug))
        finish(nb)
    if wanted and not entries:
        if not as_json:
            echo(f"convo: {render_no_topic(wanted, suggestions)}", err=True)
            finish(nb)
        raise Found(f"nothing for {wanted!r}")
