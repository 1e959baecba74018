"""``convo referrals``: who was recommended for what, by whom, and who knows about it.

The command loads the notebook, asks :mod:`convo_notes.referrals` for the
directory and renders it as text or JSON (keys documented in docs/referrals.md).
"""

from __future__ import annotations

from typing import Any

import click

from .cli import (
    CommandFailed,
    State,
    UsageProblem,
    cli,
    complete_person,
    echo,
    emit_json,
    pass_state,
    style,
)
from .diagnostics import did_you_mean
from .model import Notebook
from .referrals import (
    Expert,
    Party,
    Recommendation,
    TopicEntry,
    directory,
    entry_to_json,
    party_details,
    suggest_topics,
)
from .render import person_ref

OVERVIEW_TOP = 3  # parties shown per topic when listing every topic


@cli.command()
@click.argument("topic", nargs=-1)
@click.option("--by", "by", metavar="SLUG", shell_complete=complete_person,
              help="Only what this person recommended (`me` for yourself).")
@click.option("--to", "to", metavar="SLUG", shell_complete=complete_person,
              help="Only referrals this person received (introductions, when not `me`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def referrals(state: State, topic: tuple[str, ...], by: str | None, to: str | None, as_json: bool) -> None:
    """Who was recommended for TOPIC, ranked by independent recommenders.

    Topics match case-insensitively and forgivingly (plumber, plumbers,
    plumbing; aliases from convo.yml `topics: aliases:`). Without TOPIC,
    every topic with its top recommendations. People whose expertise
    matches the topic follow the recommendations. Exit 1 when TOPIC
    matches nothing (the closest topics are suggested).
    """
    nb = state.notebook()
    wanted = " ".join(topic).strip() or None
    by_slug, to_slug = _person(nb, by, "--by"), _person(nb, to, "--to")
    entries = directory(nb, wanted, by=by_slug, to=to_slug)
    overview = wanted is None and not by_slug and not to_slug
    limit = OVERVIEW_TOP if overview else None
    suggestions = suggest_topics(nb, wanted) if wanted and not entries else []
    if as_json:
        emit_json({
            "query": {"topic": wanted, "by": person_ref(nb, by_slug), "to": person_ref(nb, to_slug)},
            "topics": [entry_to_json(nb, e, limit) for e in entries],
            "suggestions": suggestions,
        })
        if wanted and not entries:
            raise SystemExit(1)
        return
    if wanted and not entries:
        hint = f"; did you mean {_or(suggestions)}?" if suggestions else ""
        raise CommandFailed(f"no recommendations or expertise for {wanted!r}{hint}")
    if not entries:
        echo(_nothing(nb, by_slug, to_slug))
        return
    echo("\n\n".join(render_entry(nb, e, limit, by_slug, to_slug) for e in entries))


def _person(nb: Notebook, slug: str | None, option: str) -> str | None:
    if slug is None or nb.is_me(slug) or slug in nb.people:
        return slug
    raise UsageProblem(f"{option}: no person `{slug}` in notes/people/{did_you_mean(slug, nb.people)}")


def _or(labels: list[str]) -> str:
    quoted = [f"'{lab}'" for lab in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _nothing(nb: Notebook, by: str | None, to: str | None) -> str:
    if by:
        return f"{nb.display(by)} has recommended no one."
    if to:
        return f"{nb.display(to)} has received no referrals."
    return "No referrals in this notebook."


def render_entry(nb: Notebook, entry: TopicEntry, limit: int | None = None,
                 by: str | None = None, to: str | None = None) -> str:
    """One topic as text: heading, ranked parties with their recommendations, then experts."""
    others = [f for f in entry.forms if f != entry.label]
    lines = [style(entry.label, bold=True) + (f"  (also: {', '.join(others)})" if others else "")]
    shown = entry.parties if limit is None else entry.parties[:limit]
    for rank, party in enumerate(shown, 1):
        lines.extend(_party_lines(nb, rank, party))
    if limit is not None and len(entry.parties) > limit:
        rest = len(entry.parties) - limit
        lines.append(f"   … {rest} more: convo referrals {_quote(entry.label)}")
    if not entry.parties:
        whose = f" by {nb.display(by)}" if by else f" to {nb.display(to)}" if to else ""
        lines.append(f"   No recommendations{whose}.")
    if entry.experts:
        lines.append(f"Who knows about {entry.label}:")
        lines.extend(_expert_line(nb, e) for e in entry.experts)
    return "\n".join(lines)


def _quote(text: str) -> str:
    return text if all(c.isalnum() or c in "-_" for c in text) else f'"{text}"'


def _party_lines(nb: Notebook, rank: int, party: Party) -> list[str]:
    count = party.recommenders
    name = f"{party.name} ({party.slug})" if party.slug else party.name
    tag = "" if party.kind != "text" else " [no file yet]"
    head = f"{rank:>2}. {style(name, bold=True)}{tag} — {count} recommender{'s' * (count != 1)}"
    lines = [head + (" [private]" if party.private else "")]
    details = _details_line(party_details(nb, party))
    if details:
        lines.append(f"    {details}")
    lines.extend(f"    {_recommendation_line(nb, r)}" for r in party.recommendations)
    return lines


def _details_line(details: dict[str, Any]) -> str:
    bits: list[str] = []
    role, org = details.get("role"), details.get("org")
    if role and org:
        bits.append(f"{role}, {org['name']}")
    elif role:
        bits.append(role)
    elif org:
        bits.append(org["name"])
    for key in ("what", "website"):
        if details.get(key):
            bits.append(details[key])
    bits.extend(details.get("email", []))
    bits.extend(details.get("phone", []))
    return " · ".join(bits)


def _recommendation_line(nb: Notebook, rec: Recommendation) -> str:
    who = nb.display(rec.by) if rec.by else "(unknown)"
    if rec.introduction:
        text = f"introduction by {who} to {nb.display(rec.to)}, {rec.date.isoformat()}"
    else:
        text = f"by {who}, {rec.date.isoformat()}"
    if rec.note:
        text += f': "{rec.note}"'
    text += f" ({rec.source})"
    return text + (" [private]" if rec.private else "")


def _expert_line(nb: Notebook, expert: Expert) -> str:
    p = expert.person
    bits = [f"   {p.name} ({p.slug})"]
    role = p.role if not p.org else f"{p.role}, {nb.display(p.org)}" if p.role else nb.display(p.org)
    if role:
        bits.append(f" — {role}")
    bits.append(f" (knows: {', '.join(expert.matched)})")
    if expert.private:
        bits.append(" [private]")
    return "".join(bits)

