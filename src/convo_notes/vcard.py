"""Contacts in and out: vCard files <-> people notes.

Reading (:func:`parse_vcards`) accepts vCard 2.1, 3.0 and 4.0 as contacts
apps write them: CRLF or LF, folded lines, quoted-printable values (2.1/3.0),
escaped ``\\,`` ``\\;`` ``\\n``, several cards per file, any UTF-8 name.

Importing (:func:`plan_import`, then :func:`apply_plan`) matches each card to
a person by email (case-insensitive) or by name (case- and accent-insensitive),
creates new people (and their organizations) with unique slugs, and for people
who already exist only *adds* what is missing: a hand-written field is replaced
only with ``overwrite``. Existing notes are edited line by line, so everything
else in them (comments, order, body) stays as written. Every file is written
atomically.

Writing (:func:`export_vcards`) produces vCard 4.0.
"""

from __future__ import annotations

import os
import quopri
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CommandFailed
from .fsutil import FileChanged, WriteFailed, atomic_create, atomic_write, read_snapshot
from .ics import escape_text, fold
from .loader import build_record
from .model import Notebook, Person
from .parse import read_note
from .schema import slugify
from .yamlwrite import yaml_value

RESERVED_SLUGS = frozenset({"me", "them"})


# --- reading vCards --------------------------------------------------------------------


@dataclass(slots=True)
class Card:
    """What one vCard says about a person."""

    line: int  # line of its BEGIN:VCARD
    version: str = ""
    fn: str = ""
    n: tuple[str, ...] = ()  # family, given, additional, prefixes, suffixes
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    org: str = ""
    title: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        """FN, else the name composed from N (given, additional, family)."""
        if self.fn.strip():
            return " ".join(self.fn.split())
        family, given, additional = (list(self.n) + ["", "", ""])[:3]
        return " ".join(part for part in (given, additional, family) if part.strip()).strip()


