"""The notebook as data for scripts: JSON, CSV (one table at a time) and SQLite.

All three come from the same rows (:func:`tables`), so a column means the same
in each. Private notes, and conversations with a private person, are left out
unless ``include_private``; a reference to someone left out becomes empty.

The SQLite file has primary and foreign keys, lists stored as JSON text (the
sqlite-utils and datasette convention), and opens as it is in
``datasette notebook.db`` or ``sqlite-utils tables notebook.db``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from .agenda import closed_ids, commitment_state
from .fsutil import WriteFailed, write_with_temp
from .model import Conversation, Notebook

TABLES = ("conversations", "commitments", "referrals", "people", "orgs", "participants")
Row = dict[str, Any]

# Column name -> SQLite declaration. The order is the column order in every format.
COLUMNS: dict[str, dict[str, str]] = {
    "orgs": {"slug": "TEXT PRIMARY KEY", "name": "TEXT NOT NULL", "what": "TEXT", "website": "TEXT",
             "tags": "TEXT", "private": "INTEGER NOT NULL", "path": "TEXT NOT NULL"},
    "people": {"slug": "TEXT PRIMARY KEY", "name": "TEXT NOT NULL", "org": "TEXT REFERENCES orgs(slug)",
               "role": "TEXT", "email": "TEXT", "phone": "TEXT", "expertise": "TEXT", "tags": "TEXT",
               "aliases": "TEXT", "cadence": "TEXT", "team": "INTEGER NOT NULL", "private": "INTEGER NOT NULL",
               "path": "TEXT NOT NULL"},
    "conversations": {"slug": "TEXT PRIMARY KEY", "date": "TEXT NOT NULL", "time": "TEXT", "title": "TEXT",
                      "with": "TEXT", "channel": "TEXT", "thread": "TEXT",
                      "org": "TEXT REFERENCES orgs(slug)", "recorded_by": "TEXT REFERENCES people(slug)",
                      "tags": "TEXT", "interests": "TEXT", "next_turn": "TEXT", "next_by": "TEXT",
                      "next_about": "TEXT", "private": "INTEGER NOT NULL", "path": "TEXT NOT NULL",
                      "body": "TEXT"},
    "participants": {"conversation": "TEXT NOT NULL REFERENCES conversations(slug)",
                     "person": "TEXT NOT NULL REFERENCES people(slug)"},
    "commitments": {"key": "TEXT PRIMARY KEY", "id": "TEXT",
                    "conversation": "TEXT NOT NULL REFERENCES conversations(slug)", "what": "TEXT NOT NULL",
                    "owner": "TEXT REFERENCES people(slug)", "to": "TEXT REFERENCES people(slug)",
                    "due": "TEXT", "done": "TEXT", "closed_by": "TEXT REFERENCES conversations(slug)",
                    "state": "TEXT NOT NULL", "source": "TEXT NOT NULL"},
    "referrals": {"key": "TEXT PRIMARY KEY", "conversation": "TEXT NOT NULL REFERENCES conversations(slug)",
                  "recommends": "TEXT NOT NULL", "recommends_person": "TEXT REFERENCES people(slug)",
                  "recommends_org": "TEXT REFERENCES orgs(slug)", "for": "TEXT", "by": "TEXT REFERENCES people(slug)",
                  "to": "TEXT REFERENCES people(slug)", "note": "TEXT", "date": "TEXT NOT NULL",
                  "source": "TEXT NOT NULL"},
}
_PRIMARY = {"participants": ("conversation", "person")}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def tables(nb: Notebook, today: dt.date, include_private: bool = False) -> dict[str, list[Row]]:
    """Every table as a list of rows (dicts in :data:`COLUMNS` order); lists stay Python lists."""
    people = {s: p for s, p in nb.people.items() if include_private or not nb.is_private(p)}
    orgs = {s: o for s, o in nb.orgs.items() if include_private or not nb.is_private(o)}

    def person(slug: str | None) -> str | None:
        slug = nb.canon(slug) if slug else None
        return slug if slug in people else None

    def hidden(conv: Conversation) -> bool:
        if include_private:
            return False
        return nb.is_private(conv) or any((nb.canon(s) or s) in nb.people and (nb.canon(s) or s) not in people
                                          for s in conv.with_)

    convs: list[Conversation] = []
    shown: set[str] = set()
    for conv in nb.conversations:  # a duplicate slug (a validation error) keeps its first note only
        if not hidden(conv) and conv.slug not in shown:
            convs.append(conv)
            shown.add(conv.slug)
    ids: set[str] = set()
    closed = closed_ids(nb)
    out: dict[str, list[Row]] = {name: [] for name in TABLES}
    for o in orgs.values():
        out["orgs"].append({"slug": o.slug, "name": o.name, "what": o.what, "website": o.website,
                            "tags": list(o.tags), "private": nb.is_private(o), "path": o.path})
    for p in people.values():
        out["people"].append({"slug": p.slug, "name": p.name, "org": p.org if p.org in orgs else None,
                              "role": p.role, "email": list(p.emails), "phone": list(p.phones),
                              "expertise": list(p.expertise), "tags": list(p.tags), "aliases": list(p.aliases),
                              "cadence": str(p.cadence) if p.cadence else None, "team": p.team,
                              "private": nb.is_private(p), "path": p.path})
    for conv in convs:
        org = nb.org_of(conv)
        nxt = conv.next
        turn = None if nxt is None else nxt.turn if nxt.turn == "them" else person(nxt.turn) or nxt.turn
        out["conversations"].append({
            "slug": conv.slug, "date": conv.date.isoformat(), "time": conv.time.isoformat() if conv.time else None,
            "title": conv.title, "with": [nb.canon(s) or s for s in conv.with_], "channel": conv.channel,
            "thread": nb.thread_key(conv), "org": org if org in orgs else None,
            "recorded_by": person(conv.recorded_by or "me"), "tags": list(conv.tags),
            "interests": list(conv.interests), "next_turn": turn, "next_by": _iso(nxt.by) if nxt else None,
            "next_about": nxt.about if nxt else None, "private": nb.is_private(conv), "path": conv.path,
            "body": conv.body})
        for slug in dict.fromkeys(nb.canon(s) or s for s in conv.with_):
            if slug in people:
                out["participants"].append({"conversation": conv.slug, "person": slug})
        for c in conv.commitments:
            closer = closed.get(c.id) if c.id else None
            unique = c.id is not None and c.id not in ids
            ids.add(c.id or "")
            out["commitments"].append({
                "key": c.id if unique else f"{conv.slug}#{c.index}", "id": c.id, "conversation": conv.slug,
                "what": c.what,
                "owner": person(c.owner), "to": person(c.to), "due": _iso(c.due), "done": _iso(c.done),
                "closed_by": closer.slug if closer and closer.slug in shown else None,
                "state": commitment_state(c, closed, today), "source": f"{c.path}:{c.line}"})
        for r in conv.referrals:
            if r.recommends in people or r.recommends in orgs:
                recommends = nb.display(r.recommends)
            elif r.recommends in nb.people or r.recommends in nb.orgs:
                continue  # recommends someone private
            else:
                recommends = r.recommends  # free text: someone with no file yet
            out["referrals"].append({
                "key": f"{conv.slug}#{r.index}", "conversation": conv.slug, "recommends": recommends,
                "recommends_person": r.recommends if r.recommends in people else None,
                "recommends_org": r.recommends if r.recommends in orgs else None,
                "for": list(r.topics), "by": person(r.by), "to": person(r.to), "note": r.note,
                "date": conv.date.isoformat(), "source": f"{r.path}:{r.line}"})
    return out


def to_json(nb: Notebook, today: dt.date, include_private: bool = False) -> str:
    """Every table as one JSON document ``{"conversations": [...], ...}``."""
    return json.dumps(tables(nb, today, include_private), indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


def to_csv(nb: Notebook, today: dt.date, table: str, include_private: bool = False) -> str:
    """One table as CSV with a header row; lists are joined with ``; ``, booleans are ``true``/``false``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = list(COLUMNS[table])
    writer.writerow(columns)
    for row in tables(nb, today, include_private)[table]:
        writer.writerow(["; ".join(v) if isinstance(v, list) else ("true" if v is True else "false" if v is False
                         else "" if v is None else v) for v in (row[c] for c in columns)])
    return buffer.getvalue()


