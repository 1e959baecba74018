"""Full-text search over every note: ``convo search QUERY``.

The index is a SQLite database with an FTS5 table, kept in the user's cache
directory beside the notes cache (never in the notebook). Each note is one row:
its title, the names it involves (people, org), every other front-matter value,
and its body, ranked with BM25 (a title match weighs most, then names, then
fields, then the body).

**Never stale.** Every search first compares each note's file key (the same
stat-based key the notes cache uses) with the key stored for its row; changed and
new notes are re-read through the loader (one decision: what the validator
reads is what is indexed), removed ones dropped. Values that depend on other
notes (display names, privacy under ``private_by_default``, whether a commitment
is still open) are recomputed for every row whenever anything changed. A
database that cannot be read is deleted and rebuilt silently.

**The query language** (terms are ANDed):

==========================  ============================================================
``word``                    a word, or a word starting so (``plumb`` finds plumbing)
``"two words"``             a phrase
``-word``, ``-"a phrase"``  notes without it
``with:dana``               conversations with a person (slug, name or part of one)
``org:harbor``              notes of an org (slug or name)
``tag:pricing``             notes tagged so
``channel:email``           conversations by channel
``thread:harbor-renewal``   conversations of a thread
``kind:person``             ``person``, ``org`` or ``conversation``
``since:2026-10-01``        conversations on or after a date; ``before:`` before it
``is:private``              private notes (``is:public`` the others)
``has:open-commitment``     conversations with a commitment still open
``has:next``                conversations that say whose turn it is; ``has:referral`` too
==========================  ============================================================
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .diagnostics import Diagnostic
from .errors import UsageError
from .loader import FileKey, load_notebook, scan_note_files
from .model import Conversation, Note, Notebook, Org, Person

SCHEMA_VERSION = 2
HIT_START, HIT_END = "\x02", "\x03"  # snippet markers, turned into colour or brackets by the renderer
FIELDS = ("with", "org", "tag", "channel", "thread", "kind", "since", "before", "is", "has")
IS_VALUES = ("private", "public")
HAS_VALUES = ("open-commitment", "next", "referral")
KIND_VALUES = ("person", "org", "conversation")
WEIGHTS = (25.0, 10.0, 2.0, 1.0)  # title, names, fields, body: a title or a name match ranks first

EXCERPT_ORDER = (3, 0, 1, 2)  # the excerpt comes from the body when it matched there, else title, names, fields
_TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))')


@dataclass
class Query:
    """A parsed query: text to match, text to exclude, and field filters."""

    terms: list[str] = field(default_factory=list)  # words and phrases that must match
    excluded: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)

    def fts(self) -> str | None:
        """The FTS5 MATCH expression of the text part, or None when there is none."""
        positive = [_fts_term(t) for t in self.terms if _words(t)]
        if not positive:
            return None
        expr = " AND ".join(positive)
        for term in self.excluded:
            if _words(term):
                expr += f" NOT {_fts_term(term)}"
        return expr

    def highlight_words(self) -> list[str]:
        return [w for t in self.terms for w in _words(t)]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _fts_term(text: str) -> str:
    words = _words(text)
    if len(words) == 1:
        return f'"{words[0]}"*'  # a word, or a word starting so
    return '"' + " ".join(words) + '"'


def parse_query(text: str, today: dt.date | None = None) -> Query:
    """Words, quoted phrases, ``-exclusions`` and ``field:value`` filters (see the module).

    ``since:`` and ``before:`` take dates as people say them (``since:-2w``, ``before:fri``),
    counted from ``today`` (default: the real today).
    """
    query = Query()
    for match in _TOKEN.finditer(text):
        negate, name, phrase, word = match.group(1), match.group(2), match.group(3), match.group(4)
        value = phrase if phrase is not None else word or ""
        bare = re.fullmatch(r"(\w+):", value)
        if name is None and bare and bare.group(1).lower() in FIELDS:
            _filter(bare.group(1).lower(), "")  # `with:` alone: says what it needs
        if name is not None and name.lower() in FIELDS and not negate:
            query.filters.append(_filter(name.lower(), value, today))
            continue
        if name is not None:  # `word:thing` that is no filter: plain text
            value = f"{name}:{value}"
        (query.excluded if negate else query.terms).append(value)
    return query


def _filter(name: str, value: str, today: dt.date | None = None) -> tuple[str, str]:
    value = value.strip()
    if not value:
        raise UsageError(f"`{name}:` needs a value")
    if name in ("since", "before"):
        from .humandates import BadDate, parse_human_date

        try:
            return name, parse_human_date(value, today or dt.date.today()).isoformat()
        except BadDate as exc:
            raise UsageError(f"`{name}:{value}`: {exc}") from None
    allowed = {"is": IS_VALUES, "has": HAS_VALUES, "kind": KIND_VALUES}.get(name)
    if allowed and value.lower() not in allowed:
        raise UsageError(f"`{name}:{value}`: use one of {', '.join(f'{name}:{v}' for v in allowed)}")
    return name, value.lower() if allowed else value


# --- the index ------------------------------------------------------------------------------

def index_file(root: Path) -> Path | None:
    """Where the search index of a notebook is kept (None: caching off, an in-memory index)."""
    from .cache.records import cache_file

    target = cache_file(root)
    return None if target is None else target.with_name(f"{target.stem}-search.sqlite")


_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
    slug TEXT NOT NULL, title TEXT NOT NULL, date TEXT, channel TEXT, thread TEXT,
    with_ TEXT NOT NULL DEFAULT '', org TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '',
    private INTEGER NOT NULL DEFAULT 0, open_commitment INTEGER NOT NULL DEFAULT 0,
    has_next INTEGER NOT NULL DEFAULT 0, has_referral INTEGER NOT NULL DEFAULT 0
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, names, fields, body, tokenize = 'unicode61 remove_diacritics 2'
);
PRAGMA user_version = {SCHEMA_VERSION};
"""