def _decode_file(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _split_unquoted(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside double quotes."""
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _is_quoted_printable(line: str) -> bool:
    head = _split_unquoted(line, ":")[0].upper()
    return "QUOTED-PRINTABLE" in head


def unfold(text: str) -> list[tuple[int, str]]:
    """Logical content lines with their first physical line number.

    A line starting with a space or tab continues the previous one (RFC 6350
    3.2); a quoted-printable value ending in ``=`` continues on the next line.
    """
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if out and raw[:1] in (" ", "\t"):
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif out and out[-1][1].endswith("=") and _is_quoted_printable(out[-1][1]):
            out[-1] = (out[-1][0], out[-1][1][:-1] + raw)  # a quoted-printable soft line break
        elif raw.strip():
            out.append((number, raw))
    return out


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _components(value: str) -> list[str]:
    """A structured value (N, ORG) split at unescaped ``;``, each part unescaped."""
    parts, current, i = [], "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            current += value[i:i + 2]
            i += 2
            continue
        if value[i] == ";":
            parts.append(current)
            current = ""
        else:
            current += value[i]
        i += 1
    parts.append(current)
    return [_unescape(p).strip() for p in parts]


def _parse_line(line: str) -> tuple[str, dict[str, str], str] | None:
    """``(NAME, params, value)`` of one content line (a ``group.`` prefix dropped)."""
    head = _split_unquoted(line, ":")[0]
    if len(head) == len(line):
        return None
    value = line[len(head) + 1:]
    pieces = _split_unquoted(head, ";")
    name = pieces[0].rsplit(".", 1)[-1].strip().upper()
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        key, eq, val = piece.partition("=")
        if eq:
            params[key.strip().upper()] = val.strip().strip('"')
        elif piece.strip().upper() in ("QUOTED-PRINTABLE", "BASE64", "8BIT"):
            params["ENCODING"] = piece.strip().upper()
        else:  # vCard 2.1 bare type: TEL;WORK;VOICE:
            params["TYPE"] = ",".join(filter(None, (params.get("TYPE", ""), piece.strip())))
    return name, params, value


def _decode_value(params: dict[str, str], value: str) -> str:
    if params.get("ENCODING", "").upper() in ("QUOTED-PRINTABLE", "QP"):
        raw = quopri.decodestring(value.encode("utf-8"))
        charset = params.get("CHARSET", "utf-8")
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return raw.decode("utf-8", errors="replace")
    return value


def parse_vcards(data: bytes | str) -> list[Card]:
    """Every card in a vCard file, in order. Unknown properties are ignored."""
    cards: list[Card] = []
    card: Card | None = None
    for number, line in unfold(_decode_file(data)):
        parsed = _parse_line(line)
        if parsed is None:
            continue
        name, params, raw = parsed
        value = _decode_value(params, raw)
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            card = Card(number)
        elif name == "END" and value.strip().upper() == "VCARD":
            if card is not None:
                cards.append(card)
            card = None
        elif card is None:
            continue
        elif name == "VERSION":
            card.version = value.strip()
        elif name == "FN":
            card.fn = _unescape(value).strip()
        elif name == "N":
            card.n = tuple(_components(value))
        elif name == "EMAIL":
            email = _unescape(value).strip()
            email = email[7:] if email.lower().startswith("mailto:") else email
            if email and email.lower() not in (e.lower() for e in card.emails):
                card.emails.append(email)
        elif name == "TEL":
            phone = _unescape(value).strip()
            phone = phone[4:] if phone.lower().startswith("tel:") else phone
            if phone and phone not in card.phones:
                card.phones.append(phone)
        elif name == "ORG":
            card.org = next((c for c in _components(value) if c), "")
        elif name == "TITLE" or (name == "ROLE" and not card.title):
            card.title = _unescape(value).strip()
        elif name == "NOTE":
            card.note = _unescape(value).strip()
    return cards


# --- writing vCards -----------------------------------------------------------------------


def _component(value: str) -> str:
    return escape_text(value)


def person_vcard(nb: Notebook, person: Person, include_private: bool = False) -> str:
    """One person as a vCard 4.0, CRLF line ends, folded at 75 octets.

    A private organization's name is left out unless ``include_private``.
    """
    words = person.name.split()
    family, given = (words[-1], " ".join(words[:-1])) if len(words) > 1 else (person.name, "")
    person_uid = uuid.uuid5(uuid.NAMESPACE_URL, f"convo-notes:person:{person.slug}")
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:urn:uuid:{person_uid}", f"FN:{escape_text(person.name)}",
             f"N:{_component(family)};{_component(given)};;;"]
    lines += [f"EMAIL:{escape_text(e)}" for e in person.emails]
    lines += [f"TEL:{escape_text(p)}" for p in person.phones]
    org = nb.orgs.get(person.org or "")
    if org is not None and (include_private or not nb.is_private(org)):
        lines.append(f"ORG:{_component(org.name)}")
    if person.role:
        lines.append(f"TITLE:{escape_text(person.role)}")
    if person.tags:
        lines.append("CATEGORIES:" + ",".join(escape_text(t) for t in person.tags))
    if person.body.strip():
        lines.append(f"NOTE:{escape_text(person.body.strip())}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def export_vcards(nb: Notebook, slugs: list[str] | None = None, include_private: bool = False) -> str:
    """People as one vCard 4.0 file (all of them, or those in ``slugs``), sorted by slug."""
    chosen = [nb.canon(s) or s for s in slugs] if slugs else sorted(nb.people)
    people = [nb.people[s] for s in chosen if s in nb.people]
    return "".join(person_vcard(nb, p, include_private) for p in people if include_private or not nb.is_private(p))


# --- importing: matching, planning, writing ---------------------------------------------


def fold_name(text: str) -> str:
    """Case- and accent-insensitive form of a name: ``"Zoë  MÜLLER"`` -> ``"zoe muller"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _phone_key(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone)
    return digits or phone


@dataclass
class Action:
    """One planned change of an import: create, update, leave unchanged, or skip."""

    verb: str  # create, update, unchanged, skip
    kind: str  # person, org, card
    path: str
    slug: str
    name: str
    changes: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    set_body: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"action": self.verb, "kind": self.kind, "path": self.path, "slug": self.slug,
                "name": self.name, "changes": list(self.changes)}


@dataclass(slots=True)
class _State:
    """The fields of a person as the import goes along (existing values plus planned changes)."""

    action: Action
    values: dict[str, Any]
    body_empty: bool


def _unique_slug(name: str, used: set[str], fallback: str) -> str:
    base = slugify(name) or fallback
    if base in RESERVED_SLUGS:
        base = f"{base}-{fallback}"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def plan_import(nb: Notebook, cards: list[Card], overwrite: bool = False, source: str = "") -> list[Action]:
    """What importing ``cards`` would do, file by file; nothing is written."""
    used = set(nb.slugs) | {f.rsplit("/", 1)[-1][:-3] for f in nb.files}  # unreadable notes too
    states: dict[str, _State] = {}
    by_email: dict[str, str] = {}
    by_name: dict[str, str] = {}
    orgs_by_name = {fold_name(o.name): o.slug for o in nb.orgs.values()}
    orgs_by_name.update({o.slug: o.slug for o in nb.orgs.values()})
    new_orgs: dict[str, Action] = {}
    skipped: list[Action] = []
    for person in nb.people.values():
        for email in person.emails:
            by_email.setdefault(email.casefold(), person.slug)
        for name in (person.name, *person.aliases):
            by_name.setdefault(fold_name(name), person.slug)
    order: list[str] = []

    def org_slug(name: str) -> str:
        key = fold_name(name)
        if key in orgs_by_name:
            return orgs_by_name[key]
        if slugify(name) in orgs_by_name:
            return orgs_by_name[slugify(name)]
        slug = _unique_slug(name, used, "org")
        orgs_by_name[key] = slug
        new_orgs[slug] = Action("create", "org", f"notes/orgs/{slug}.md", slug, name, ["new organization"],
                                {"name": name})
        return slug

    for card in cards:
        name = card.name
        if not name:
            where = f"{source}:{card.line}" if source else f"line {card.line}"
            skipped.append(Action("skip", "card", where, "", "", ["card has no FN or N: no name to file it under"]))
            continue
        slug = next((by_email[e.casefold()] for e in card.emails if e.casefold() in by_email), None)
        if slug is None:
            slug = by_name.get(fold_name(name))
        if slug is None:
            slug = _unique_slug(name, used, "person")
            states[slug] = _State(Action("create", "person", f"notes/people/{slug}.md", slug, name,
                                         ["new person"]), {"name": name}, True)
        elif slug not in states:
            person = nb.people[slug]
            values = {"name": person.name, "org": person.org, "role": person.role,
                      "email": list(person.emails), "phone": list(person.phones)}
            states[slug] = _State(Action("unchanged", "person", person.path, slug, person.name),
                                  values, not person.body.strip())
        if slug not in order:
            order.append(slug)
        _merge(states[slug], card, overwrite, org_slug)
        state = states[slug]
        for email in state.values.get("email") or ():
            by_email.setdefault(email.casefold(), slug)
        by_name.setdefault(fold_name(state.values["name"]), slug)
    actions = list(new_orgs.values())
    for slug in order:
        action = states[slug].action
        if action.verb == "update" or action.verb == "create":
            action.changes = list(dict.fromkeys(action.changes))
        actions.append(action)
    return actions + skipped


def _merge(state: _State, card: Card, overwrite: bool, org_slug: Any) -> None:
    """Fold one card into a person's planned state, recording what changes."""
    action, values = state.action, state.values
    creating = action.verb == "create"

    def put(key: str, value: Any, note: str) -> None:
        values[key] = value
        action.fields[key] = value
        if not creating:
            action.verb = "update"
            action.changes.append(note)

    if overwrite and not creating and card.name and card.name != values["name"]:
        put("name", card.name, f"name -> {card.name}")
    if card.org:
        slug = org_slug(card.org)
        if values.get("org") != slug and (not values.get("org") or overwrite):
            put("org", slug, f"org {slug}")
    if card.title and values.get("role") != card.title and (not values.get("role") or overwrite):
        put("role", card.title, f"role {card.title}")
    for key, found, same in (("email", card.emails, str.casefold), ("phone", card.phones, _phone_key)):
        if not found:
            continue
        current: list[str] = list(values.get(key) or [])
        if overwrite and not creating:
            if [same(v) for v in current] != [same(v) for v in found]:
                put(key, list(found), f"{key} -> {', '.join(found)}")
            continue
        missing = [v for v in found if same(v) not in {same(c) for c in current}]
        if missing:
            put(key, current + missing, f"add {key} {', '.join(missing)}")
    if card.note and state.body_empty:
        action.body = card.note
        action.set_body = True
        state.body_empty = False
        if not creating:
            action.verb = "update"
            action.changes.append("add note to the body")
    if creating:
        action.fields["name"] = values["name"]


_FIELD_ORDER = ("name", "org", "role", "email", "phone")


def new_note_text(fields: dict[str, Any], body: str = "") -> str:
    """The text of a new person or org note from its fields."""
    keys = [k for k in _FIELD_ORDER if k in fields] + [k for k in fields if k not in _FIELD_ORDER]
    lines = ["---"] + [f"{key}: {yaml_value(fields[key], one_as_scalar=True)}" for key in keys if fields[key]] + ["---"]
    text = "\n".join(lines) + "\n"
    if body.strip():
        text += body.strip() + "\n"
    return text


class CannotEdit(CommandFailed):
    """An existing note's front matter is not in the block style this editor can change safely."""

    @property
    def message(self) -> str:
        return f"nothing imported: {self}"


def edit_note_text(raw: bytes, path: str, fields: dict[str, Any], body: str | None = None) -> bytes:
    """Set top-level ``fields`` in a note, changing only those fields' lines.

    A field that exists is rewritten in place; a new one is added before the
    closing ``---``. The BOM and CRLF line ends of the file are kept. ``body``
    is appended when given (used only when the body is empty).
    """
    fm = read_note(raw, path)
    if fm.data is None:
        raise CannotEdit(f"{path}: its front matter cannot be read")
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    close = fm.body_line - 2  # 0-based index of the closing `---`
    tops = sorted((loc[0] - 1, key[0]) for key, loc in fm.key_locs.items() if len(key) == 1)
    if any(fm.key_locs[(key,)][1] != 1 for _, key in tops):
        raise CannotEdit(f"{path}: front matter is not one `field: value` per line")
    starts = {key: line for line, key in tops}
    bounds = [line for line, _ in tops] + [close]
    replace: dict[int, tuple[int, list[str]]] = {}
    added: list[str] = []
    for key, value in fields.items():
        rendered = [f"{key}: {yaml_value(value, one_as_scalar=True)}"]
        if key in starts:
            start = starts[key]
            end = min(b for b in bounds if b > start)
            while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
                end -= 1  # keep blank lines and comments that follow the field
            replace[start] = (end, rendered)
        else:
            added += rendered
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replace:
            end, rendered = replace[i]
            out += rendered
            i = end
            continue
        if i == close:
            out += added
        out.append(lines[i])
        i += 1
    result = "\n".join(out)
    if body and body.strip():
        result = result.rstrip("\n") + "\n" + body.strip() + "\n"
    data = result.replace("\n", newline).encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


@dataclass(frozen=True, slots=True)
class Rendered:
    """The new bytes of one file, and what it held when they were made (None: a new file)."""

    data: bytes
    before: bytes | None
    before_stat: os.stat_result | None


def render_actions(root: Path, actions: list[Action]) -> dict[str, Rendered]:
    """The new bytes of every file the plan creates or updates, checked against the format."""
    out: dict[str, Rendered] = {}
    for action in actions:
        path = root / action.path
        if action.verb == "create":
            if path.exists():
                raise CannotEdit(f"{action.path} already exists")
            rendered = Rendered(new_note_text(action.fields, action.body).encode("utf-8"), None, None)
        elif action.verb == "update":
            try:
                snapshot = read_snapshot(path, action.path)
            except FileChanged as exc:
                raise CannotEdit(str(exc)) from None
            raw = snapshot.data
            data = edit_note_text(raw, action.path, action.fields, action.body if action.set_body else None)
            rendered = Rendered(data, raw, snapshot.stat)
        else:
            continue
        _, problems = build_record(action.path, read_note(rendered.data, action.path))
        errors = [d for d in problems if d.severity == "error"]
        if errors:
            raise CannotEdit("; ".join(d.format() for d in errors))
        out[action.path] = rendered
    return out


def apply_plan(root: Path, actions: list[Action]) -> list[str]:
    """Write every created or updated file (each atomically); the paths written, in order.

    Every file's new text is rendered and checked before the first one is written.
    An existing note is replaced only if it still holds what was read (else
    :class:`CannotEdit`); a new note never replaces a file that appeared meanwhile.
    A failed write is :class:`~convo_notes.fsutil.WriteFailed` naming the files
    already written; the file it was writing is left as it was.
    """
    files = render_actions(root, actions)
    written: list[str] = []
    for rel, rendered in files.items():
        path = root / rel
        done = f" (already written: {', '.join(written)})" if written else ""
        try:
            if rendered.before is None or rendered.before_stat is None:
                atomic_create(path, rendered.data, name=rel)
            else:
                atomic_write(path, rendered.data, rendered.before, rendered.before_stat, name=rel)
        except FileExistsError:
            raise CannotEdit(f"{rel} appeared while importing; it was left as it is{done}") from None
        except FileChanged as exc:
            raise CannotEdit(f"{exc}{done}") from exc
        except WriteFailed as exc:
            raise WriteFailed(exc.name, exc.reason, exc.errno, done) from None
        written.append(rel)
    return written
