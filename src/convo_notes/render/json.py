"""Every JSON shape ``convo`` prints: records and query results as JSON-ready dicts.

The keys are promised to scripts (docs/daily.md, docs/referrals.md, docs/format.md);
``tests/test_docs.py`` checks each documented key against what these functions return.
Dates stay ``datetime.date`` here; :func:`.terminal.emit_json` writes them as ISO strings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..agenda import DueItem, Thread, cadence_of, group_of
from ..model import Commitment, Conversation, Note, Notebook, Org, Person, Referral

if TYPE_CHECKING:  # the referral types are imported when a referral is rendered, not by every command
    from ..brief import Brief
    from ..referrals import Expert, Party, Recommendation, TopicEntry


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


def referral_to_json(nb: Notebook, r: Referral, names: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """One referral (``names``: :func:`.referrals.names_index`, when a caller makes many)."""
    from ..referrals import recommended

    slug = recommended(nb, r.recommends, names)
    return {
        "recommends": {"slug": slug,
                       "name": nb.display(slug) if slug else r.recommends,
                       "kind": "person" if slug in nb.people else "org" if slug in nb.orgs else "text"},
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
                "turn_of": ref(nb, "+".join(nb.others_in(note.with_)) if note.next.turn == "them"
                               else nb.canon_in(note, note.next.turn)),
                "by": note.next.by, "about": note.next.about},
            commitments=[commitment_to_json(nb, c) for c in note.commitments],
            closes=list(note.closes),
            referrals=[referral_to_json(nb, r) for r in note.referrals],
        )
    base["body"] = note.body
    return base


def names(nb: Notebook, slug: str | None) -> str:
    """Display name(s) of a slug, or of several joined by ``+`` (a ``them`` turn)."""
    if not slug:
        return ""
    return ", ".join(nb.display(s) for s in slug.split("+"))


def turn_label(nb: Notebook, slug: str | None) -> str:
    """Whose turn, spoken to the reader: ``your turn`` for them only, else ``Alex Kim's turn``
    (``their turn`` for several people, ``settled`` for nobody)."""
    if not slug:
        return "settled"
    if "+" in slug:
        return "their turn"
    if nb.is_reader(slug):
        return "your turn"
    return f"{nb.display(slug)}'s turn"


def is_yours(nb: Notebook, slug: str | None) -> bool:
    """True when ``slug`` (one person, or several joined by ``+``) includes the reader."""
    return bool(slug) and any(nb.is_reader(s) for s in (slug or "").split("+"))


def ref(nb: Notebook, slug: str | None) -> dict[str, str] | None:
    """``{"slug", "name"}``; several people joined by ``+`` keep the joined slug and list their names."""
    if slug is None:
        return None
    if "+" in slug:
        return {"slug": slug, "name": names(nb, slug)}
    return person_ref(nb, slug)


def due_item_json(nb: Notebook, item: DueItem, today: dt.date, within: int) -> dict[str, Any]:
    """One due item as documented in docs/daily.md."""
    return {
        "kind": item.kind,
        "date": item.date,
        "days_overdue": item.days_overdue(today),
        "group": group_of(item, today, within),
        "owner": ref(nb, item.owner),
        "to": ref(nb, item.to),
        "what": item.what,
        "about": item.what if item.kind in ("my-turn", "waiting") else None,
        "thread": item.thread,
        "person": [ref(nb, s) for s in item.people],
        "id": item.id,
        "source": item.source,
        "private": item.private,
        "yours": is_yours(nb, item.owner),
        "label": turn_label(nb, item.owner) if item.kind == "my-turn" else item.kind.replace("-", " "),
        "snoozed": item.snoozed(today),
        "snooze": item.snooze,
        "recurring": item.every,
        "last_done": item.last_done,
        "stale": item.stale,
        "follow_up": item.follow_up,
        "warning": item.warning(today),
        "warn_from": item.warn_from,
        "deadline": item.deadline,
    }


def thread_json(nb: Notebook, t: Thread, today: dt.date) -> dict[str, Any]:
    """One thread as documented in docs/daily.md."""
    latest = t.latest
    return {
        "key": t.key,
        "title": t.title,
        "explicit": t.explicit,
        "state": t.state,
        "turn": ref(nb, t.turn),
        "by": t.by,
        "days_overdue": None if t.by is None else (today - t.by).days,
        "about": t.about,
        "people": [ref(nb, s) for s in t.people],
        "conversations": len(t.conversations),
        "last_date": latest.date,
        "latest": latest.path,
        "source": f"{latest.path}:{latest.next.line if latest.next else 1}",
        "private": any(nb.is_private(c) for c in t.conversations),
        "yours": is_yours(nb, t.turn),
        "label": turn_label(nb, t.turn),
        "recorded_by": ref(nb, nb.author_of(latest)),
        "snooze": latest.next.snooze if latest.next else None,
    }


def brief_json(nb: Notebook, b: Brief, today: dt.date) -> dict[str, Any]:
    """A brief as documented in docs/daily.md."""
    def promise(p: Any) -> dict[str, Any]:
        return {**commitment_to_json(nb, p.commitment, p.closed_by), "conversation": p.conversation.path,
                "fulfilled": p.fulfilled, "private": p.private}

    from ..referrals import names_index

    names = names_index(nb)

    def referral(e: Any) -> dict[str, Any]:
        return {**referral_to_json(nb, e.referral, names), "date": e.conversation.date, "private": e.private}

    subject = note_to_json(nb, b.subject)
    subject.pop("body", None)
    return {
        "today": today,
        "kind": b.subject.kind,
        "subject": subject,
        "about": b.subject.body.strip(),
        "org": None if b.org is None else {"slug": b.org.slug, "name": b.org.name, "what": b.org.what,
                                           "website": b.org.website},
        "people": [{"slug": p.slug, "name": p.name, "role": p.role, "email": list(p.emails),
                    "phone": list(p.phones), "expertise": list(p.expertise), "private": nb.is_private(p)}
                   for p in b.people],
        "last_spoke": None if b.last is None else {
            "date": b.last.time.isoformat() if b.last.time else b.last.date, "title": b.last.title,
            "recorded_by": ref(nb, b.recorders[0].slug), "source": b.last.path},
        "recorded_by": [{"person": ref(nb, r.slug), "date": r.conversation.date, "source": r.conversation.path}
                        for r in b.recorders],
        "last_edited": None if b.last_edit is None else {
            "date": b.last_edit.date, "author": b.last_edit.author,
            "team_member": ref(nb, b.last_edit.team_member) if b.last_edit.team_member else None,
            "source": b.last_edit.path},
        "threads": [thread_json(nb, t, today) for t in b.threads],
        "they_owe": [promise(p) for p in b.they_owe],
        "we_owe": [promise(p) for p in b.we_owe],
        "sent": [promise(p) for p in b.sent],
        "interests": [{"text": i.text, "date": i.conversation.date, "source": i.conversation.path,
                       "private": i.private} for i in b.interests],
        "referrals": {"given": [referral(e) for e in b.referrals_given],
                      "received": [referral(e) for e in b.referrals_received],
                      "recommended": [referral(e) for e in b.recommended]},
        "keep_in_touch": [{"person": ref(nb, k.person.slug), "cadence": str(cadence_of(nb, k.person)[0]), "due": k.due,
                           "never_contacted": k.never} for k in b.keep_in_touch],
        "history": [{"date": h.conversation.time.isoformat() if h.conversation.time else h.conversation.date,
                     "channel": h.conversation.channel, "title": h.conversation.title,
                     "with": [ref(nb, s) for s in h.conversation.with_], "excerpt": list(h.excerpt),
                     "source": h.conversation.path, "private": h.private} for h in b.history],
    }


def party_details(nb: Notebook, party: Party) -> dict[str, Any]:
    """Role, org and contact of a recommended person; what and website of an org; nothing for free text."""
    if party.kind == "person" and party.slug:
        p = nb.people[party.slug]
        return {"role": p.role, "org": person_ref(nb, p.org), "email": list(p.emails), "phone": list(p.phones)}
    if party.kind == "org" and party.slug:
        o = nb.orgs[party.slug]
        return {"what": o.what, "website": o.website}
    return {}


def recommendation_to_json(nb: Notebook, rec: Recommendation) -> dict[str, Any]:
    """One recommendation as a JSON-ready dict (keys documented in docs/referrals.md)."""
    conv = rec.conversation
    return {
        "by": person_ref(nb, rec.by),
        "to": person_ref(nb, rec.to),
        "introduction": rec.introduction,
        "date": rec.date,
        "note": rec.note,
        "for": list(rec.referral.topics),
        "source": rec.source,
        "conversation": {"slug": conv.slug, "title": conv.title, "path": conv.path},
        "private": rec.private,
    }


def expert_to_json(nb: Notebook, expert: Expert) -> dict[str, Any]:
    p = expert.person
    return {"slug": p.slug, "name": p.name, "role": p.role, "org": person_ref(nb, p.org),
            "email": list(p.emails), "phone": list(p.phones), "expertise": list(expert.matched),
            "private": expert.private}


def entry_to_json(nb: Notebook, entry: TopicEntry, limit: int | None = None) -> dict[str, Any]:
    """One topic as a JSON-ready dict; ``limit`` keeps the top parties only."""
    shown = entry.parties if limit is None else entry.parties[:limit]
    return {
        "topic": entry.label,
        "key": entry.key,
        "forms": entry.forms,
        "recommended": [
            {"rank": rank, "kind": party.kind, "slug": party.slug, "name": party.name,
             "private": party.private, "recommenders": party.recommenders, "latest": party.latest,
             "details": party_details(nb, party),
             "recommendations": [recommendation_to_json(nb, r) for r in party.recommendations]}
            for rank, party in enumerate(shown, 1)
        ],
        "more": len(entry.parties) - len(shown),
        "experts": [expert_to_json(nb, e) for e in entry.experts],
    }


def search_hit_json(hit: Any) -> dict[str, Any]:
    """One search result (docs/find.md): the excerpt's matches marked with ``[`` and ``]``."""
    from ..search import HIT_END, HIT_START

    return {"path": hit.path, "line": hit.line, "source": f"{hit.path}:{hit.line}", "kind": hit.kind,
            "slug": hit.slug, "title": hit.title, "date": hit.date, "private": hit.private,
            "score": round(hit.score, 4), "excerpt": hit.excerpt.replace(HIT_START, "[").replace(HIT_END, "]")}


def contact_json(nb: Notebook, row: Any, today: dt.date) -> dict[str, Any]:
    """One row of ``convo people``/``convo orgs`` (docs/find.md)."""
    note = row.note
    last = row.last
    return {
        "slug": note.slug, "name": note.name, "kind": note.kind, "path": note.path,
        "org": person_ref(nb, note.org) if isinstance(note, Person) else None,
        "role": note.role if isinstance(note, Person) else None,
        "tags": list(note.tags),
        "last_contact": None if last is None else {"date": last.date, "title": last.title, "source": last.path},
        "days_since_contact": None if last is None else (today - last.date).days,
        "cadence": str(cadence_of(nb, note)[0]) if isinstance(note, Person) and cadence_of(nb, note)[0] else None,
        "next_contact": row.next_contact,
        "they_owe": row.they_owe, "we_owe": row.we_owe,
        "our_turn": row.our_turn, "their_turn": row.their_turn,
        "conversations": row.conversations,
        "private": nb.is_private(note),
    }
