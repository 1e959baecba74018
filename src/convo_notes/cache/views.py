"""Snapshots for the warm daily commands: ``convo due``, ``brief``, ``threads`` and ``referrals``
without every record.

The per-file cache (:mod:`.records`) spares a warm command the parsing, but it
still unpickles every note's record. On an unchanged notebook the answer of
``due`` (and of ``threads``), and the conversations a ``brief`` (or ``referrals``)
needs are the same as last time, so each of these commands keeps a *snapshot* next to the per-file cache (in the
user's cache directory, never in the notebook):

- ``agenda``: every person and org, the notebook's diagnostics, and
  :func:`.agenda.agenda_entries` (the due items that do not depend on today);
- ``brief``: every person and org, the diagnostics, every conversation pickled
  on its own (with its offset and CRC-32), and indexes from each slug to the
  conversations *with* it (``with``, ``org``), to those *mentioning* it
  (commitment ``owner``/``to``, referral ``by``/``to``/``recommends``), from
  each conversation to its thread, and from each commitment id to the
  conversations closing it;
- ``threads``: every person and org, the diagnostics, and :func:`.agenda.threads`
  (each thread's latest conversation whole, its earlier ones as :class:`ThreadMember`:
  all ``convo threads`` reads of them);
- ``referrals``: every person and org, the diagnostics, and only the conversations
  that hold referrals (all :func:`.referrals.directory` reads).

A snapshot is used only when its *key* equals the key computed now: the code
that made it (format, version, Python, and a digest of the bytes of every module
of the package), a digest of every note's (path, size, mtime_ns, ctime_ns, inode)
from this run's scan, and the configuration as read now (``convo.yml`` with
``CONVO_ME`` applied) with its diagnostics. Any edit, new, deleted or renamed
note, or changed ``me`` changes the key, and the snapshot is rebuilt from a full
load (through the per-file cache) by the same functions a full load uses.
Anything that depends on today is computed at query time. A snapshot is not
written when a note was modified less than :func:`.records.racy` before the
scan (it could change again without its size, mtime or ctime moving). A snapshot that
cannot be read, or fails a CRC-32, is ignored; snapshots are written to a
temporary file renamed into place, so commands running at once never see a
torn one.

Why a brief on the partial notebook is the brief on the whole one: every part
of :func:`.brief.build_brief` selects conversations *with* the subject (or one
of an org's people), or mentioning them in a commitment or a referral; thread
state is decided by the latest conversation of the whole thread, so the threads
of the conversations with them are loaded whole; a commitment's fulfilment is
decided by the first conversation closing its id, so every closer of a loaded
commitment id is loaded. People, orgs and diagnostics are all there. A further
conversation loaded (a thread's other conversations, a closer) is in the whole
notebook too, so it adds nothing a full load would not; and the loaded ones keep
their chronological order. ``tests/test_cache_snapshot.py`` compares the
two for every person and org of the sample notebook.
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
import time
from array import array
from binascii import crc32
from bisect import insort
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, TypeVar, cast

from ..agenda import (
    DueItem,
    Thread,
    agenda_entries,
    cadence_of,
    closed_ids,
    commitment_items,
    thread_item,
    thread_of,
    threads,
    touch_item,
)
from ..diagnostics import Diagnostic
from ..loader import (
    FileKey,
    Overlay,
    Progress,
    is_unreadable,
    load_config,
    load_scanned,
    overlay_of,
    read_file,
    reader_of,
    scan_notes,
    scan_overlay,
)
from ..model import Config, Conversation, Notebook, Org, Person
from .records import blake2b, cache_file, code_stamp, racy, write_atomic

MAGIC = b"convo-snapshot 5\n"
PATCH_LIMIT = 32  # notes changed since an agenda snapshot that are patched into it; more: a full load
REWRITE_INDEX = 256  # notes patched since the agenda index was written whole: then it is again
RAW = "raw"  # a payload's blobs (bytes): written before it, found by `raw_at` and checked by `crcs`
T = TypeVar("T")


class Scan:
    """This run's view of a notebook's inputs: its configuration and every note's file key.

    (Plain classes here rather than dataclasses: each dataclass costs every command
    about half a millisecond to create at import.)
    """

    __slots__ = ("root", "config", "config_problems", "files", "started_ns", "reader", "overlay")

    def __init__(self, root: Path, config: Config, config_problems: list[Diagnostic],
                 files: dict[str, FileKey], started_ns: int, reader: str | None = None,
                 overlay: Overlay | None = None) -> None:
        self.root = root
        self.config = config
        self.config_problems = config_problems
        self.files = files
        self.started_ns = started_ns  # just before the scan: notes modified after this are not snapshotted
        self.reader = reader
        self.overlay = overlay

    def key(self) -> tuple[Any, ...]:
        """What a snapshot must have been computed from to be valid now."""
        # marshal version 2 writes no back-references, so equal scans give equal bytes
        digest = blake2b(marshal.dumps(self.files, 2), digest_size=20).digest()
        personal = None
        if self.overlay is not None:
            personal = (str(self.overlay[0]), blake2b(marshal.dumps(self.overlay[1], 2), digest_size=20).digest())
        owner = self.config.me or self.reader  # the reader may be a fact only where convo.yml names nobody
        return ((code_stamp(), self.config, self.config_problems, owner, personal), digest)

    def racy(self) -> bool:
        """True when some note is too recent to be trusted by its key alone (:func:`.records.racy`)."""
        started = self.started_ns
        keys = [*self.files.values(), *(self.overlay[1].values() if self.overlay else ())]
        return any(racy(key, started) for key in keys)

    def load(self, progress: Progress | None = None) -> Notebook:
        """The whole notebook, exactly as :func:`.loader.load_notebook` reads it, checks across notes included."""
        return load_scanned(self.root, self.files, self.config, self.config_problems,
                            check=True, progress=progress, reader=self.reader, overlay=self.overlay)


def scan(root: Path | str, env: dict[str, str] | None = None, reader: str | None = None,
         overlay: bool = False) -> Scan:
    """Read the configuration and stat every note (what a warm command cannot skip).

    ``reader``: ``--me`` (else ``CONVO_ME`` or the user's config); ``overlay``: also the
    reader's personal notes."""
    root = Path(root)
    started = time.time_ns()
    config, problems = load_config(root, env)
    files, skipped = scan_notes(root)  # the entries it left out are reported with the configuration's problems
    extra = scan_overlay(overlay_of(root, env), root) if overlay else None
    return Scan(root, config, problems + skipped, files, started, reader_of(root, env, reader), extra)


class AgendaView:
    """What ``convo due`` needs: a notebook for names and diagnostics, and the agenda entries.

    From a snapshot, ``notebook`` holds every person, org and diagnostic but no
    conversations (``patched``: a snapshot brought up to date with the notes edited since,
    in which the entries' order may differ from a full load's; :func:`.agenda.items_as_of`
    sorts them); otherwise it is the whole notebook.
    """

    __slots__ = ("notebook", "entries", "from_snapshot", "patched")

    def __init__(self, notebook: Notebook, entries: list[DueItem], from_snapshot: bool,
                 patched: bool = False) -> None:
        self.notebook, self.entries, self.from_snapshot, self.patched = notebook, entries, from_snapshot, patched


class BriefView:
    """A notebook to build one brief from: whole, or every person and org plus the
    conversations the brief needs (``from_snapshot``)."""

    __slots__ = ("notebook", "from_snapshot")

    def __init__(self, notebook: Notebook, from_snapshot: bool) -> None:
        self.notebook, self.from_snapshot = notebook, from_snapshot


def snapshot_file(root: Path, kind: str) -> Path | None:
    """Where a notebook's ``agenda``, ``brief``, ``threads`` or ``referrals`` snapshot is kept (None: off)."""
    target = cache_file(root)
    return None if target is None else target.with_name(f"{target.stem}-{kind}.snapshot")


def agenda_view(root: Path | str, *, env: dict[str, str] | None = None,
                progress: Progress | None = None, reader: str | None = None, overlay: bool = False) -> AgendaView:
    """The notebook and :func:`.agenda.agenda_entries`, from the snapshot when it is valid,
    or from the snapshot patched with the few conversations edited since (:func:`_agenda_patch`)."""
    found = scan(root, env, reader, overlay)

    def compute(nb: Notebook) -> tuple[AgendaView, Callable[[], dict[str, Any]]]:
        entries = agenda_entries(nb)
        return AgendaView(nb, entries, False), lambda: _agenda_payload(nb, entries, _agenda_index(found, nb))

    return _view(found, "agenda", _agenda_from, compute, progress, _agenda_patch)


def _view(found: Scan, kind: str, from_snapshot: Callable[[Scan, _Reader], T | None],
          compute: Callable[[Notebook], tuple[T, Callable[[], dict[str, Any]]]], progress: Progress | None,
          patch: Callable[[Scan, _Reader], tuple[T, dict[str, Any]] | None] | None = None) -> T:
    """A view read from the ``kind`` snapshot when its key is this scan's; else, when ``patch``
    can bring a snapshot of the same code and configuration up to date, the patched view;
    else computed from a full load (``compute`` gives the view and the snapshot's payload).
    The snapshot is written unless a note is too recent to trust."""
    target = snapshot_file(found.root, kind)
    key = None if target is None else found.key()
    if target is not None and key is not None:
        got = _read(target, key, lambda reader: from_snapshot(found, reader),
                    None if patch is None else lambda reader: patch(found, reader))
        if isinstance(got, tuple):  # patched: written again with this scan's key
            view, payload = got
            if not found.racy():
                _write_view(target, key, lambda: payload)
            return cast("T", view)
        if got is not None:
            return cast("T", got)
    view, make_payload = compute(found.load(progress))
    if target is not None and key is not None and not found.racy():
        _write_view(target, key, make_payload)
    return view


def brief_view(root: Path | str, slug: str, *, env: dict[str, str] | None = None,
               progress: Progress | None = None, reader: str | None = None, overlay: bool = False) -> BriefView:
    """A notebook from which :func:`.brief.build_brief` on ``slug`` gives the brief of the whole one."""
    found = scan(root, env, reader, overlay)
    target = snapshot_file(found.root, "brief")
    key = None if target is None else found.key()
    if target is not None and key is not None:
        partial = _read(target, key, lambda reader: _partial_notebook(found, reader, slug))
        if partial is not None:
            return BriefView(partial, True)
    nb = found.load(progress)
    if target is not None and key is not None and not found.racy():
        _write_brief(target, key, nb)
    return BriefView(nb, False)


def _agenda_from(found: Scan, reader: _Reader) -> AgendaView | None:
    payload = reader.payload()
    if payload is None:
        return None
    return AgendaView(_notebook(found, payload, []), payload["entries"], True)


# --- the agenda after an edit -------------------------------------------------------------------

Order = tuple[int, int, str]


class AgendaIndex:
    """What the agenda snapshot keeps to patch itself (:func:`_agenda_patch`): the scan it was
    made from; for each placed conversation its order, thread, people (``me`` resolved) and
    *shape* (slug, commitment ids, ``closes``: all the checks between notes read of it); the
    ids some conversation closes; every slug; and the paths :func:`.checks.unique_problems`
    depends on."""

    __slots__ = ("files", "convs", "closed", "slugs", "unique")

    def __init__(self, files: dict[str, FileKey], convs: dict[str, tuple[Order, str, tuple[str, ...], tuple[Any, ...]]],
                 closed: set[str], slugs: set[str], unique: set[str]) -> None:
        self.files, self.convs, self.closed, self.slugs, self.unique = files, convs, closed, slugs, unique

    def __reduce__(self) -> tuple[Any, ...]:
        return (AgendaIndex, (self.files, self.convs, self.closed, self.slugs, self.unique))


def _shape(conv: Conversation) -> tuple[Any, ...]:
    return (conv.slug, tuple(c.id for c in conv.commitments if c.id), conv.closes)


def _entry(nb: Notebook, conv: Conversation) -> tuple[Order, str, tuple[str, ...], tuple[Any, ...]]:
    return (conv.sort_key, nb.thread_key(conv), tuple(nb.canon(s) or s for s in conv.with_), _shape(conv))


def _agenda_index(found: Scan, nb: Notebook) -> AgendaIndex | None:
    """The index of a fully loaded notebook (None with a personal overlay: no patching then)."""
    if found.overlay is not None:
        return None
    from ..checks import unique_problems

    unique = {path for paths, _problem in unique_problems(nb) for path in paths}
    return AgendaIndex(dict(found.files), {conv.path: _entry(nb, conv) for conv in nb.conversations},
                       set(closed_ids(nb)), set(nb.slugs), unique)


class _Stale(Exception):
    """A note the agenda index describes reads differently now."""


def _agenda_payload(nb: Notebook, entries: list[DueItem], index: AgendaIndex | None) -> dict[str, Any]:
    """The agenda snapshot's payload, its index a blob of its own (only a patch reads it)."""
    payload = {**_common(nb), "entries": entries, "since": ({}, {})}
    if index is not None:
        payload[RAW] = [pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)]
    return payload