def _connect(path: Path | None) -> sqlite3.Connection:
    if path is None:
        conn = sqlite3.connect(":memory:")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
    conn.executescript(_DDL)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"index version {version}")
    conn.execute("SELECT count(*) FROM fts").fetchone()  # a damaged FTS table fails here
    return conn


def open_index(root: Path) -> sqlite3.Connection:
    """The notebook's index, rebuilt silently when it cannot be read."""
    path = index_file(root)
    try:
        return _connect(path)
    except sqlite3.DatabaseError:
        if path is None:
            raise
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass
        return _connect(path)


def _key_text(key: FileKey) -> str:
    return ",".join(str(part) for part in key)


def _config_key(root: Path) -> str:
    from .loader import CONFIG_FILE

    try:
        st = os.stat(root / CONFIG_FILE)
    except OSError:
        return "none"
    return f"{st.st_size},{st.st_mtime_ns},{st.st_ctime_ns},{st.st_ino}|{os.environ.get('CONVO_ME', '')}"


def refresh(conn: sqlite3.Connection, root: Path) -> bool:
    """Bring the index up to date with the notebook; True when anything changed."""
    files = scan_note_files(root)
    stored = dict(conn.execute("SELECT path, key FROM docs"))
    config_key = _config_key(root)
    changed = [rel for rel, key in files.items() if stored.get(rel) != _key_text(key)]
    removed = [rel for rel in stored if rel not in files]
    row = conn.execute("SELECT value FROM meta WHERE name = 'config'").fetchone()
    if not changed and not removed and row is not None and row[0] == config_key:
        return False
    nb = load_notebook(root, check=True)  # checked: the errors every command reports are kept with the index
    notes = _notes_by_path(nb)
    with conn:
        for rel in removed:
            _delete(conn, rel)
        for rel in changed:
            _delete(conn, rel)
            note = notes.get(rel)
            if note is not None:
                _insert(conn, nb, note, _key_text(files[rel]))
            else:  # unreadable: keep its key so it is not re-read until it changes
                conn.execute("INSERT INTO docs (path, key, kind, slug, title, private) VALUES (?, ?, ?, ?, ?, 1)",
                             (rel, _key_text(files[rel]), "unreadable", Path(rel).stem, Path(rel).stem))
        _recompute(conn, nb, notes)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('config', ?)", (config_key,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('errors', ?)",
                     (json.dumps([[d.path, d.line, d.column, d.code, d.message] for d in nb.errors]),))
    return True


def _notes_by_path(nb: Notebook) -> dict[str, Note]:
    notes: dict[str, Note] = {}
    for person in nb.people.values():
        notes[person.path] = person
    for org in nb.orgs.values():
        notes[org.path] = org
    for conv in (*nb.conversations, *nb.incomplete):
        notes[conv.path] = conv
    return notes