def _create_sql(table: str) -> str:
    cols = [f'"{name}" {decl}' for name, decl in COLUMNS[table].items()]
    if table in _PRIMARY:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in _PRIMARY[table]) + ")")
    return f'CREATE TABLE "{table}" (\n  ' + ",\n  ".join(cols) + "\n)"


# SQLite's primary result codes for a write that failed: PERM, READONLY, IOERR, FULL, CANTOPEN.
_WRITE_ERRORS = frozenset({3, 8, 10, 13, 14})


def write_sqlite(nb: Notebook, today: dt.date, target: Path, include_private: bool = False) -> None:
    """Write the SQLite database to ``target``, replacing it atomically if it exists.

    The database is built in the locked temporary file of :mod:`~convo_notes.fsutil`
    (removed on failure, reused after a crash); a failure to write, SQLite's
    "database or disk is full" included, is :class:`~convo_notes.fsutil.WriteFailed`.
    """
    data = tables(nb, today, include_private)

    def build(tmp: Path) -> None:
        try:
            db = sqlite3.connect(tmp)
        except sqlite3.Error as exc:
            raise WriteFailed.from_error(str(target), exc) from None
        try:
            db.execute("PRAGMA journal_mode = MEMORY")  # no -journal file beside the temporary one
            db.execute("PRAGMA foreign_keys = ON")
            for table in ("orgs", "people", "conversations", "participants", "commitments", "referrals"):
                db.execute(_create_sql(table))
                columns = list(COLUMNS[table])
                sql = (f'INSERT INTO "{table}" (' + ", ".join(f'"{c}"' for c in columns) + ") VALUES ("
                       + ", ".join("?" for _ in columns) + ")")
                db.executemany(sql, [[_cell(row[c]) for c in columns] for row in data[table]])
            for table, column in (("conversations", "date"), ("commitments", "due"), ("participants", "person"),
                                  ("referrals", "recommends")):
                db.execute(f'CREATE INDEX "idx_{table}_{column}" ON "{table}" ("{column}")')
            db.commit()
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _WRITE_ERRORS:
                raise
            raise WriteFailed.from_error(str(target), exc) from None
        finally:
            db.close()

    write_with_temp(target, build, name=str(target))