def _agenda_patch(found: Scan, reader: _Reader) -> tuple[AgendaView, dict[str, Any]] | None:
    """The agenda snapshot brought up to date with the conversations edited since it was made,
    reading only those and the few unchanged ones the answer needs; None when the change is
    not of that kind (then the caller does a full load).

    Patched: edits of existing, readable conversations (at most :data:`PATCH_LIMIT`) that keep
    their slug, commitment ids and ``closes`` and share no problem between notes
    (:func:`.checks.unique_problems`), in a notebook of the same code and configuration with
    no personal overlay (the snapshot's key says the rest). Then the people, orgs, slugs,
    ids and closers are as before, so every note's problems but the edited ones' are too,
    and the edited ones' are their reading's and :func:`.checks.note_problems`. The due
    items that can change are those :func:`.agenda.agenda_entries`' three functions make
    from a unit the edit touched: the edited conversations' commitments (no closer changed),
    the threads they were and are in (each remade from its latest conversation), and the
    keep-in-touch items of everyone they were and are with (each remade from the person's
    latest conversation); the others are kept. ``tests/test_cache_patch.py`` compares the
    result with a full load's after each kind of edit.
    """
    payload = reader.payload()
    if payload is None or found.overlay is not None or not payload.get("raw_at"):
        return None
    raw = reader.raw(payload, 0)
    base = pickle.loads(raw)
    if not isinstance(base, AgendaIndex):
        return None
    files_since, convs_since = payload["since"]  # what changed since the index was written whole
    index = AgendaIndex({**base.files, **files_since}, {**base.convs, **convs_since}, base.closed, base.slugs,
                        base.unique)
    old_files, files = index.files, found.files
    if len(old_files) != len(files):
        return None
    changed: list[str] = []
    for rel, file_key in files.items():
        before = old_files.get(rel)
        if before is None:
            return None  # a note added, removed or renamed
        if before != file_key:
            changed.append(rel)
            if len(changed) > PATCH_LIMIT:
                return None
    unreadable = payload["unreadable"]
    if any(rel not in index.convs or rel in index.unique or rel in unreadable for rel in changed):
        return None
    nb = _notebook(found, payload, [])
    records: dict[str, Conversation] = {}
    read_problems: list[Diagnostic] = []
    for rel in changed:
        note, problems = read_file(found.root, rel)
        if not isinstance(note, Conversation) or is_unreadable(note, problems) \
                or _shape(note) != index.convs[rel][3]:
            return None
        records[rel] = note
        read_problems.extend(problems)
    convs = dict(index.convs)
    threads_hit: set[str] = set()
    people_hit: set[str] = set()
    for rel, conv in records.items():
        for entry in (convs[rel], _entry(nb, conv)):  # what it was, then what it is
            threads_hit.add(entry[1])
            people_hit.update(entry[2])
        convs[rel] = entry
    # the latest conversation of each thread and of each person touched, among all of them now
    latest_in: dict[str, tuple[Order, str]] = {}
    latest_with: dict[str, tuple[Order, str]] = {}
    for rel, (order, thread, people, _shape_now) in convs.items():
        if thread in threads_hit and (thread not in latest_in or order > latest_in[thread][0]):
            latest_in[thread] = (order, rel)
        for slug in people:
            if slug in people_hit and (slug not in latest_with or order > latest_with[slug][0]):
                latest_with[slug] = (order, rel)

    def record(rel: str) -> Conversation:
        if rel not in records:
            note, problems = read_file(found.root, rel)
            if not isinstance(note, Conversation) or is_unreadable(note, problems) \
                    or _entry(nb, note) != convs[rel]:
                raise _Stale(rel)
            records[rel] = note
        return records[rel]

    gone = set(changed)
    entries = [item for item in payload["entries"] if not (
        (item.kind == "commitment" and item.source.rpartition(":")[0] in gone)
        or (item.kind in ("my-turn", "waiting") and item.thread in threads_hit)
        or (item.kind == "keep-in-touch" and item.to in people_hit))]
    try:
        for rel in changed:
            entries.extend(commitment_items(nb, records[rel], index.closed))
        for thread in sorted(threads_hit & latest_in.keys()):
            item = thread_item(nb, thread_of(nb, thread, [record(latest_in[thread][1])]))
            if item is not None:
                entries.append(item)
        for slug in sorted(people_hit):
            person = nb.people.get(slug)
            cadence = None if person is None or nb.is_me(slug) else cadence_of(nb, person)[0]
            if person is None or cadence is None:
                continue
            last = record(latest_with[slug][1]) if slug in latest_with else None
            entries.append(touch_item(nb, person, cadence.after(last.date) if last else None, last))
    except _Stale:  # an unchanged note that no longer reads as the index says: a full load tells
        return None
    from ..checks import note_problems

    edited = [records[rel] for rel in changed]
    near = Notebook(found.root, found.config, nb.people, nb.orgs, edited, [], set(), nb.files, reader=found.reader)
    near.slugs = index.slugs
    diagnostics = [d for d in nb.diagnostics if d.path not in gone]  # sorted, as every snapshot's
    for problem in [*read_problems, *note_problems(near, edited)]:
        insort(diagnostics, problem, key=Diagnostic.sort_key)
    nb.diagnostics = diagnostics
    since = ({**files_since, **{rel: files[rel] for rel in changed}},
             {**convs_since, **{rel: convs[rel] for rel in changed}})
    if len(since[0]) > REWRITE_INDEX:
        payload_now = _agenda_payload(nb, entries, AgendaIndex(dict(files), convs, index.closed, index.slugs,
                                                           index.unique))
    else:  # the index as it was, byte for byte, and what changed since
        # the diagnostics as loaded share their strings already (see _compact)
        payload_now = {"people": nb.people, "orgs": nb.orgs, "diagnostics": diagnostics, "unreadable": nb.unreadable,
                   "entries": entries, "since": since, RAW: [raw]}
    return AgendaView(nb, entries, True, patched=True), payload_now