def _delete(conn: sqlite3.Connection, rel: str) -> None:
    row = conn.execute("SELECT id FROM docs WHERE path = ?", (rel,)).fetchone()
    if row is not None:
        conn.execute("DELETE FROM fts WHERE rowid = ?", row)
        conn.execute("DELETE FROM docs WHERE id = ?", row)


def _field_text(note: Note) -> str:
    """Every front-matter value of a note but its title and names, as one text."""
    parts: list[str] = []
    if isinstance(note, Person):
        parts += [note.role or "", *note.emails, *note.phones, *note.expertise, *note.tags, *note.aliases]
    elif isinstance(note, Org):
        parts += [note.what or "", note.website or "", *note.tags]
    else:
        parts += [note.channel or "", note.thread or "", *note.tags, *note.interests, *note.closes]
        if note.next is not None:
            parts += [note.next.turn, note.next.about or ""]
        for c in note.commitments:
            parts += [c.what, c.id or "", c.owner or "", c.to or ""]
        for r in note.referrals:
            parts += [r.recommends, *r.topics, r.note or ""]
    return "\n".join(p for p in parts if p)


def _insert(conn: sqlite3.Connection, nb: Notebook, note: Note, key: str) -> None:
    if isinstance(note, Conversation):
        date, channel, thread = note.date.isoformat(), note.channel, note.thread
        tags = note.tags
    else:
        date, channel, thread, tags = None, None, None, getattr(note, "tags", ())
    title = note.title if isinstance(note, Conversation) else note.name
    cur = conn.execute(
        "INSERT INTO docs (path, key, kind, slug, title, date, channel, thread, tags) VALUES (?,?,?,?,?,?,?,?,?)",
        (note.path, key, note.kind, note.slug, title, date, channel, thread,
         " " + " ".join(t.casefold() for t in tags) + " "))
    conn.execute("INSERT INTO fts (rowid, title, names, fields, body) VALUES (?, ?, '', ?, ?)",
                 (cur.lastrowid, title, _field_text(note), _safe_body(note)))


def _safe_body(note: Note) -> str:
    try:
        return note.body
    except (OSError, UnicodeError):
        return ""


def _recompute(conn: sqlite3.Connection, nb: Notebook, notes: dict[str, Note]) -> None:
    """The values of every row that depend on other notes: names, org, privacy, open commitments, thread."""
    from .agenda import open_commitments

    open_paths = {conv.path for conv, _ in open_commitments(nb)}
    rows = conn.execute("SELECT id, path FROM docs").fetchall()
    for rowid, rel in rows:
        note = notes.get(rel)
        if note is None:
            continue
        names: list[str] = []
        with_ = ""
        org = ""
        if isinstance(note, Conversation):
            people = [nb.canon(s) or s for s in note.with_]
            names = [nb.display(s) for s in people]
            with_ = " " + " ".join(f"{s} {nb.display(s).casefold()}" for s in people) + " "
            org_slug = nb.org_of(note) if note.placed else note.org
            thread = nb.thread_key(note) if note.placed else note.thread
        else:
            org_slug = note.org if isinstance(note, Person) else note.slug
            thread = None
        if org_slug:
            org = f" {org_slug} {nb.display(org_slug).casefold()} "
            names.append(nb.display(org_slug))
        conn.execute("UPDATE docs SET with_ = ?, org = ?, private = ?, open_commitment = ?, has_next = ?, "
                     "has_referral = ?, thread = ? WHERE id = ?",
                     (with_, org, int(nb.is_private(note)), int(rel in open_paths),
                      int(isinstance(note, Conversation) and note.next is not None),
                      int(isinstance(note, Conversation) and bool(note.referrals)), thread, rowid))
        conn.execute("UPDATE fts SET names = ? WHERE rowid = ?", (" ".join(names), rowid))


# --- searching ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """One note that matched, best first."""

    path: str
    line: int
    kind: str
    slug: str
    title: str
    date: str | None
    private: bool
    score: float
    excerpt: str  # with HIT_START/HIT_END around matched words


