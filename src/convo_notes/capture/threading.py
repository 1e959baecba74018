"""Mail threading: Jamie Zawinski's algorithm (https://www.jwz.org/doc/threading.html).

Messages are linked by ``Message-ID``, ``In-Reply-To`` and ``References``:

1. every id seen (a message's own, or one it refers to) gets a container;
   a message is put in the container of its id; a second message with an id
   already taken (a duplicate) gets a container of its own under a new id;
2. the ids in ``References`` (then ``In-Reply-To``) are linked parent to child
   in order, never overriding a link made earlier and never making a loop; the
   message's own container then hangs under its last reference (a link that
   would make a loop is dropped);
3. the roots are the containers without a parent; empty containers (ids that
   were referred to but never seen) are dropped, their children promoted;
4. the subject is a fallback only where the headers cannot link a message: a
   message with neither ``In-Reply-To`` nor ``References``, or a thread whose
   first message refers to a parent that is not in the files (a mailing-list
   archive that starts mid-thread), joins the earlier thread with the same
   normalized subject; a message without those headers only when its subject
   says it is a reply (``Re:``, ``AW:``, ``SV:``...). Two unrelated new mails
   that both say "Hello" are never merged, and messages the headers link are
   never split apart.

The result is a list of :class:`Thread` values, each with the keys of its
messages in date order, and every id that belongs to it (so a later import
can find a thread again from any id a new reply refers to).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Hashable, Iterable

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|ref|fwd?|tr|wg)\s*(\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)+",
                           re.IGNORECASE)
_IS_REPLY = re.compile(r"^\s*(\[[^\]]{1,40}\]\s*)*(re|aw|sv|vs|antw|ref)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_ID = re.compile(r"<([^<>\s]+)>")


def normalize_subject(subject: str) -> str:
    """A subject without reply and forward prefixes or list tags, folded: ``Re: [dev] Fwd: Hi`` -> ``hi``."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split()).casefold()


def display_subject(subject: str) -> str:
    """A subject as a title: reply and forward prefixes and list tags removed, spaces collapsed."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split())


def is_reply_subject(subject: str) -> bool:
    """Whether a subject says it answers another message (``Re:`` and its translations)."""
    return bool(_IS_REPLY.match(subject or ""))


def parse_ids(text: str | None) -> list[str]:
    """The message ids in a ``References`` or ``In-Reply-To`` header, in order, without brackets.

    A header without angle brackets (seen in old and broken mailers) is taken word by word.
    """
    if not text:
        return []
    found = _ID.findall(text)
    if not found:
        found = [w.strip("<>") for w in text.split() if "@" in w]
    return found


@dataclass(frozen=True)
class ThreadInput:
    """What threading needs of one message."""

    key: Hashable  # the caller's handle on the message
    message_id: str | None
    references: tuple[str, ...]  # References, then In-Reply-To (if not already there)
    subject: str
    sort: tuple[object, ...]  # order within a thread (date, position)


@dataclass
class _Container:
    id: str
    message: ThreadInput | None = None
    parent: _Container | None = None
    children: list[_Container] = field(default_factory=list)

    def has_descendant(self, other: _Container) -> bool:
        """Whether ``other`` is this container or below it: walks up from ``other`` (links never loop)."""
        node: _Container | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def add_child(self, child: _Container) -> None:
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)


@dataclass
class Thread:
    """One conversation: its messages (caller keys, oldest first) and every id it holds or refers to."""

    keys: list[Hashable]
    ids: set[str]
    subject: str


def _walk(root: _Container) -> tuple[list[ThreadInput], set[str]]:
    messages: list[ThreadInput] = []
    ids: set[str] = set()
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        ids.add(node.id)
        if node.message is not None:
            messages.append(node.message)
            ids.update(node.message.references)
        stack.extend(node.children)
    return messages, ids


def thread_messages(messages: Iterable[ThreadInput]) -> list[Thread]:
    """Group messages into threads (see the module); threads come oldest first."""
    table: dict[str, _Container] = {}
    counter = 0

    def container(mid: str) -> _Container:
        found = table.get(mid)
        if found is None:
            found = table[mid] = _Container(mid)
        return found

    for msg in messages:
        mid = msg.message_id
        if mid is None or (mid in table and table[mid].message is not None):
            counter += 1
            mid = f"\0synthetic-{counter}"  # a duplicate or a message without id: its own container
        this = container(mid)
        this.message = msg
        parent: _Container | None = None
        for ref in msg.references:
            if ref == mid:
                continue  # a message that refers to itself
            node = container(ref)
            if parent is not None and node.parent is None and not node.has_descendant(parent):
                parent.add_child(node)
            parent = node
        if parent is not None and parent is not this and not this.has_descendant(parent):
            if this.parent is not parent:
                this_parent = this.parent
                if this_parent is not None:
                    this_parent.children.remove(this)
                    this.parent = None
                parent.add_child(this)

    roots = [c for c in table.values() if c.parent is None]
    groups: list[tuple[list[ThreadInput], set[str]]] = []
    orphan: list[bool] = []  # the thread hangs from an id never seen (its start is not in these files)
    for root in roots:
        found, ids = _walk(root)
        if found:  # a tree of ids only (never seen as messages) is no thread
            groups.append((found, ids))
            orphan.append(root.message is None)

    # Subject fallback, only for header-less replies.
    by_subject: dict[str, int] = {}
    merged: list[tuple[list[ThreadInput], set[str]] | None] = list(groups)
    order = sorted(range(len(groups)), key=lambda i: min(m.sort for m in groups[i][0]))
    for i in order:
        found, _ = groups[i]
        first = min(found, key=lambda m: m.sort)
        norm = normalize_subject(first.subject)
        if not norm:
            continue
        headerless_reply = len(found) == 1 and not first.references and is_reply_subject(first.subject)
        if (headerless_reply or orphan[i]) and norm in by_subject:
            target = merged[by_subject[norm]]
            assert target is not None
            target[0].extend(found)
            target[1].update(groups[i][1])
            merged[i] = None
        elif norm not in by_subject:
            by_subject[norm] = i

    threads: list[tuple[tuple[object, ...], Thread]] = []
    for group in merged:
        if group is None:
            continue
        found, ids = group
        found.sort(key=lambda m: m.sort)
        ids = {i for i in ids if not i.startswith("\0")}
        threads.append((found[0].sort, Thread([m.key for m in found], ids, found[0].subject)))
    threads.sort(key=lambda pair: pair[0])
    return [thread for _, thread in threads]