# --- what the brief needs -------------------------------------------------------------------

def involvement(nb: Notebook, conv: Conversation) -> set[str]:
    """The slugs a conversation is *with*: ``with`` (as written and with ``me`` resolved) and ``org``."""
    named = set(conv.with_)
    named.update(nb.canon(slug) or slug for slug in conv.with_)
    if conv.org:
        named.add(conv.org)
    return named


def mentions(nb: Notebook, conv: Conversation, names: dict[str, list[str]] | None = None) -> set[str]:
    """The other slugs a brief looks for in a conversation: commitment ``owner``/``to`` and
    referral ``by``/``to``/``recommends`` (as written, with ``me`` resolved, and the person or
    org a free-text ``recommends`` names: :func:`.referrals.recommended`)."""
    from ..referrals import _names_index, recommended

    canon = nb.canon
    named: set[str] = set()
    for c in conv.commitments:
        named.update(s for s in (c.owner, canon(c.owner), c.to, canon(c.to)) if s)
    if conv.referrals and names is None:
        names = _names_index(nb)
    for r in conv.referrals:
        named.update(s for s in (r.by, canon(r.by), r.to, canon(r.to), r.recommends,
                                 recommended(nb, r.recommends, names)) if s)
    return named


def subject_slugs(nb: Notebook, slug: str) -> set[str] | None:
    """The slugs whose conversations a brief on ``slug`` looks at (None: no such person or org)."""
    from ..brief import people_of

    slug = nb.canon(slug) or slug
    subject = nb.people.get(slug) or nb.orgs.get(slug)
    if subject is None:
        return None
    return {subject.slug, *(p.slug for p in people_of(nb, subject))}


