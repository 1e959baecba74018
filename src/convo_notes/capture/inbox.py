"""Importing mail: mailboxes in, one thread per mail thread and one note per thread per exchange day out.

The flow: read every message of the sources (:mod:`.mail`), skip those the
index already holds (by Message-ID, read from the header block alone), parse
the rest, drop duplicates, thread them (:mod:`.threading`), find each
thread's slug (an existing one when any of its ids was imported before), then
write one note per thread and day (:class:`.notes.NoteWriter`).

One note per exchange day reads best: a day's back-and-forth stays together,
a thread of forty messages over a month is a handful of notes, and the
latest note of the thread holds its `next`, so whose turn it is comes out of
the format's own rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..model import Notebook
from ..schema import slugify
from .mail import MailMessage, Problem, RawMail, iter_sources, parse, quick_id, read_raw, save_attachments
from .notes import NO_PEOPLE, Directory, Entry, Group, ImportIndex, NoteWriter, Report, escape_text, write_people
from .threading import ThreadInput, display_subject, thread_messages

Progress = Callable[[int, int], None]  # (messages read, messages found so far)


@dataclass
class MailOptions:
    """The choices of one ``convo import mail`` run."""

    me_addresses: tuple[str, ...] = ()
    create_people: bool = False
    public: bool = False
    dry_run: bool = False
    attachments: Path | None = None
    follow_up_days: int = 5


def _md(text: str) -> str:
    """A name or subject as inert Markdown text in a header line."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


def _block(directory: Directory, msg: MailMessage, sender_slug: str | None, to: list[str]) -> str:
    sender = _md(directory.display(sender_slug, msg.sender.label))
    shown_to = ", ".join(_md(t) for t in to[:6]) + (f" and {len(to) - 6} more" if len(to) > 6 else "")
    head = f"**{sender}**" + (f" → {shown_to}" if shown_to else "") + f" · {msg.when:%Y-%m-%d %H:%M}"
    parts = [head, "", escape_text(msg.text) if msg.text else "*(no text)*"]
    if msg.attachments:
        names = ", ".join(f"{_md(name)} ({_size(size)})" for name, size in msg.attachments)
        parts += ["", f"*Attachments: {names}*"]
    return "\n".join(parts) + "\n"


