"""Renderers shared by commands: records as JSON-ready dicts, and one note as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Commitment, Conversation, Note, Notebook, Org, Person, Referral


def person_ref(nb: Notebook, slug: str | None) -> dict[str, Any] | None:
    """``{"slug", "name"}`` for a person/org slug (``me`` resolved), or None."""
    if slug is None:
        return None
    canon = nb.canon(slug) or slug
    return {"slug": canon, "name": nb.display(canon)}


def commitment_to_json(nb: Notebook, c: Commitment, closed_by: str | None = None) -> dict[str, Any]:
    return {
        "id": c.id,
        "what": c.what,
        "owner": person_ref(nb, c.owner),
        "to": person_ref(nb, c.to),
        "due": c.due,
        "done": c.done,
        "closed_by": closed_by,
        "source": f"{c.path}:{c.line}",
    }


def referral_to_json(nb: Notebook, r: Referral) -> dict[str, Any]:
    known = r.recommends in nb.people or r.recommends in nb.orgs
    return {
        "recommends": {"slug": r.recommends if known else None,
                       "name": nb.display(r.recommends) if known else r.recommends,
                       "kind": "person" if r.recommends in nb.people else "org" if r.recommends in nb.orgs else "text"},
        "for": list(r.topics),
        "by": person_ref(nb, r.by),
        "to": person_ref(nb, r.to),
        "note": r.note,
        "source": f"{r.path}:{r.line}",
    }


def note_to_json(nb: Notebook, note: Note) -> dict[str, Any]:
    """One note, parsed and normalized, as a JSON-ready dict."""
    base: dict[str, Any] = {"kind": note.kind, "slug": note.slug, "path": note.path,
                            "private": nb.is_private(note)}
    if isinstance(note, Person):
        base.update(name=note.name, org=person_ref(nb, note.org), role=note.role, email=list(note.emails),
                    phone=list(note.phones), expertise=list(note.expertise), tags=list(note.tags),
                    aliases=list(note.aliases), cadence=str(note.cadence) if note.cadence else None, team=note.team)
    elif isinstance(note, Org):
        base.update(name=note.name, what=note.what, website=note.website, tags=list(note.tags))
    else:
        assert isinstance(note, Conversation)
        base.update(
            title=note.title,
            date=note.time.isoformat() if note.time else note.date,
            **{"with": [person_ref(nb, s) for s in note.with_]},
            channel=note.channel,
            thread=nb.thread_key(note),
            org=person_ref(nb, nb.org_of(note)),
            recorded_by=person_ref(nb, note.recorded_by or "me"),
            tags=list(note.tags),
            interests=list(note.interests),
            next=None if note.next is None else {
                "turn": note.next.turn if note.next.turn in ("me", "them") else person_ref(nb, note.next.turn),
                "by": note.next.by, "about": note.next.about},
            commitments=[commitment_to_json(nb, c) for c in note.commitments],
            closes=list(note.closes),
            referrals=[referral_to_json(nb, r) for r in note.referrals],
        )
    base["body"] = note.body
    return base


def fmt_date(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


def render_note_text(nb: Notebook, note: Note) -> str:
    """A readable, normalized view of one note."""
    data = note_to_json(nb, note)
    lines = [f"{data['kind']} {note.slug}  ({note.path}){'  [private]' if data['private'] else ''}"]
    for key, value in data.items():
        if key in ("kind", "slug", "path", "private", "body") or value in (None, [], ""):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"  {key}:")
            for item in value:
                lines.append("    - " + ", ".join(f"{k}: {_flat(v)}" for k, v in item.items() if v not in (None, [])))
        else:
            lines.append(f"  {key}: {_flat(value)}")
    if note.body.strip():
        lines.append("")
        lines.append(note.body.rstrip())
    return "\n".join(lines)


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"slug", "name"}:
            return f"{value['name']} ({value['slug']})"
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
