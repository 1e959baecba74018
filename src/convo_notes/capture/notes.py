"""Writing imported conversations: the import index, people, and notes that are safe to re-import into.

Every importer (mail, chat, calendar) turns what it read into :class:`Group`
values: the new messages of one note (one thread's exchange-day for mail, one
chat session, one meeting), each message an :class:`Entry`. :class:`NoteWriter`
turns a group into a note, or appends it to the note it belongs to.

The sidecar index ``notes/.convo-import.json`` (a hidden file: the loader,
the validator and the site never read it) remembers

- every imported message key (a mail's Message-ID, a chat message's key, a
  calendar event's UID and recurrence id) and its thread, and every id a mail
  thread refers to, so a re-import adds only new messages and a late reply
  finds its thread;
- for every note written, its path, the SHA-256 of the bytes written and the
  front matter it was written with. A note whose bytes still match is ours to
  append to; a note the user changed (or deleted) is left alone and reported,
  and new messages of its day go to a new note beside it.

Every note is checked with the loader's own checks (:func:`loader.build_record`)
before it is written, and written with :func:`fsutil.atomic_write`, refusing
when the file changed underneath.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CommandFailed
from ..fsutil import FileChanged, atomic_create, atomic_write
from ..loader import build_record
from ..model import Notebook
from ..names import contact_index, phone_key
from ..parse import read_note
from ..schema import SLUG_RE, parse_datetime, slugify
from ..yamlwrite import yaml_value

INDEX_FILE = "notes/.convo-import.json"
INDEX_VERSION = 1
FOLLOW_UP_DAYS = 5
CHAT_GAP_HOURS = 8.0
RESERVED = frozenset({"me", "them"})
NO_PEOPLE = "no known person took part"
FREEMAIL = frozenset({"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
                      "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de",
                      "gmx.net", "web.de", "yandex.ru", "mail.ru", "fastmail.com", "hey.com", "qq.com"})


def capture_settings(nb: Notebook) -> tuple[int, float]:
    """``(follow-up days, chat gap hours)`` from ``convo.yml``'s ``capture:`` mapping (documented defaults)."""
    days, gap = FOLLOW_UP_DAYS, CHAT_GAP_HOURS
    section = nb.config.raw.get("capture")
    if isinstance(section, dict):
        raw_days = str(section.get("follow_up_days", "")).strip()
        raw_gap = str(section.get("chat_gap_hours", "")).strip()
        if raw_days.isdigit():
            days = int(raw_days)
        try:
            gap = float(raw_gap) if raw_gap else gap
        except ValueError:
            pass
    return days, gap


# --- the index ---------------------------------------------------------------------------


