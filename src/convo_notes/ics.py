"""The notebook's due items as an iCalendar feed (RFC 5545), written by hand.

- Open commitments become ``VTODO`` with ``DUE;VALUE=DATE`` (a recurring one also with
  ``DTSTART`` and an ``RRULE`` from its next occurrence); done (or closed)
  ones, when asked for, carry ``STATUS:COMPLETED`` and ``COMPLETED``.
- Threads where it is my turn, and keep-in-touch dates, become ``VTODO`` too
  (or all-day ``VEVENT`` with ``events=True``, for calendar apps that ignore tasks).
- Every UID is a hash of a notebook-relative identity (commitment id or
  path and index, thread key, person slug), so a calendar app that
  subscribes updates items instead of duplicating them.
- ``DTSTAMP`` comes from "today", never the clock: the same notebook gives the
  same bytes on every run.
- Private items (a private note, or one involving a private person) are left
  out unless ``include_private``.

Content lines end in CRLF and are folded at 75 octets; the helpers
:func:`escape_text` and :func:`fold` are shared with :mod:`convo_notes.vcard`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from . import __version__
from .agenda import all_items, closed_ids, threads
from .dates import add_days
from .model import Commitment, Conversation, Notebook

CRLF = "\r\n"
PRODID = f"-//convo-notes//convo-notes {__version__}//EN"
UID_DOMAIN = "convo-notes"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, ``;``, ``,`` and newlines (RFC 5545 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str, limit: int = 75) -> str:
    """One content line folded at ``limit`` octets with CRLF + space, never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= limit:
        return line + CRLF
    parts: list[str] = []
    current = ""
    size = 0
    budget = limit
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > budget:
            parts.append(current)
            current, size = "", 0
            budget = limit - 1  # continuation lines start with one space
        current += ch
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts) + CRLF


def uid(identity: str) -> str:
    """A UID that depends only on ``identity`` (stable across runs and machines)."""
    return f"{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:24]}@{UID_DOMAIN}"


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _stamp(day: dt.date) -> str:
    return day.strftime("%Y%m%dT000000Z")


@dataclass(frozen=True, slots=True)
class Entry:
    """One calendar component before it is written out."""

    uid: str
    summary: str
    description: str
    due: dt.date | None
    category: str
    completed: dt.date | None = None
    rrule: str | None = None  # a recurring commitment's RRULE value

    def lines(self, stamp: str, events: bool) -> list[str]:
        """The component's content lines (unfolded)."""
        as_event = events and self.due is not None
        kind = "VEVENT" if as_event else "VTODO"
        summary = f"Done: {self.summary}" if as_event and self.completed else self.summary
        out = [f"BEGIN:{kind}", f"UID:{self.uid}", f"DTSTAMP:{stamp}", f"SUMMARY:{escape_text(summary)}"]
        if self.description:
            out.append(f"DESCRIPTION:{escape_text(self.description)}")
        out.append(f"CATEGORIES:{escape_text(self.category)}")
        if as_event:
            assert self.due is not None
            out += [f"DTSTART;VALUE=DATE:{_date(self.due)}",
                    f"DTEND;VALUE=DATE:{_date(add_days(self.due, 1))}",
                    "TRANSP:TRANSPARENT"]
            if self.rrule:
                out.append(f"RRULE:{self.rrule}")
        else:
            if self.due and self.rrule:  # a recurrence counts from DTSTART, the next occurrence
                out.append(f"DTSTART;VALUE=DATE:{_date(self.due)}")
            if self.due:
                out.append(f"DUE;VALUE=DATE:{_date(self.due)}")
            if self.due and self.rrule:
                out.append(f"RRULE:{self.rrule}")
            if self.completed:
                out += ["STATUS:COMPLETED", f"COMPLETED:{_stamp(self.completed)}", "PERCENT-COMPLETE:100"]
            else:
                out.append("STATUS:NEEDS-ACTION")
        out.append(f"END:{kind}")
        return out


def _involves_private(nb: Notebook, conv: Conversation, *slugs: str | None) -> bool:
    """A private conversation, or one with or about a private person, stays off a public feed."""
    if nb.is_private(conv):
        return True
    for slug in (*conv.with_, *slugs):
        person = nb.people.get(nb.canon(slug) or "") if slug else None
        if person is not None and nb.is_private(person):
            return True
    return False