def _write_brief(target: Path, key: tuple[Any, ...], nb: Notebook) -> None:
    """Every conversation pickled alone (in chronological order), and the indexes to find them."""
    groups: dict[str, list[int]] = {}
    involved: dict[str, list[int]] = {}
    mentioned: dict[str, list[int]] = {}
    closers: dict[str, list[int]] = {}
    thread_of = array("q")
    from ..referrals import _names_index

    names = _names_index(nb)
    for number, conv in enumerate(nb.conversations):
        members = groups.setdefault(nb.thread_key(conv), [])
        if not members:
            members.append(len(groups) - 1)  # the group's number, first; its conversations follow
        members.append(number)
        thread_of.append(members[0])
        for slug in involvement(nb, conv):
            involved.setdefault(slug, []).append(number)
        for slug in mentions(nb, conv, names):
            mentioned.setdefault(slug, []).append(number)
        for ident in conv.closes:
            closers.setdefault(ident, []).append(number)
    starts = array("q", [0])  # conversation n's blob is [starts[n], starts[n + 1]); an array loads at once
    crcs = array("L")

    def blobs() -> Iterator[bytes]:  # written one at a time: a large notebook's never sit in memory together
        dumps, protocol = pickle.dumps, pickle.HIGHEST_PROTOCOL
        for conv in nb.conversations:
            blob = dumps(conv, protocol=protocol)
            starts.append(starts[-1] + len(blob))
            crcs.append(crc32(blob))
            yield blob

    def payload() -> dict[str, Any]:  # after the blobs, when their offsets are known
        return {**_common(nb), "involved": involved, "mentioned": mentioned, "closers": closers,
                "thread_of": thread_of, "threads": [members[1:] for members in groups.values()],
                "starts": starts, "crcs": crcs}

    _write(target, key, payload, blobs())