_FILTER_SQL = {
    "channel": ("d.channel = ?", lambda v: v.lower()),
    "thread": ("d.thread = ?", lambda v: v),
    "kind": ("d.kind = ?", lambda v: v),
    "since": ("d.date >= ?", lambda v: v),
    "before": ("d.date < ?", lambda v: v),
    "tag": ("d.tags LIKE ?", lambda v: f"% {v.casefold()} %"),
    "with": ("d.with_ LIKE ?", lambda v: f"% {v.casefold()}%"),
    "org": ("d.org LIKE ?", lambda v: f"% {v.casefold()}%"),
}


def _where(query: Query) -> tuple[list[str], list[Any]]:
    clauses: list[str] = ["d.kind != 'unreadable'"]
    params: list[Any] = []
    for name, value in query.filters:
        if name == "is":
            clauses.append("d.private = ?")
            params.append(1 if value == "private" else 0)
        elif name == "has":
            column = {"open-commitment": "open_commitment", "next": "has_next", "referral": "has_referral"}[value]
            clauses.append(f"d.{column} = 1")
        else:
            sql, convert = _FILTER_SQL[name]
            clauses.append(sql)
            params.append(convert(value))
    return clauses, params


def stored_errors(conn: sqlite3.Connection) -> list[Diagnostic]:
    """The notebook's errors as the last refresh found them (never stale: any change refreshes)."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'errors'").fetchone()
    try:
        return [Diagnostic(*entry) for entry in json.loads(row[0])] if row else []
    except (TypeError, ValueError):
        return []


def search(root: Path, text: str, limit: int | None = 20,
           today: dt.date | None = None) -> tuple[list[Hit], int, list[Diagnostic]]:
    """The notes matching ``text``, best first (at most ``limit``), how many matched in all, and the
    notebook's errors (the same every command reports)."""
    query = parse_query(text, today)
    if not query.terms and not query.excluded and not query.filters:
        raise UsageError("give words to search for, or a filter such as with:dana or tag:pricing")
    conn = open_index(root)
    try:
        refresh(conn, root)
        hits, total = _run(conn, root, query, limit)
        return hits, total, stored_errors(conn)
    finally:
        conn.close()


def _run(conn: sqlite3.Connection, root: Path, query: Query, limit: int | None) -> tuple[list[Hit], int]:
    clauses, params = _where(query)
    match = query.fts()
    if match is None and query.excluded:  # only exclusions: every note but those matching them
        excluded = " OR ".join(_fts_term(t) for t in query.excluded if _words(t))
        if excluded:
            clauses.append("d.id NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(excluded)
    where = " AND ".join(clauses)
    if match is not None:
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (f"SELECT d.id, d.path, d.kind, d.slug, d.title, d.date, d.private, bm25(fts, {weights}) AS score "
               f"FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND {where} "
               "ORDER BY score, d.date DESC, d.path")
        rows = conn.execute(sql, [match, *params]).fetchall()
    else:
        sql = (f"SELECT d.id, d.path, d.kind, d.slug, d.title, d.date, d.private, 0.0 FROM docs d "
               f"WHERE {where} "
               "ORDER BY d.date IS NULL, d.date DESC, d.path")
        rows = conn.execute(sql, params).fetchall()
    total = len(rows)
    shown = rows if limit is None else rows[:limit]
    words = query.highlight_words()
    # excerpts only for the results shown (a snippet costs a pass over the row's text)
    snippets = ", ".join(f"snippet(fts, {column}, '{HIT_START}', '{HIT_END}', '…', 12)" for column in EXCERPT_ORDER)
    hits = []
    for rowid, path, kind, slug, title, date, private, score in shown:
        excerpt = ""
        if match is not None:
            found = conn.execute(f"SELECT {snippets} FROM fts WHERE fts MATCH ? AND rowid = ?",
                                 (match, rowid)).fetchone()
            if found:
                excerpt = next((e for e in found if e and HIT_START in e), found[0] or "")
        hits.append(Hit(path, _line_of(root, path, words), kind, slug, title, date, bool(private), -float(score),
                        excerpt))
    return hits, total


def _line_of(root: Path, rel: str, words: Iterable[str]) -> int:
    """The first line of the file holding one of ``words`` (any case), else 1."""
    wanted = [w for w in words if w]
    if not wanted:
        return 1
    from .loader import read_note_text

    text = read_note_text(root, rel)
    if text is None:
        return 1
    for number, line in enumerate(text.splitlines(), 1):
        folded = line.casefold()
        if any(w in folded for w in wanted):
            return number
    return 1