def _size(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    return f"{max(1, size // 1024)} KB"


def import_mail(nb: Notebook, sources: list[Path], options: MailOptions,
                progress: Progress | None = None) -> Report:
    """Import every new message of ``sources`` into ``nb`` (see the module); what was done."""
    report = Report(", ".join(str(s) for s in sources), options.dry_run)
    index = ImportIndex(nb.root)
    directory = Directory(nb, options.me_addresses, create=options.create_people)

    messages: dict[str, MailMessage] = {}
    order: list[str] = []
    total = [0]
    waiting: set[str] = set()  # pending messages skipped in this run

    def add_total(count: int) -> None:
        total[0] += count

    for kind, path in iter_sources(sources):
        shown = str(path)
        for item in read_raw(kind, path, shown, add_total):
            if isinstance(item, Problem):
                report.problems.append(item)
                continue
            report.read += 1
            if progress is not None:
                progress(report.read, total[0])
            known = quick_id(item.data)
            if known is not None and known in index.imported:
                report.already += 1
                continue
            if known is not None and known in index.pending:
                if known in waiting:
                    report.duplicates += 1
                    continue
                if _still_unknown(directory, index.pending[known]):
                    waiting.add(known)
                    report.waiting += 1
                    continue
            _take(item, messages, order, index, report, options.attachments is not None)

    inputs = [ThreadInput(key, m.message_id, m.references, m.subject, (m.when.timestamp(), i))
              for i, (key, m) in enumerate((k, messages[k]) for k in order)]
    threads = thread_messages(inputs)
    report.threads = len(threads)

    writer = NoteWriter(nb, index, private=not options.public, follow_up_days=options.follow_up_days,
                        dry_run=options.dry_run)
    used_threads = set(index.threads) | {c.thread for c in nb.conversations if c.thread}
    planned: list[tuple[str, str, set[str], list[MailMessage], list[Group]]] = []
    for thread in threads:
        found = [messages[str(k)] for k in thread.keys]
        slug = index.thread_of(thread.ids)
        title = display_subject(found[0].subject) or "(no subject)"
        if slug is None:
            base = slugify(display_subject(found[0].subject), 50) or "mail"
            slug, n = base, 2
            while slug in used_threads:
                slug, n = f"{base}-{n}", n + 1
            used_threads.add(slug)
        else:
            title = str(index.threads.get(slug, {}).get("title") or title)
        by_day: dict[dt.date, list[Entry]] = defaultdict(list)
        for msg in found:
            by_day[msg.when.date()].append(_entry(directory, msg))
        groups = [Group(f"mail:{slug}:{day.isoformat()}", "mail", slug, title, "email", entries)
                  for day, entries in sorted(by_day.items())]
        planned.append((slug, title, thread.ids, found, groups))

    # People first: a crash while writing notes never leaves a note naming a person with no file.
    report.people = write_people(nb, directory, not options.public, options.dry_run)
    for slug, title, ids, found, groups in planned:
        wrote_any = False
        for group in groups:
            outcome = writer.write(group)
            wrote_any = wrote_any or outcome.verb in ("create", "append")
            if outcome.verb == "skip" and outcome.reason == NO_PEOPLE:
                for entry in group.entries:
                    index.pending[entry.key] = _correspondents(directory, messages[entry.key])
        if not wrote_any:
            continue
        index.threads.setdefault(slug, {"title": title, "source": "mail"})
        for i in ids:
            if i not in index.imported:
                index.refs[i] = slug
        if options.attachments is not None and not options.dry_run:
            for msg in found:
                report.attachments += save_attachments(msg, options.attachments)
    report.outcomes = writer.outcomes
    report.unknown = dict(directory.unknown)
    if not options.dry_run:
        index.save()
    return report


def _correspondents(directory: Directory, msg: MailMessage) -> list[str]:
    """``Name <address>`` of everyone in a message but us."""
    everyone = [msg.sender, *msg.recipients]
    return [f"{a.name} <{a.addr}>" if a.name else a.addr for a in everyone if not directory.is_ours(a.addr)]


def _still_unknown(directory: Directory, labels: list[str]) -> bool:
    """Whether none of these correspondents is known yet (and none is to be created): then the
    message is skipped unparsed, and its correspondents are listed again as unknown."""
    if directory.create:
        return False
    addresses = [label.rsplit("<", 1)[-1].rstrip(">") for label in labels]
    if any(a in directory.emails or directory.is_ours(a) for a in addresses):
        return False
    for label in labels:
        directory.unknown[label] = directory.unknown.get(label, 0) + 1
    return True


def _take(item: RawMail, messages: dict[str, MailMessage], order: list[str], index: ImportIndex,
          report: Report, keep_parts: bool) -> None:
    """Parse one new message and keep it, unless it is a duplicate or already imported."""
    msg, problems = parse(item, keep_parts)
    report.problems.extend(problems)
    if msg is None:
        return
    if msg.key in index.imported:
        report.already += 1
        return
    if msg.key in messages:
        report.duplicates += 1
        return
    messages[msg.key] = msg
    order.append(msg.key)


def _entry(directory: Directory, msg: MailMessage) -> Entry:
    ours = directory.is_ours(msg.sender.addr)
    sender_slug = directory.find(msg.sender.addr, msg.sender.name, create=False) if ours else None
    people: list[str] = []
    if not ours:
        sender_slug = directory.find(msg.sender.addr, msg.sender.name)
        if sender_slug and sender_slug not in directory.ours:
            people.append(sender_slug)
    to: list[str] = []
    for rcpt in msg.recipients:
        if directory.is_ours(rcpt.addr):
            slug = directory.find(rcpt.addr, rcpt.name, create=False)
            to.append(directory.display(slug, rcpt.label))
            continue
        slug = directory.find(rcpt.addr, rcpt.name)
        to.append(directory.display(slug, rcpt.label))
        if slug and slug not in directory.ours and slug not in people:
            people.append(slug)
    return Entry(msg.key, msg.when, ours, tuple(people), directory.display(sender_slug, msg.sender.label),
                 _block(directory, msg, sender_slug, to))