def _partial_notebook(found: Scan, reader: _Reader, slug: str) -> Notebook | None:
    """Every person and org, and the conversations the brief on ``slug`` looks at: those with
    the subject (and the rest of their threads), those mentioning it, and their closers."""
    payload = reader.payload()
    if payload is None:
        return None
    people_only = _notebook(found, payload, [])
    wanted = subject_slugs(people_only, slug)
    if wanted is None:  # no such person or org: build_brief says so, with the known names
        return people_only
    involved, mentioned, threads = payload["involved"], payload["mentioned"], payload["threads"]
    thread_of, starts = payload["thread_of"], payload["starts"]
    numbers: set[int] = set()
    for s in wanted:
        numbers.update(involved.get(s, ()))
    for g in {thread_of[n] for n in numbers}:
        numbers.update(threads[g])
    for s in wanted:
        numbers.update(mentioned.get(s, ()))
    loaded = {n: reader.blob(starts[n], starts[n + 1], n) for n in sorted(numbers)}
    ids = {c.id for conv in loaded.values() for c in conv.commitments if c.id}
    closing = {n for ident in ids for n in payload["closers"].get(ident, ()) if n not in loaded}
    loaded.update((n, reader.blob(starts[n], starts[n + 1], n)) for n in sorted(closing))
    return _notebook(found, payload, [loaded[n] for n in sorted(loaded)])