def _commitment_entry(nb: Notebook, conv: Conversation, c: Commitment,
                      completed: dt.date | None) -> Entry:
    owner = nb.canon(c.owner)
    summary = c.what if nb.is_me(owner) else f"{nb.display(owner)}: {c.what}"
    details = [f"Owner: {nb.display(owner)}"]
    if c.to:
        details.append(f"To: {nb.display(c.to)}")
    details.append(f"From: {conv.title} ({conv.date.isoformat()})")
    details.append(f"Source: {c.path}:{c.line}")
    identity = f"commitment:{c.id}" if c.id else f"commitment:{c.path}#{c.index}"
    return Entry(uid(identity), summary, "\n".join(details), c.due, "commitment", completed,
                 recurrence_rule(c) if completed is None else None)


FREQ = {"d": "DAILY", "w": "WEEKLY", "m": "MONTHLY", "y": "YEARLY"}


def recurrence_rule(c: Commitment) -> str | None:
    """The ``RRULE`` of a recurring commitment (``every: 2w`` -> ``FREQ=WEEKLY;INTERVAL=2``).

    ``every: .+2w`` (counted from the day it is done) has no exact iCalendar form: it is given
    the same rule, from its next occurrence, and the feed follows each completion.
    """
    if c.every is None:
        return None
    return f"FREQ={FREQ[c.every.interval.unit]};INTERVAL={c.every.interval.count}"


def calendar_entries(nb: Notebook, today: dt.date, include_private: bool = False,
                     include_done: bool = False) -> list[Entry]:
    """Every calendar entry of the notebook as of ``today``, in a stable order."""
    entries: list[Entry] = []
    closed = closed_ids(nb)
    for conv in nb.conversations:
        for c in conv.commitments:
            closer = closed.get(c.id) if c.id else None
            completed = c.done or (closer.date if closer else None)
            if completed and not include_done:
                continue
            if not include_private and _involves_private(nb, conv, c.owner, c.to):
                continue
            entries.append(_commitment_entry(nb, conv, c, completed))
    by_key = {t.key: t for t in threads(nb)}
    for item in all_items(nb, today):
        if item.private and not include_private:
            continue
        if item.kind == "my-turn":
            thread = by_key[item.thread or ""]
            if not include_private and _involves_private(nb, thread.latest):
                continue
            people = ", ".join(nb.display(s) for s in item.people)
            turn = "My turn" if nb.is_reader(item.owner) else f"{nb.display(item.owner)}'s turn"
            summary = f"{turn}: {item.what}"
            description = f"Thread: {thread.title}\nWith: {people}\nSource: {item.source}"
            entries.append(Entry(uid(f"turn:{item.thread}"), summary, description, item.date, "my-turn"))
        elif item.kind == "keep-in-touch":
            slug = item.to or ""
            summary = f"Keep in touch: {nb.display(slug)}"
            entries.append(Entry(uid(f"keep-in-touch:{slug}"), summary, f"{item.what}\nSource: {item.source}",
                                 item.date, "keep-in-touch"))
    entries.sort(key=lambda e: (e.due or dt.date.max, e.category, e.summary, e.uid))
    return entries


def build_calendar(nb: Notebook, today: dt.date, include_private: bool = False,
                   include_done: bool = False, events: bool = False) -> str:
    """The whole feed as text with CRLF line ends; byte-identical for the same notebook and ``today``.

    The site publishes ``build_calendar(nb, today)`` (public items only) as ``calendar.ics``.
    """
    stamp = _stamp(today)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(nb.config.site_title)}",
             "X-PUBLISHED-TTL:PT1H", "REFRESH-INTERVAL;VALUE=DURATION:PT1H"]
    for entry in calendar_entries(nb, today, include_private, include_done):
        lines += entry.lines(stamp, events)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)


def build_feeds(nb: Notebook, today: dt.date, include_private: bool = False) -> tuple[str, str]:
    """The tasks feed and the events feed (``build_calendar`` with ``events`` off and on), from one
    computation of the entries: the site publishes both."""
    entries = calendar_entries(nb, today, include_private, False)
    return _feed(nb, today, entries, False), _feed(nb, today, entries, True)


def _feed(nb: Notebook, today: dt.date, entries: list, events: bool) -> str:
    stamp = _stamp(today)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(nb.config.site_title)}",
             "X-PUBLISHED-TTL:PT1H", "REFRESH-INTERVAL;VALUE=DURATION:PT1H"]
    for entry in entries:
        lines += entry.lines(stamp, events)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