class ImportIndex:
    """The sidecar ``notes/.convo-import.json`` (see the module)."""

    def __init__(self, root: Path) -> None:
        self.path = root / INDEX_FILE
        self.imported: dict[str, str] = {}  # message key -> thread slug ("" for none)
        self.refs: dict[str, str] = {}  # an id a mail thread holds or refers to -> thread slug
        self.notes: dict[str, dict[str, Any]] = {}  # note key -> {"path", "sha256", "last", "fields"}
        self.threads: dict[str, dict[str, Any]] = {}  # thread slug -> {"title", "source"}
        # a message read but not imported (no known person took part) -> its correspondents
        # ("Name <address>"): a re-import skips it unparsed until one of them is known
        self.pending: dict[str, list[str]] = {}
        self.raw: bytes | None = None
        try:
            self.raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CommandFailed(f"{INDEX_FILE}: cannot read the import index ({exc.strerror or exc})") from None
        try:
            data = json.loads(self.raw)
            if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
                raise ValueError("not an index of this version")
            self.imported = dict(data["imported"])
            self.refs = dict(data["refs"])
            self.notes = dict(data["notes"])
            self.threads = dict(data["threads"])
            self.pending = dict(data.get("pending", {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandFailed(f"{INDEX_FILE}: the import index cannot be read ({exc}); move it away to "
                                "import anew (already imported messages would then be imported again)") from None

    def thread_of(self, ids: set[str]) -> str | None:
        """The one thread any of these ids already belongs to (the first by name if several)."""
        found = {self.imported.get(i) or self.refs.get(i) for i in ids}
        found.discard(None)
        found.discard("")
        return min(found) if found else None  # type: ignore[type-var]

    def save(self) -> None:
        """Write the index (atomically; sorted keys keep its diffs small in git).

        The notes it records were written without a ``fsync`` each; ``os.sync()``
        makes them durable first, so the index never names a note a crash lost.
        """
        data = json.dumps({"version": INDEX_VERSION, "imported": self.imported, "refs": self.refs,
                           "notes": self.notes, "threads": self.threads, "pending": self.pending},
                          ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8") + b"\n"
        if data != self.raw:
            os.sync()
            # refused (FileChanged) if another import saved the index meanwhile: nothing of it is lost
            atomic_write(self.path, data, expected=self.raw or None)
            self.raw = data


# --- people ------------------------------------------------------------------------------


@dataclass
class NewPerson:
    """A person an import creates (``--create-people``)."""

    slug: str
    name: str
    email: str | None = None
    phone: str | None = None
    org: str | None = None
    path: str = ""


def _domain_of_site(website: str) -> str:
    host = website.strip().lower()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/")[0].split(":")[0]
    return host[4:] if host.startswith("www.") else host


class Directory:
    """Who is who in an import: people by address, phone and name, our own side, orgs by domain."""

    def __init__(self, nb: Notebook, me_addresses: tuple[str, ...] = (), me_names: tuple[str, ...] = (),
                 create: bool = False) -> None:
        self.nb = nb
        self.emails, self.phones = contact_index(nb)
        self.ours = {p.slug for p in nb.people.values() if p.team}
        if nb.me and nb.me in nb.people:
            self.ours.add(nb.me)
        self.our_addresses = {a.strip().lower() for a in me_addresses}
        self.our_names = {" ".join(n.split()).casefold() for n in me_names}
        self.create = create
        self.created: dict[str, NewPerson] = {}  # address or name key -> planned person
        self.by_name: dict[str, str | None] = {}  # names already looked up
        self.unknown: dict[str, int] = {}  # "Name <address>" -> messages
        self.used = set(nb.slugs) | RESERVED
        self.domains: dict[str, str] = {}
        for org in nb.orgs.values():
            if org.website:
                self.domains.setdefault(_domain_of_site(org.website), org.slug)
        for person in nb.people.values():
            if person.org and person.org in nb.orgs:
                for addr in person.emails:
                    domain = addr.rsplit("@", 1)[-1].lower()
                    if domain not in FREEMAIL:
                        self.domains.setdefault(domain, person.org)

    def is_ours(self, addr: str = "", name: str = "", phone: str = "") -> bool:
        """Whether a sender is on our side: a team member, ``me``, or given with ``--me``."""
        if addr and addr in self.our_addresses:
            return True
        if name and " ".join(name.split()).casefold() in self.our_names:
            return True
        slug = self.find(addr, name, phone, create=False)
        return slug is not None and slug in self.ours

    def org_for(self, addr: str) -> str | None:
        """The org whose website (or whose people's mail) is at this address's domain or a parent of it."""
        domain = addr.rsplit("@", 1)[-1].lower()
        parts = domain.split(".")
        for i in range(len(parts) - 1):
            found = self.domains.get(".".join(parts[i:]))
            if found:
                return found
        return None

    def find(self, addr: str = "", name: str = "", phone: str = "", create: bool | None = None) -> str | None:
        """The person slug for an address, a phone number or a name (in that order), or None.

        Unknown ones are counted in :attr:`unknown`, and planned as new people with ``create``.
        """
        from ..names import lookup

        if addr and addr in self.emails:
            return self.emails[addr]
        key = phone_key(phone) if phone else ""
        if key and key in self.phones:
            return self.phones[key]
        if name and not addr:
            if name not in self.by_name:  # a chat names the same few people thousands of times
                found = lookup(self.nb, name, ("person",), prefix=False)
                self.by_name[name] = found[0] if len(found) == 1 else None
            if self.by_name[name]:
                return self.by_name[name]
        ident = addr or key or " ".join(name.split()).casefold()
        if not ident:
            return None
        planned = self.created.get(ident)
        if planned is not None:
            return planned.slug
        if create is False:
            return None
        label = f"{name} <{addr}>" if name and addr else (addr or name or phone)
        self.unknown[label] = self.unknown.get(label, 0) + 1
        if not (self.create if create is None else create):
            return None
        base_name = name.strip() or (addr.split("@")[0] if addr else phone)
        base = slugify(base_name, 50) or slugify(addr.replace("@", "-at-"), 50) or "person"
        if base in RESERVED:
            base = f"{base}-person"
        slug, n = base, 2
        while slug in self.used:
            slug, n = f"{base}-{n}", n + 1
        self.used.add(slug)
        person = NewPerson(slug, name.strip() or base_name, addr or None, phone or None,
                           self.org_for(addr) if addr else None, f"notes/people/{slug}.md")
        self.created[ident] = person
        return slug

    def display(self, slug: str | None, fallback: str) -> str:
        """How a sender is shown in a message's header line: the notebook's name for a known person."""
        if slug and slug in self.nb.people:
            return self.nb.people[slug].name
        for person in self.created.values():
            if person.slug == slug:
                return person.name
        return fallback


def person_text(person: NewPerson, private: bool) -> str:
    """The note of a created person."""
    lines = ["---", f"name: {yaml_value(person.name)}"]
    if person.org:
        lines.append(f"org: {person.org}")
    if person.email:
        lines.append(f"email: {yaml_value(person.email)}")
    if person.phone:
        lines.append(f"phone: {yaml_value(person.phone)}")
    lines.append(f"private: {'true' if private else 'false'}")
    lines += ["---", "Created by `convo import` from the messages they sent or received.", ""]
    return "\n".join(lines)


# --- notes -------------------------------------------------------------------------------


@dataclass
class Entry:
    """One message of a note: its key, time, side, people and the Markdown shown for it."""

    key: str
    when: dt.datetime  # naive local time
    ours: bool
    people: tuple[str, ...]  # known person slugs taking part, our side left out
    sender: str  # display name
    block: str  # Markdown: a header line and the text


@dataclass
class Group:
    """The new messages of one note."""

    note_key: str  # stable across runs: the thread's exchange-day, the chat session, the event
    folder: str  # under notes/
    thread: str | None
    title: str
    channel: str
    entries: list[Entry]
    turns: bool = True  # infer `next` from the last message (not for meeting stubs)


@dataclass
class Outcome:
    """What happened to one note: created, appended to, left alone (changed by hand) or skipped."""

    verb: str  # create, append, edited, skip
    path: str
    messages: int
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"action": self.verb, "path": self.path, "messages": self.messages, "reason": self.reason}


def _fm_line(key: str, value: Any) -> str:
    return f"{key}: {yaml_value(value)}"


def render_note(fields: dict[str, Any], body: str) -> bytes:
    """A note's bytes from its front matter fields (in the format's order) and body."""
    lines = ["---"]
    for key in ("title", "date", "with", "recorded_by", "channel", "thread", "private"):
        value = fields.get(key)
        if value is None or value == []:
            continue
        if key == "private":
            lines.append(f"private: {'true' if value else 'false'}")
        elif key == "with":
            lines.append(f"with: [{', '.join(value)}]")
        elif key == "date":
            lines.append(f"date: {value}")
        else:
            lines.append(_fm_line(key, value))
    nxt = fields.get("next")
    if nxt:
        lines.append("next:")
        lines.append(f"  turn: {nxt['turn']}")
        if nxt.get("by"):
            lines.append(f"  by: {nxt['by']}")
        if nxt.get("about"):
            lines.append(f"  about: {yaml_value(nxt['about'])}")
    lines.append("---")
    return ("\n".join(lines) + "\n" + body).encode("utf-8")


def _split_own(data: bytes) -> bytes:
    """The body of a note this module wrote: everything after its closing ``---`` line."""
    end = data.find(b"\n---\n", 3)
    return data[end + 5:] if end >= 0 else b""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def escape_text(text: str) -> str:
    """Message text made safe in a note body: no wiki links (``[[``) a mail could plant."""
    return text.replace("[[", "[\\[")


class NoteWriter:
    """Writes groups as notes, appending to an untouched note and never to one changed by hand."""

    def __init__(self, nb: Notebook, index: ImportIndex, *, private: bool, follow_up_days: int,
                 dry_run: bool) -> None:
        self.nb = nb
        self.root = nb.root
        self.index = index
        self.private = private
        self.follow_up = dt.timedelta(days=follow_up_days)
        self.dry_run = dry_run
        self.used = set(nb.slugs) | RESERVED | {Path(n["path"]).stem for n in index.notes.values()}
        self.outcomes: list[Outcome] = []
        self.written = 0
        # in a team notebook a note says who recorded it (format v1.1: its `me` is its author)
        self.author = nb.viewer if len(nb.team) > 1 else None

    def _next(self, last: Entry, about_them: str) -> dict[str, Any]:
        if last.ours:
            return {"turn": "them", "by": (last.when.date() + self.follow_up).isoformat(), "about": about_them}
        return {"turn": "me", "by": (last.when.date() + self.follow_up).isoformat(), "about": f"reply to {last.sender}"}

    def _new_path(self, group: Group, day: dt.date) -> str:
        base = slugify(f"{day.isoformat()}-{group.thread or group.title}", 70) or day.isoformat()
        slug, n = base, 2
        while slug in self.used or os.path.exists(self.root / "notes" / group.folder / f"{slug}.md"):
            slug, n = f"{base}-{n}", n + 1
        self.used.add(slug)
        return f"notes/{group.folder}/{slug}.md"

    def write(self, group: Group, about_them: str = "wait for their reply") -> Outcome:
        """Create or extend the note of ``group`` (see the module); the outcome is also kept in :attr:`outcomes`."""
        entries = sorted(group.entries, key=lambda e: e.when)
        people = list(dict.fromkeys(p for e in entries for p in e.people))
        known = self.index.notes.get(group.note_key)
        old: bytes | None = None
        verb = "create"
        reason = ""
        if known is not None:
            target = self.root / known["path"]
            try:
                old = target.read_bytes()
            except OSError:
                old = None
            if old is not None and _sha(old) == known.get("sha256"):
                verb = "append"
            else:
                reason = "changed by hand" if old is not None else "deleted"
                self.outcomes.append(Outcome("edited", known["path"], 0, reason))
                old = None
        if verb == "append":
            assert known is not None and old is not None
            path = known["path"]
            fields = dict(known["fields"])
            fields["with"] = list(dict.fromkeys([*fields.get("with", []), *people]))
            last_before = parse_datetime(str(known.get("last", ""))) or dt.datetime.min
            if group.turns and entries[-1].when >= last_before:
                fields["next"] = self._next(entries[-1], about_them)
                known_last = entries[-1].when
            else:
                known_last = last_before
            body = _split_own(old).decode("utf-8") + "".join("\n" + e.block for e in entries)
        else:
            first = entries[0].when
            path = self._new_path(group, first.date())
            fields = {"title": group.title, "date": first.strftime("%Y-%m-%dT%H:%M"), "with": people,
                      "recorded_by": self.author, "channel": group.channel, "thread": group.thread,
                      "private": self.private,
                      "next": self._next(entries[-1], about_them) if group.turns else None}
            known_last = entries[-1].when
            body = "".join(("\n" if i else "") + e.block for i, e in enumerate(entries))
        if not fields["with"]:
            outcome = Outcome("skip", path, len(entries), NO_PEOPLE)
            self.outcomes.append(outcome)
            return outcome
        data = render_note(fields, body)
        problems = [d for d in build_record(path, read_note(data, path), str(self.root))[1] if d.severity == "error"]
        if problems:
            first_problem = problems[0]
            outcome = Outcome("skip", path, len(entries), f"would not validate: {first_problem.message}")
            self.outcomes.append(outcome)
            return outcome
        if not self.dry_run:
            try:
                if old is None:  # a new note: never replaces a file that appeared meanwhile
                    atomic_create(self.root / path, data, name=path, sync=False)  # made durable in save()
                else:
                    atomic_write(self.root / path, data, expected=old, sync=False)  # made durable in save()
            except (FileChanged, FileExistsError):
                outcome = Outcome("edited", path, 0, "changed while importing")
                self.outcomes.append(outcome)
                return outcome
            self.written += 1
        self.index.notes[group.note_key] = {"path": path, "sha256": _sha(data), "last": known_last.isoformat(),
                                            "fields": fields}
        for entry in entries:
            self.index.imported[entry.key] = group.thread or ""
            self.index.pending.pop(entry.key, None)
        outcome = Outcome(verb, path, len(entries))
        self.outcomes.append(outcome)
        if not self.dry_run and self.written % 1000 == 0:
            self.index.save()  # a crash mid-import loses at most this many notes' keys
        return outcome


def write_people(nb: Notebook, directory: Directory, private: bool, dry_run: bool) -> list[NewPerson]:
    """Write the people an import planned (checked like every note first); those written."""
    done: list[NewPerson] = []
    for person in directory.created.values():
        if not SLUG_RE.match(person.slug):
            continue
        data = person_text(person, private).encode("utf-8")
        problems = [d for d in build_record(person.path, read_note(data, person.path), str(nb.root))[1]
                    if d.severity == "error"]
        if problems:
            continue
        if not dry_run:
            try:  # never replaces a person note that appeared meanwhile
                atomic_create(nb.root / person.path, data, name=person.path, sync=False)  # durable with the index
            except FileExistsError:
                continue
        done.append(person)
    return done


@dataclass
class Report:
    """What an import did, for the terminal and ``--json``."""

    source: str
    dry_run: bool
    unit: str = "message"  # what was read: message, event
    read: int = 0
    already: int = 0
    waiting: int = 0  # read before, not imported then for want of a known person, and still not
    duplicates: int = 0
    threads: int = 0
    problems: list[Any] = field(default_factory=list)  # mail.Problem-like: location, message, skipped
    outcomes: list[Outcome] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)
    people: list[NewPerson] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)

    def count(self, verb: str) -> int:
        return sum(1 for o in self.outcomes if o.verb == verb)

    def imported(self) -> int:
        return sum(o.messages for o in self.outcomes if o.verb in ("create", "append"))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "dry_run": self.dry_run, "read": self.read, "imported": self.imported(),
            "already_imported": self.already, "still_without_known_people": self.waiting,
            "duplicates": self.duplicates, "threads": self.threads,
            "created": self.count("create"), "appended": self.count("append"),
            "notes": [o.to_json() for o in self.outcomes],
            "warnings": [{"where": p.location, "message": p.message, "skipped": p.skipped} for p in self.problems],
            "unknown": [{"who": who, "messages": n} for who, n in sorted(self.unknown.items())],
            "people_created": [{"slug": p.slug, "name": p.name, "path": p.path, "org": p.org} for p in self.people],
            "attachments": list(self.attachments),
        }


def write_groups(nb: Notebook, report: Report, directory: Directory, writer: NoteWriter, index: ImportIndex,
                 groups: list[Group], public: bool, dry_run: bool) -> Report:
    """The end of an import: new people first (a crash never leaves a note naming a person with no
    file), then every group as a note, the outcomes and unknown correspondents into ``report``,
    and the import index saved (not on a dry run)."""
    report.people = write_people(nb, directory, not public, dry_run)
    for group in groups:
        writer.write(group)
    report.outcomes = writer.outcomes
    report.unknown = dict(directory.unknown)
    if not dry_run:
        index.save()
    return report