# --- threads and referrals ---------------------------------------------------------------------

class ThreadMember:
    """An earlier conversation of a thread, as the threads snapshot keeps it: all that
    ``convo threads`` reads of a thread's conversations but the latest (kept whole): its
    ``path`` and ``private`` (:meth:`.model.Notebook.is_private`), its ``tags``, ``org`` and
    ``with_`` (:func:`.agenda.thread_matches`, :meth:`.model.Notebook.org_of`), and the count."""

    __slots__ = ("path", "private", "tags", "org", "with_")

    def __init__(self, path: str, private: bool | None, tags: tuple[str, ...], org: str | None,
                 with_: tuple[str, ...]) -> None:
        self.path, self.private, self.tags, self.org, self.with_ = path, private, tags, org, with_

    def __reduce__(self) -> tuple[Any, ...]:
        return (ThreadMember, (self.path, self.private, self.tags, self.org, self.with_))


class ThreadsView:
    """What ``convo threads`` needs: a notebook for names and diagnostics, and every thread.

    From a snapshot, ``notebook`` holds every person, org and diagnostic but no
    conversations, and each thread's earlier conversations are :class:`ThreadMember`s;
    otherwise it is the whole notebook and :func:`.agenda.threads` of it.
    """

    __slots__ = ("notebook", "threads", "from_snapshot")

    def __init__(self, notebook: Notebook, found: list[Thread], from_snapshot: bool) -> None:
        self.notebook, self.threads, self.from_snapshot = notebook, found, from_snapshot


def threads_view(root: Path | str, *, env: dict[str, str] | None = None, progress: Progress | None = None,
                 reader: str | None = None, overlay: bool = False) -> ThreadsView:
    """The notebook and :func:`.agenda.threads`, from the snapshot when it is valid.

    Nothing in a thread depends on today (its urgency and days overdue are computed
    when shown) or on the reader beyond the key's ``me`` (whose turn is "yours" is
    decided when shown, from the notebook's ``viewer``), so the snapshot keeps the
    threads as :func:`.agenda.threads` made them.
    """
    def compute(nb: Notebook) -> tuple[ThreadsView, Callable[[], dict[str, Any]]]:
        every = threads(nb)
        return ThreadsView(nb, every, False), lambda: {**_common(nb), "threads": [_slim(t) for t in every]}

    return _view(scan(root, env, reader, overlay), "threads", _threads_from, compute, progress)


def _slim(thread: Thread) -> Thread:
    members = tuple(ThreadMember(c.path, c.private, c.tags, c.org, c.with_) for c in thread.conversations[:-1])
    return replace(thread, conversations=cast("tuple[Conversation, ...]", (*members, thread.latest)))


def _threads_from(found: Scan, reader: _Reader) -> ThreadsView | None:
    payload = reader.payload()
    if payload is None:
        return None
    return ThreadsView(_notebook(found, payload, []), payload["threads"], True)


class ReferralsView:
    """A notebook to answer ``convo referrals`` from: whole, or every person, org and
    diagnostic with only the conversations that hold referrals (``from_snapshot``): all
    that :func:`.referrals.directory` and :func:`.referrals.suggest_topics` read."""

    __slots__ = ("notebook", "from_snapshot")

    def __init__(self, notebook: Notebook, from_snapshot: bool) -> None:
        self.notebook, self.from_snapshot = notebook, from_snapshot


def referrals_view(root: Path | str, *, env: dict[str, str] | None = None, progress: Progress | None = None,
                   reader: str | None = None, overlay: bool = False) -> ReferralsView:
    """The notebook for the referrals directory, from the snapshot when it is valid."""
    def compute(nb: Notebook) -> tuple[ReferralsView, Callable[[], dict[str, Any]]]:
        return ReferralsView(nb, False), lambda: {
            **_common(nb), "conversations": [c for c in nb.conversations if c.referrals]}

    return _view(scan(root, env, reader, overlay), "referrals", _referrals_from, compute, progress)


def _referrals_from(found: Scan, reader: _Reader) -> ReferralsView | None:
    payload = reader.payload()
    if payload is None:
        return None
    return ReferralsView(_notebook(found, payload, payload["conversations"]), True)


# --- the files --------------------------------------------------------------------------------

def _common(nb: Notebook) -> dict[str, Any]:
    return {"people": nb.people, "orgs": nb.orgs, "diagnostics": _compact(nb.diagnostics),
            "unreadable": nb.unreadable}


def _compact(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics with equal codes and messages sharing one string each: pickle writes a
    shared string once, so thousands of the same warning load as fast as a few."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    return [Diagnostic(d.path, d.line, d.column, share(d.code, d.code), share(d.message, d.message))
            for d in diagnostics]


def _notebook(found: Scan, payload: dict[str, Any], conversations: list[Conversation]) -> Notebook:
    people: dict[str, Person] = payload["people"]
    orgs: dict[str, Org] = payload["orgs"]
    files = [*found.files, *(found.overlay[1] if found.overlay else ())]
    return Notebook(found.root, found.config, people, orgs, conversations, list(payload["diagnostics"]),
                    set(payload["unreadable"]), files, reader=found.reader,
                    overlay=found.overlay[0] if found.overlay else None)


def _write_view(target: Path, key: tuple[Any, ...], make_payload: Callable[[], dict[str, Any]]) -> None:
    """:func:`_write` a view's payload, its :data:`RAW` blobs first (each found by its offsets
    in ``raw_at`` and checked by its CRC-32 in ``crcs``: :meth:`_Reader.raw`)."""
    payload = make_payload()
    raws: list[bytes] = payload.pop(RAW, [])
    places, crcs, at = [], array("L"), 0
    for raw in raws:
        places.append((at, at + len(raw)))
        crcs.append(crc32(raw))
        at += len(raw)
    _write(target, key, lambda: {**payload, "raw_at": places, "crcs": crcs}, raws)


def _write(target: Path, key: tuple[Any, ...], payload: Callable[[], dict[str, Any]],
           blobs: Iterable[bytes] = ()) -> None:
    """The file: MAGIC, the key (a pickle), the blobs, the payload (a pickle), and a trailer of
    the payload's offset and CRC-32, so a reader checks the key before reading anything else
    and damage anywhere after it is detected (each blob's CRC-32 is in the payload)."""

    def write(fh: BinaryIO) -> None:
        fh.write(MAGIC)
        pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
        for blob in blobs:
            fh.write(blob)
        at = fh.tell()
        data = pickle.dumps(payload(), protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(data)
        fh.write(at.to_bytes(8, "little") + crc32(data).to_bytes(4, "little"))

    write_atomic(target, write)


class _Reader:
    """A snapshot file open for reading, its key already checked."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.fd = fh.fileno()
        self.blobs_at = fh.tell()  # the blobs follow the key
        self.crcs: array[int] | None = None

    def payload(self) -> dict[str, Any] | None:
        end = self.fh.seek(-12, os.SEEK_END)
        trailer = self.fh.read(12)
        at, crc = int.from_bytes(trailer[:8], "little"), int.from_bytes(trailer[8:], "little")
        if not self.blobs_at <= at <= end:
            return None
        data = os.pread(self.fd, end - at, at)
        if crc32(data) != crc:
            return None
        gc_was_on = gc.isenabled()
        gc.disable()  # many small objects and no cycles: collection only slows unpickling
        try:
            payload = pickle.loads(data)
        finally:
            if gc_was_on:
                gc.enable()
        if not isinstance(payload, dict):
            return None
        self.crcs = payload.get("crcs")
        return payload

    def raw(self, payload: dict[str, Any], number: int) -> bytes:
        """The bytes of :data:`RAW` blob ``number`` of ``payload`` (read by :meth:`payload`)."""
        start, end = payload["raw_at"][number]
        raw = os.pread(self.fd, end - start, self.blobs_at + start)
        if len(raw) != end - start or self.crcs is None or crc32(raw) != self.crcs[number]:
            raise EOFError("damaged snapshot")
        return raw

    def blob(self, start: int, end: int, number: int) -> Any:
        """Blob ``number``, pickled at [start, end) of the blobs."""
        raw = os.pread(self.fd, end - start, self.blobs_at + start)
        if len(raw) != end - start or self.crcs is None or crc32(raw) != self.crcs[number]:
            raise EOFError("damaged snapshot")
        return pickle.loads(raw)


def _read(target: Path, key: tuple[Any, ...], use: Callable[[_Reader], Any],
          patch: Callable[[_Reader], Any] | None = None) -> Any:
    """``use(reader)`` when the snapshot at ``target`` was made from ``key``; ``patch(reader)``
    when it was made by the same code from the same configuration (the key's first part)
    and ``patch`` is given; else None.

    A snapshot that cannot be read (missing, truncated, corrupt, written by other
    code) is a miss: the command goes on with a full load, which writes a good one.
    """
    try:
        with open(target, "rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                return None
            stored = _unpickle(fh)
            if stored == key:
                return use(_Reader(fh))
            if patch is not None and isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key[0]:
                return patch(_Reader(fh))
            return None
    except Exception:  # noqa: BLE001 - see above: any failure to read is only a miss
        return None


def _unpickle(fh: BinaryIO) -> Any:
    gc_was_on = gc.isenabled()
    gc.disable()  # many small objects and no cycles: collection only slows unpickling
    try:
        return pickle.load(fh)
    except Exception:  # noqa: BLE001 - corrupt, truncated or foreign: not a snapshot we can use
        return None
    finally:
        if gc_was_on:
            gc.enable()
