"""Snapshots for the warm daily commands: ``convo due``, ``brief``, ``threads`` and ``referrals``
without every record.

The per-file cache (:mod:`.records`) spares a warm command the parsing, but it
still unpickles every note's record. On an unchanged notebook the answer of
``due`` (and of ``threads``), and the conversations a ``brief`` (or ``referrals``)
needs are the same as last time, so each of these commands keeps a *snapshot* next to the per-file cache (in the
user's cache directory, never in the notebook):

- ``agenda``: every person and org, the notebook's errors, and
  :func:`.agenda.agenda_entries` (the due items that do not depend on today);
- ``brief``: every person and org, the errors, every conversation pickled
  on its own (with its offset and CRC-32), and indexes from each slug to the
  conversations *with* it (``with``, ``org``), to those *mentioning* it
  (commitment ``owner``/``to``, referral ``by``/``to``/``recommends``), from
  each conversation to its thread, and from each commitment id to the
  conversations closing it;
- ``threads``: every person and org, the errors, and :func:`.agenda.threads`
  (each thread's latest conversation as :class:`ThreadLatest`, its earlier ones as
  :class:`ThreadMember`: all ``convo threads`` reads of them);
- ``referrals``: every person and org, the errors, and only the conversations
  that hold referrals, as :class:`ReferralSource` (all :func:`.referrals.directory` reads).

Of the diagnostics a view keeps the errors alone (:func:`_reported`): they are all a
command answering from a view reports (:func:`.cli.common.finish`, the JSON ``errors``);
warnings are ``convo validate``'s, which always loads the whole notebook. A notebook
of imported mail can hold thousands of warnings, which would otherwise cost every
warm command their unpickling.

A snapshot is used only when its *key* equals the key computed now: the code
that made it (format, version, Python, and a digest of every module
of the package), a digest of every note's (path, size, mtime_ns, ctime_ns, inode)
from this run's scan, and the configuration as read now (``convo.yml`` with
``CONVO_ME`` applied) with its diagnostics. Any edit, new, deleted or renamed
note, or changed ``me`` changes the key, and the snapshot is rebuilt from a full
load (through the per-file cache) by the same functions a full load uses; but
when the change is a few edited conversations of the kinds :func:`_patch_of`
follows, the ``agenda``, ``threads`` and ``referrals`` snapshots are *patched*
instead (:func:`_agenda_patch`, :func:`_threads_patch`, :func:`_referrals_patch`),
and a brief is made from the ``brief`` snapshot and the edited conversations
(:func:`_brief_patch`): only the edited conversations (and the few their answer
depends on) are read.
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
commitment id is loaded. People, orgs and errors are all there. A further
conversation loaded (a thread's other conversations, a closer) is in the whole
notebook too, so it adds nothing a full load would not; and the loaded ones keep
their chronological order. ``tests/test_cache_snapshot.py`` compares the
two for every person and org of the sample notebook.
"""

from __future__ import annotations

import gc
import importlib
import marshal
import operator
import os
import pickle
import time
from array import array
from binascii import crc32
from bisect import insort
from pathlib import Path
from typing import Any, BinaryIO, Callable, Collection, Iterable, Iterator, Sequence, TypeVar, cast

from .. import notefiles
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
    paused_gc,
    read_file,
    reader_of,
    scan_overlay,
)
from ..model import Config, Conversation, Notebook, Org, Person
from ..notefiles import NoteScan
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

    __slots__ = ("root", "config", "config_problems", "notes", "started_ns", "reader", "overlay")

    def __init__(self, root: Path, config: Config, config_problems: list[Diagnostic],
                 notes: NoteScan, started_ns: int, reader: str | None = None,
                 overlay: Overlay | None = None) -> None:
        self.root = root
        self.config = config
        self.config_problems = config_problems
        self.notes = notes
        self.started_ns = started_ns  # just before the scan: notes modified after this are not snapshotted
        self.reader = reader
        self.overlay = overlay

    @property
    def files(self) -> dict[str, FileKey]:
        """Every note's path and file key, in path order."""
        return self.notes.files

    @property
    def rels(self) -> list[str]:
        """Every note's path, in order."""
        return self.notes.rels

    def paths(self) -> bytes:
        """A digest of every note's path, in the scan's order."""
        return self.notes.paths()

    def numbers(self) -> array[int]:
        """Every note's key, four numbers each, in the scan's order (:meth:`.NoteScan.numbers`)."""
        return self.notes.numbers()

    def key(self) -> tuple[Any, ...]:
        """What a snapshot must have been computed from to be valid now."""
        digest = blake2b(self.paths(), digest_size=20)  # the paths and every number of their keys
        digest.update(self.numbers().tobytes())
        personal = None
        if self.overlay is not None:
            personal = (str(self.overlay[0]), blake2b(marshal.dumps(self.overlay[1], 2), digest_size=20).digest())
        owner = self.config.me or self.reader  # the reader may be a fact only where convo.yml names nobody
        return ((code_stamp(), self.config, self.config_problems, owner, personal), digest.digest())

    def racy(self) -> bool:
        """True when some note is too recent to be trusted by its key alone (:func:`.records.racy`)."""
        numbers = self.numbers()
        if self.notes.wide:  # the digests are no times: every key asked
            if any(racy(key, self.started_ns) for key in self.files.values()):
                return True
        elif numbers and racy((0, max(numbers[1::4]), max(numbers[2::4])), self.started_ns):
            return True
        return self.overlay is not None and any(racy(key, self.started_ns) for key in self.overlay[1].values())

    def load(self, progress: Progress | None = None) -> Notebook:
        """The whole notebook, exactly as :func:`.loader.load_notebook` reads it, checks across notes included."""
        return load_scanned(self.root, self.files, self.config, self.config_problems,
                            check=True, progress=progress, reader=self.reader, overlay=self.overlay)


def scan(root: Path | str, env: dict[str, str] | None = None, reader: str | None = None,
         overlay: bool = False, early: Sequence[Callable[[], object]] = ()) -> Scan:
    """Read the configuration and stat every note (what a warm command cannot skip).

    ``reader``: ``--me`` (else ``CONVO_ME`` or the user's config); ``overlay``: also the
    reader's personal notes; ``early``: work to do first while the walk `convo` started ahead
    is still running (:func:`.notefiles.scan`), before importing what reading a note takes."""
    root = Path(root)
    started = time.time_ns()
    config, problems = load_config(root, env)
    notes = notefiles.scan(root, (*early, *_READY_TO_READ))  # (the walk `convo` started ahead, when there is one)
    extra = scan_overlay(overlay_of(root, env), root) if overlay else None
    # the entries the walk left out are reported with the configuration's problems
    return Scan(root, config, problems + notes.skipped, notes, min(started, notes.started_ns),
                reader_of(root, env, reader), extra)


def _import(module: str) -> Callable[[], object]:
    return lambda: importlib.import_module(module, __package__)


# What reading a note needs, imported while the walk `convo` started ahead is still running (one
# module a step, each only while it runs): a command that finds an edited note reads it; one that
# finds none waits at most for the module under way when the walk ends.
_READY_TO_READ = tuple(_import(module) for module in ("..schema", "..yamlsafe", "..checks"))


class AgendaView:
    """What ``convo due`` needs: a notebook for names and errors, and the agenda entries.

    From a snapshot, ``notebook`` holds every person, org and error but no
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

    __slots__ = ("notebook", "from_snapshot", "patched")

    def __init__(self, notebook: Notebook, from_snapshot: bool, patched: bool = False) -> None:
        self.notebook, self.from_snapshot, self.patched = notebook, from_snapshot, patched


def snapshot_file(root: Path, kind: str) -> Path | None:
    """Where a notebook's ``agenda``, ``brief``, ``threads`` or ``referrals`` snapshot is kept (None: off)."""
    target = cache_file(root)
    return None if target is None else target.with_name(f"{target.stem}-{kind}.snapshot")


def agenda_view(root: Path | str, *, env: dict[str, str] | None = None,
                progress: Progress | None = None, reader: str | None = None, overlay: bool = False) -> AgendaView:
    """The notebook and :func:`.agenda.agenda_entries`, from the snapshot when it is valid,
    or from the snapshot patched with the few conversations edited since (:func:`_agenda_patch`)."""
    found = scan(root, env, reader, overlay, early=[_read_early(root, "agenda", lambda payload: _AGENDA_EARLY)])

    def compute(nb: Notebook) -> tuple[AgendaView, Callable[[], dict[str, Any]]]:
        entries = agenda_entries(nb)
        return AgendaView(nb, entries, False), lambda: _agenda_payload(found, nb, entries)

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
    got = None
    if target is not None and key is not None:
        got = _read(target, key, lambda reader: from_snapshot(found, reader),
                    None if patch is None else lambda reader: patch(found, reader))
    _EARLY.clear()  # (what was read early and not taken: another snapshot than the one read now)
    if isinstance(got, tuple):  # patched: written again with this scan's key
        view, payload = got
        if target is not None and key is not None and not found.racy():
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
        partial = _read(target, key, lambda reader: (_partial_notebook(found, reader, slug), False),
                        lambda reader: (_brief_patch(found, reader, slug), True))
        if partial is not None and partial[0] is not None:
            return BriefView(partial[0], True, patched=partial[1])
    nb = found.load(progress)
    if target is not None and key is not None and not found.racy():
        _write_brief(target, key, found, nb)
    return BriefView(nb, False)


# --- the agenda snapshot, and patching it after an edit ------------------------------------------
#
# Its payload is small; the parts are RAW blobs: the names (people, orgs and unreadable notes),
# the diagnostics, the entries, the index (marshal) and every slug. A patch leaves those bytes
# as they are and records what changed in the payload's `delta`, which a reader applies; once
# the delta holds REWRITE_INDEX notes, the parts are written whole again.

NAMES, DIAGNOSTICS, ENTRIES, INDEX, SLUGS = range(5)  # the agenda snapshot's RAW blobs
# what a warm `due` reads of it (and, after an edit, the index), read while the walk runs
_AGENDA_EARLY = ((NAMES, pickle.loads), (ENTRIES, pickle.loads), (INDEX, marshal.loads))
Delta = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], list[DueItem], list[Diagnostic]]
NO_DELTA: Delta = ((), (), (), [], [])


def _agenda_payload(found: Scan, nb: Notebook, entries: list[DueItem]) -> dict[str, Any]:
    """The agenda snapshot of a fully loaded notebook (no index with a personal overlay: no patches)."""
    dumps, protocol = pickle.dumps, pickle.HIGHEST_PROTOCOL
    raws = [dumps((nb.people, nb.orgs, nb.unreadable), protocol), dumps(_reported(nb.diagnostics), protocol),
            dumps(entries, protocol)]
    if found.overlay is None:
        raws += [marshal.dumps(_patch_index(found, nb)), dumps(nb.slugs, protocol)]
    return {"delta": NO_DELTA, RAW: raws}


def _replaced(item: DueItem, gone: Collection[str], threads: Collection[str], people: Collection[str]) -> bool:
    """Whether an edit of the notes ``gone`` (touching these threads and people) remakes ``item``."""
    kind = item.kind
    if kind == "commitment":
        return item.source.rpartition(":")[0] in gone
    if kind == "keep-in-touch":
        return item.to in people
    return item.thread in threads


def _agenda_parts(reader: _Reader, payload: dict[str, Any],
                  ) -> tuple[Any, list[Diagnostic], list[DueItem], list[bytes]]:
    """The names, diagnostics (sorted) and entries of an agenda snapshot, its delta applied, and
    the bytes of those three parts as stored (a patch writes them back as they are)."""
    raws = [reader.raw(payload, part) for part in (NAMES, DIAGNOSTICS, ENTRIES)]
    names, diagnostics, entries = (_loads(raw) for raw in raws)
    gone, threads_hit, people_hit, added, problems = payload["delta"]
    if gone:
        entries, diagnostics = _remade(entries, diagnostics, set(gone), set(threads_hit), set(people_hit),
                                       added, problems)
    return names, diagnostics, entries, raws


def _remade(entries: list[DueItem], diagnostics: list[Diagnostic], gone: set[str], threads: set[str],
            people: set[str], added: list[DueItem], problems: list[Diagnostic],
            ) -> tuple[list[DueItem], list[Diagnostic]]:
    """``entries`` and ``diagnostics`` (sorted) with the items of the units an edit of the notes ``gone``
    touched (those threads and people) and those notes' problems replaced by ``added`` and ``problems``."""
    entries = [item for item in entries if not _replaced(item, gone, threads, people)] + added
    return entries, _mended(diagnostics, gone, problems)


def _mended(diagnostics: list[Diagnostic], gone: Collection[str], problems: list[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` (sorted) with those of the notes ``gone`` replaced by ``problems``."""
    diagnostics = [d for d in diagnostics if d.path not in gone]
    for problem in problems:
        insort(diagnostics, problem, key=Diagnostic.sort_key)
    return diagnostics


def _agenda_notebook(found: Scan, names: Any, diagnostics: list[Diagnostic]) -> Notebook:
    people, orgs, unreadable = names
    return _notebook(found, {"people": people, "orgs": orgs, "diagnostics": diagnostics, "unreadable": unreadable},
                     [])


def _agenda_from(found: Scan, reader: _Reader) -> AgendaView | None:
    payload = reader.payload()
    if payload is None:
        return None
    names, diagnostics, entries, _raws = _agenda_parts(reader, payload)
    return AgendaView(_agenda_notebook(found, names, diagnostics), entries, True)


def _shape(conv: Conversation) -> int:
    """What the problems between notes read of a conversation (slug, commitment ids, ``closes``), hashed."""
    text = repr((conv.slug, tuple(c.id for c in conv.commitments if c.id), conv.closes))
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def _patch_index(found: Scan, nb: Notebook) -> dict[str, Any]:
    """What a patch needs, in columns ``marshal`` writes and reads fast: every note file's key
    (``paths``: :meth:`Scan.paths`; ``keys``: four numbers a note, in the scan's order); each
    placed conversation's place in that order, date and time (its order), thread, people
    (``me`` resolved) and :func:`_shape`; the ids some conversation closes; and the paths
    :func:`.checks.unique_problems` depends on."""
    from ..checks import unique_problems

    place = {rel: n for n, rel in enumerate(found.rels)}
    thread_ids: dict[str, int] = {}
    person_ids: dict[str, int] = {}
    convs, day, sec, thread, shape = array("i"), array("i"), array("i"), array("i"), array("q")
    people = []
    for conv in nb.conversations:
        convs.append(place[conv.path])
        day.append(conv.sort_key[0])
        sec.append(conv.sort_key[1])
        thread.append(thread_ids.setdefault(nb.thread_key(conv), len(thread_ids)))
        people.append(tuple(person_ids.setdefault(nb.canon(s) or s, len(person_ids)) for s in conv.with_))
        shape.append(_shape(conv))
    return {"paths": found.paths(), "keys": found.numbers().tobytes(), "convs": convs.tobytes(), "day": day.tobytes(),
            "sec": sec.tobytes(), "thread": thread.tobytes(), "threads": list(thread_ids),
            "people": people, "persons": list(person_ids), "shape": shape.tobytes(),
            "closed": list(closed_ids(nb)), "unique": sorted({p for paths, _ in unique_problems(nb) for p in paths})}


def _columns(kind: str, raw: bytes) -> array[int]:
    column = array(kind)
    column.frombytes(raw)
    return column


def _changed(index: dict[str, Any], found: Scan) -> list[str] | None:
    """The notes whose key moved since the index (None: a note added, removed or renamed)."""
    if index["paths"] != found.paths():
        return None
    rels = list(found.rels)
    before, after = index["keys"], found.numbers().tobytes()
    record, block = 32, 32 * 256  # four 8-byte numbers a note; compared 256 notes at a time first
    changed = []
    for start in range(0, len(after), block):
        if before[start:start + block] != after[start:start + block]:
            for at in range(start, min(start + block, len(after)), record):
                if before[at:at + record] != after[at:at + record]:
                    changed.append(rels[at // record])
    return changed


class _Stale(Exception):
    """A note the agenda index describes reads differently now."""


class _Patch:
    """The conversations edited since a snapshot's index was written, read, and the index's
    columns brought up to date with them: what a patch of the agenda, threads, referrals or
    brief snapshot starts from (:func:`_patch_of`)."""

    __slots__ = ("found", "nb", "index", "changed", "records", "read_problems", "number", "rels", "convs", "day",
                 "sec", "thread", "threads", "people", "persons", "threads_hit", "people_hit")

    def __init__(self, found: Scan, nb: Notebook, index: dict[str, Any], changed: list[str],
                 records: dict[str, Conversation], read_problems: list[Diagnostic], number: dict[str, int]) -> None:
        self.found, self.nb, self.index, self.changed = found, nb, index, changed
        self.records, self.read_problems = records, read_problems
        self.number = number  # each edited conversation's number (its place among the conversations)
        self.rels = list(found.rels)
        self.convs = _columns("i", index["convs"])  # each placed conversation's place in `rels`
        self.day, self.sec = _columns("i", index["day"]), _columns("i", index["sec"])
        self.thread = _columns("i", index["thread"])
        people: list[tuple[int, ...]] = index["people"]
        thread_id = {key: n for n, key in enumerate(index["threads"])}
        person_id = {slug: n for n, slug in enumerate(index["persons"])}
        self.threads_hit: set[int] = set()  # the threads the edited conversations were and are in
        self.people_hit: set[int] = set()  # everyone they were and are with
        for rel, conv in records.items():
            n = number[rel]
            self.threads_hit.add(self.thread[n])
            self.people_hit.update(people[n])
            self.day[n], self.sec[n] = conv.sort_key[0], conv.sort_key[1]
            self.thread[n] = thread_id.setdefault(nb.thread_key(conv), len(thread_id))
            people[n] = tuple(person_id.setdefault(nb.canon(s) or s, len(person_id)) for s in conv.with_)
            self.threads_hit.add(self.thread[n])
            self.people_hit.update(people[n])
        self.threads, self.people, self.persons = list(thread_id), people, list(person_id)

    def order(self, n: int) -> tuple[int, int, str, int]:
        """Conversation ``n``'s place in the notebook's chronological order (date, time, path), and ``n``."""
        return (self.day[n], self.sec[n], self.rels[self.convs[n]], n)

    def record(self, order: tuple[int, int, str, int]) -> Conversation:
        """The conversation at ``order``: an edited one as read, else read now (:class:`_Stale` when it
        no longer reads as the index says)."""
        rel, n = order[2], order[3]
        if rel not in self.records:
            note, problems = read_file(self.found.root, rel)
            if not isinstance(note, Conversation) or is_unreadable(note, problems) \
                    or note.sort_key != order[:3] or self.nb.thread_key(note) != self.threads[self.thread[n]]:
                raise _Stale(rel)
            self.records[rel] = note
        return self.records[rel]

    def problems(self, slugs: Callable[[], set[str]]) -> list[Diagnostic]:
        """The errors of the edited conversations: their reading's and :func:`.checks.note_problems`'
        (``slugs``: every slug of the notebook, asked only when one of them has a wiki link)."""
        from ..checks import note_problems

        edited = [self.records[rel] for rel in self.changed]
        nb = self.nb
        near = Notebook(nb.root, nb.config, nb.people, nb.orgs, edited, [], set(), nb.files, reader=nb.reader)
        near.slugs = slugs() if any(conv.links for conv in edited) else set()  # the wiki-link check reads them
        return _reported([*self.read_problems, *note_problems(near, edited)])

    def index_raw(self) -> bytes:
        """The index as it is now (the scan's keys, the edited conversations' columns)."""
        return marshal.dumps({**self.index, "keys": self.found.numbers().tobytes(), "day": self.day.tobytes(),
                              "sec": self.sec.tobytes(), "thread": self.thread.tobytes(), "threads": self.threads,
                              "people": self.people, "persons": self.persons})


def _patch_of(found: Scan, index: dict[str, Any], changed: list[str], nb: Notebook) -> _Patch | None:
    """The edit since ``index`` (``changed``: :func:`_changed`) when a patch can follow it: edits of
    existing, readable, placed conversations (at most :data:`PATCH_LIMIT`) that keep their
    :func:`_shape` and share no problem between notes (:func:`.checks.unique_problems`); else None.
    ``nb``: the snapshot's people, orgs, unreadable notes and errors, on this scan's configuration."""
    if not changed or len(changed) > PATCH_LIMIT:
        return None
    rels = list(found.rels)
    convs = _columns("i", index["convs"])
    unique = set(index["unique"])
    number: dict[str, int] = {}
    for rel in changed:
        if rel in unique or rel in nb.unreadable:
            return None
        try:
            number[rel] = convs.index(rels.index(rel))
        except ValueError:  # not a placed conversation
            return None
    shape = _columns("q", index["shape"])
    records: dict[str, Conversation] = {}
    read_problems: list[Diagnostic] = []
    for rel in changed:
        note, problems = read_file(found.root, rel)
        if not isinstance(note, Conversation) or is_unreadable(note, problems) or _shape(note) != shape[number[rel]]:
            return None
        records[rel] = note
        read_problems.extend(problems)
    return _Patch(found, nb, index, changed, records, read_problems, number)


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
    if payload is None or found.overlay is not None or len(payload.get("raw_at", ())) <= SLUGS:
        return None
    index = _unmarshal(reader.raw(payload, INDEX))
    changed = _changed(index, found)
    if not changed or len(changed) > PATCH_LIMIT:  # (before the parts are read: a full load follows)
        return None
    names, diagnostics, entries, raws = _agenda_parts(reader, payload)
    nb = _agenda_notebook(found, names, diagnostics)
    edit = _patch_of(found, index, changed, nb)
    if edit is None:
        return None
    threads, persons, people, thread = edit.threads, edit.persons, edit.people, edit.thread
    # the latest conversation of each thread and of each person touched, among all of them now
    latest_in: dict[int, tuple[int, int, str, int]] = {}
    latest_with: dict[int, tuple[int, int, str, int]] = {}
    for n in range(len(edit.convs)):
        t = thread[n]
        if t in edit.threads_hit:
            order = edit.order(n)
            if t not in latest_in or order > latest_in[t]:
                latest_in[t] = order
        for p in people[n]:
            if p in edit.people_hit:
                order = edit.order(n)
                if p not in latest_with or order > latest_with[p]:
                    latest_with[p] = order
    gone = set(edit.changed)
    hit_keys = {threads[t] for t in edit.threads_hit}
    hit_slugs = {persons[p] for p in edit.people_hit}
    new: list[DueItem] = []
    try:
        for rel in edit.changed:
            new.extend(commitment_items(nb, edit.records[rel], set(index["closed"])))
        for t in sorted(edit.threads_hit & latest_in.keys()):
            item = thread_item(nb, thread_of(nb, threads[t], [edit.record(latest_in[t])]))
            if item is not None:
                new.append(item)
        for p in sorted(edit.people_hit):
            slug = persons[p]
            person = nb.people.get(slug)
            cadence = None if person is None or nb.is_me(slug) else cadence_of(nb, person)[0]
            if person is None or cadence is None:
                continue
            last = edit.record(latest_with[p]) if p in latest_with else None
            new.append(touch_item(nb, person, cadence.after(last.date) if last else None, last))
    except _Stale:  # an unchanged note that no longer reads as the index says: a full load tells
        return None
    problems = edit.problems(lambda: _loads(reader.raw(payload, SLUGS)))
    entries, diagnostics = _remade(entries, diagnostics, gone, hit_keys, hit_slugs, new, problems)
    nb.diagnostics = diagnostics
    view = AgendaView(nb, entries, True, patched=True)
    # what changed since the parts were written whole: the units remade, and their items and problems now
    was_gone, was_threads, was_people, was_added, was_problems = payload["delta"]
    all_gone = gone | set(was_gone)
    if len(all_gone) > REWRITE_INDEX:  # the parts written whole again
        delta = NO_DELTA
        raws = [pickle.dumps(part, pickle.HIGHEST_PROTOCOL)
                for part in ((nb.people, nb.orgs, nb.unreadable), diagnostics, entries)]
    else:
        delta = (tuple(sorted(all_gone)), tuple(sorted(hit_keys | set(was_threads))),
                 tuple(sorted(hit_slugs | set(was_people))),
                 [item for item in was_added if not _replaced(item, gone, hit_keys, hit_slugs)] + new,
                 [d for d in was_problems if d.path not in gone] + problems)
    return view, {"delta": delta, RAW: [*raws, edit.index_raw(), reader.raw(payload, SLUGS)]}


def _loads(raw: bytes) -> Any:
    """What ``raw`` pickles (as :func:`_read_early` unpickled it, when it did)."""
    early = _taken_early(pickle.loads, raw)
    if early is not _NONE:
        return early
    with paused_gc():  # many small objects and no cycles: collection only slows unpickling
        return pickle.loads(raw)


def _unmarshal(raw: bytes) -> Any:
    """What ``raw`` marshals (as :func:`_read_early` read it, when it did)."""
    early = _taken_early(marshal.loads, raw)
    return marshal.loads(raw) if early is _NONE else early


# Parts of a snapshot read while the walk `convo` started ahead was still running
# (:func:`_read_early`): (the function that read them, their bytes) -> what it made of them. A
# part is taken from here, once, for the very same bytes only; what is left is dropped when
# the view is made (:func:`_view`).
_EARLY: dict[tuple[Callable[[bytes], Any], bytes], Any] = {}
_NONE = object()


def _taken_early(load: Callable[[bytes], Any], raw: bytes) -> Any:
    return _EARLY.pop((load, raw), _NONE) if _EARLY else _NONE


Parts = Callable[[dict[str, Any]], Iterable[tuple[int, Callable[[bytes], Any]]]]


def _read_early(root: Path | str, kind: str, parts: Parts) -> Callable[[], None]:
    """A step of the wait for the walk started ahead: the ``kind`` snapshot's payload and the
    ``parts`` of it that ``parts(payload)`` names (blob number, how to read it), read and checked
    as :class:`_Reader` reads them, kept in :data:`_EARLY` for the command to take once it knows
    the snapshot is the one it wants."""

    def step() -> None:
        target = snapshot_file(Path(root), kind)
        if target is None:
            return
        try:
            with open(target, "rb") as fh:
                if fh.read(len(MAGIC)) != MAGIC or _unpickle(fh) is None:
                    return
                reader = _Reader(fh)
                data = reader.payload_bytes()
                if data is None:
                    return
                with paused_gc():  # (as _loads: many small objects, no cycles)
                    payload = reader.checked(pickle.loads(data))
                if payload is None:
                    return
                _EARLY[pickle.loads, data] = payload
                for number, load in parts(payload):
                    raw = reader.raw(payload, number)
                    with paused_gc():
                        _EARLY[load, raw] = load(raw)
        except Exception:  # noqa: BLE001, S110 - a snapshot that cannot be read: the command finds out itself
            pass

    return step


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
    from ..referrals import names_index, recommended

    canon = nb.canon
    named: set[str] = set()
    for c in conv.commitments:
        named.update(s for s in (c.owner, canon(c.owner), c.to, canon(c.to)) if s)
    if conv.referrals and names is None:
        names = names_index(nb)
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


def _write_brief(target: Path, key: tuple[Any, ...], found: Scan, nb: Notebook) -> None:
    """Every conversation pickled alone (in chronological order), and the indexes to find them."""
    overlay = found.overlay
    groups: dict[str, list[int]] = {}
    involved: dict[str, list[int]] = {}
    mentioned: dict[str, list[int]] = {}
    closers: dict[str, list[int]] = {}
    thread_of = array("q")
    from ..referrals import names_index

    names = names_index(nb)
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
        made = {**_common(nb), "involved": involved, "mentioned": mentioned, "closers": closers,
                "thread_of": thread_of, "threads": [members[1:] for members in groups.values()],
                "thread_keys": list(groups), "starts": starts, "crcs": crcs}
        if overlay is None:  # what _brief_patch needs (never with a personal overlay)
            made["patch"] = marshal.dumps(_patch_index(found, nb))
            made["slugs"] = pickle.dumps(nb.slugs, pickle.HIGHEST_PROTOCOL)
        return made

    _write(target, key, payload, blobs())


def _partial_notebook(found: Scan, reader: _Reader, slug: str, payload: dict[str, Any] | None = None,
                      edit: _Patch | None = None) -> Notebook | None:
    """Every person and org, and the conversations the brief on ``slug`` looks at: those with
    the subject (and the rest of their threads), those mentioning it, and their closers.

    With an ``edit`` (:func:`_brief_patch`), the edited conversations are taken as read now
    instead of from the snapshot, and counted where they are now as well as where they were:
    with the subject or mentioning it, and in the thread they are in now (whose conversations
    then are loaded too). A conversation counted where it was and no longer is, is one
    further conversation of the notebook (see the module's docstring)."""
    payload = reader.payload() if payload is None else payload
    if payload is None:
        return None
    people_only = _notebook(found, payload, [])
    wanted = subject_slugs(people_only, slug)
    if wanted is None:  # no such person or org: build_brief says so, with the known names
        return people_only
    involved, mentioned, threads = payload["involved"], payload["mentioned"], payload["threads"]
    thread_of, starts = payload["thread_of"], payload["starts"]
    now: dict[int, Conversation] = {} if edit is None else {edit.number[rel]: edit.records[rel] for rel in edit.changed}
    numbers: set[int] = set()
    for s in wanted:
        numbers.update(involved.get(s, ()))
    if not now:
        for g in {thread_of[n] for n in numbers}:
            numbers.update(threads[g])
    else:  # threads by key: an edited conversation's is the one it is in now, maybe new
        keys = payload["thread_keys"]
        key_now = {n: people_only.thread_key(conv) for n, conv in now.items()}
        numbers.update(n for n, conv in now.items() if involvement(people_only, conv) & wanted)
        group_of_key = {key: g for g, key in enumerate(keys)}

        def key_of(n: int) -> str:
            return key_now[n] if n in now else keys[thread_of[n]]

        whole: set[str] = set()
        pending = {key_of(n) for n in numbers}
        while pending:  # every thread a loaded conversation is in, whole (a moved one's too)
            key = pending.pop()
            whole.add(key)
            members = set(threads[group_of_key[key]]) if key in group_of_key else set()
            members.update(n for n, k in key_now.items() if k == key)
            pending.update(key_of(n) for n in members - numbers if key_of(n) not in whole)
            numbers |= members
    for s in wanted:
        numbers.update(mentioned.get(s, ()))
    if now:
        from ..referrals import names_index

        names = names_index(people_only)
        numbers.update(n for n, conv in now.items() if mentions(people_only, conv, names) & wanted)

    def conversation(n: int) -> Conversation:
        return now[n] if n in now else reader.blob(starts[n], starts[n + 1], n)

    loaded = {n: conversation(n) for n in sorted(numbers)}
    ids = {c.id for conv in loaded.values() for c in conv.commitments if c.id}
    closing = {n for ident in ids for n in payload["closers"].get(ident, ()) if n not in loaded}
    loaded.update((n, conversation(n)) for n in sorted(closing))
    return _notebook(found, payload, sorted(loaded.values(), key=_SORT_KEY))  # chronological, as a full load


_SORT_KEY = operator.attrgetter("sort_key")


def _brief_patch(found: Scan, reader: _Reader, slug: str) -> Notebook | None:
    """The partial notebook of a brief (:func:`_partial_notebook`) on a brief snapshot made before
    a few conversations were edited (the kinds :func:`_patch_of` follows), with the edited ones as
    read now and their errors as :func:`_Patch.problems` says; None otherwise. The snapshot is not
    written again: the next brief reads the few edited conversations again, until a full load
    (more edits than a patch follows) writes a new one."""
    payload = reader.payload()
    if payload is None or found.overlay is not None or "patch" not in payload:
        return None
    index = marshal.loads(payload["patch"])
    changed = _changed(index, found)
    if not changed or len(changed) > PATCH_LIMIT:
        return None
    edit = _patch_of(found, index, changed, _notebook(found, payload, []))
    if edit is None:
        return None
    errors = _mended(edit.nb.diagnostics, set(changed), edit.problems(lambda: _loads(payload["slugs"])))
    return _partial_notebook(found, reader, slug, {**payload, "diagnostics": errors}, edit)


# --- threads and referrals ---------------------------------------------------------------------

class ThreadMember:
    """An earlier conversation of a thread, as the threads snapshot keeps it: all that
    ``convo threads`` reads of a thread's conversations but the latest: its ``path`` and
    ``private`` (:meth:`.model.Notebook.is_private`), its ``tags``, ``org`` and ``with_``
    (:func:`.agenda.thread_matches`, :meth:`.model.Notebook.org_of`), and the count."""

    __slots__ = ("path", "private", "tags", "org", "with_")

    def __init__(self, path: str, private: bool | None, tags: tuple[str, ...], org: str | None,
                 with_: tuple[str, ...]) -> None:
        self.path, self.private, self.tags, self.org, self.with_ = path, private, tags, org, with_

    def __reduce__(self) -> tuple[Any, ...]:
        return (ThreadMember, (self.path, self.private, self.tags, self.org, self.with_))


class ThreadLatest(ThreadMember):
    """A thread's latest conversation, as the threads snapshot keeps it: a :class:`ThreadMember`
    with all else ``convo threads`` and its JSON read of it (``title``, ``date``, ``next``,
    ``recorded_by``, ``sort_key``), not its commitments, referrals and links."""

    __slots__ = ("title", "date", "next", "recorded_by", "sort_key")

    def __init__(self, path: str, private: bool | None, tags: tuple[str, ...], org: str | None,
                 with_: tuple[str, ...], title: str, date: Any, next: Any, recorded_by: str | None,  # noqa: A002
                 sort_key: tuple[int, int, str]) -> None:
        super().__init__(path, private, tags, org, with_)
        self.title, self.date, self.next, self.recorded_by, self.sort_key = title, date, next, recorded_by, sort_key

    def __reduce__(self) -> tuple[Any, ...]:
        return (ThreadLatest, (self.path, self.private, self.tags, self.org, self.with_, self.title, self.date,
                               self.next, self.recorded_by, self.sort_key))


class ThreadsView:
    """What ``convo threads`` needs: a notebook for names and errors, and every thread.

    From a snapshot, ``notebook`` holds every person, org and error but no
    conversations, and each thread's conversations are :class:`ThreadMember`s (the latest a
    :class:`ThreadLatest`);
    otherwise it is the whole notebook and :func:`.agenda.threads` of it.
    """

    __slots__ = ("notebook", "threads", "from_snapshot", "patched")

    def __init__(self, notebook: Notebook, found: list[Thread], from_snapshot: bool, patched: bool = False) -> None:
        self.notebook, self.threads, self.from_snapshot, self.patched = notebook, found, from_snapshot, patched


def threads_view(root: Path | str, *, env: dict[str, str] | None = None, progress: Progress | None = None,
                 reader: str | None = None, overlay: bool = False) -> ThreadsView:
    """The notebook and :func:`.agenda.threads`, from the snapshot when it is valid.

    Nothing in a thread depends on today (its urgency and days overdue are computed
    when shown) or on the reader beyond the key's ``me`` (whose turn is "yours" is
    decided when shown, from the notebook's ``viewer``), so the snapshot keeps the
    threads as :func:`.agenda.threads` made them.
    """
    found = scan(root, env, reader, overlay, early=[_read_early(root, "threads", lambda payload: [
        *((number, pickle.loads) for number in payload["thread_blobs"]), *_patch_parts(payload)])])

    def compute(nb: Notebook) -> tuple[ThreadsView, Callable[[], dict[str, Any]]]:
        every = threads(nb)

        def payload() -> dict[str, Any]:
            return _with_threads(_patchable(found, nb, _common(nb)), _chunks(_slim(every)))

        return ThreadsView(nb, every, False), payload

    return _view(found, "threads", _threads_from, compute, progress, _threads_patch)


def _slim(every: list[Thread]) -> list[Thread]:
    """The threads as the snapshot keeps them (:class:`ThreadMember`, :class:`ThreadLatest`), equal
    tags, orgs, people, authors, states and turns one object each: pickle writes a shared object
    once, and loads it once (a fifth faster on a notebook of ten thousand conversations)."""
    seen: dict[Any, Any] = {}
    share = seen.setdefault

    def slim(thread: Thread) -> Thread:
        members = tuple(ThreadMember(c.path, c.private, share(c.tags, c.tags), share(c.org, c.org),
                                     share(c.with_, c.with_)) for c in thread.conversations[:-1])
        c = thread.latest
        latest = ThreadLatest(c.path, c.private, share(c.tags, c.tags), share(c.org, c.org), share(c.with_, c.with_),
                              c.title, c.date, c.next, share(c.recorded_by, c.recorded_by), c.sort_key)
        return thread._replace(conversations=cast("tuple[Conversation, ...]", (*members, latest)),
                               state=share(thread.state, thread.state), turn=share(thread.turn, thread.turn),
                               people=share(thread.people, thread.people))

    return [slim(thread) for thread in every]


PATCH_INDEX, PATCH_SLUGS = range(2)  # the RAW blobs of the threads and referrals snapshots
THREADS_CHUNK = 256  # threads pickled together in one RAW blob of the threads snapshot
THREADS_SPARE = 16  # blobs a patch may add before the threads are chunked again


def _chunks(every: list[Thread]) -> list[list[Thread]]:
    return [every[at:at + THREADS_CHUNK] for at in range(0, len(every), THREADS_CHUNK)]


def _with_threads(payload: dict[str, Any], chunks: Sequence[list[Thread] | bytes]) -> dict[str, Any]:
    """``payload`` with the threads as RAW blobs after its others (``thread_blobs``: where they
    are): a chunk given as bytes is written as it is, the others pickled. A patch then pickles
    again only the chunks holding a thread it remade, not all of them (20 ms at 10,000)."""
    raws: list[bytes] = payload.setdefault(RAW, [])
    payload["thread_blobs"] = list(range(len(raws), len(raws) + len(chunks)))
    raws += [chunk if isinstance(chunk, bytes) else pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL) for chunk in chunks]
    return payload


def _thread_chunks(reader: _Reader, payload: dict[str, Any]) -> list[tuple[bytes, list[Thread]]]:
    """The threads snapshot's chunks of threads: each one's bytes as stored, and its threads."""
    raws = [reader.raw(payload, number) for number in payload["thread_blobs"]]
    return [(raw, _loads(raw)) for raw in raws]


def _patchable(found: Scan, nb: Notebook, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with what :func:`_edit_of` needs (:func:`_patch_index` and every slug) as its RAW
    blobs, unless a personal overlay was read (such a snapshot is never patched)."""
    if found.overlay is None:
        payload[RAW] = [marshal.dumps(_patch_index(found, nb)), pickle.dumps(nb.slugs, pickle.HIGHEST_PROTOCOL)]
    else:
        payload[RAW] = []
    return payload


def _patch_parts(payload: dict[str, Any]) -> list[tuple[int, Callable[[bytes], Any]]]:
    """What a threads or referrals patch reads first of its snapshot (:func:`_edit_of`), when it can follow."""
    return [(PATCH_INDEX, marshal.loads)] if len(payload.get("raw_at", ())) > PATCH_SLUGS else []


def _edit_of(found: Scan, reader: _Reader, conversations: Callable[[dict[str, Any]], list[Any]],
             ) -> tuple[dict[str, Any], _Patch] | None:
    """The payload of a threads or referrals snapshot (:func:`_patchable`) and the edit since it
    (:func:`_patch_of`, on its people, orgs, errors and ``conversations``), when a patch can follow."""
    payload = reader.payload()
    if payload is None or found.overlay is not None or len(payload.get("raw_at", ())) <= PATCH_SLUGS:
        return None
    index = _unmarshal(reader.raw(payload, PATCH_INDEX))
    changed = _changed(index, found)
    if not changed or len(changed) > PATCH_LIMIT:
        return None
    edit = _patch_of(found, index, changed, _notebook(found, payload, conversations(payload)))
    return None if edit is None else (payload, edit)


def _threads_patch(found: Scan, reader: _Reader) -> tuple[ThreadsView, dict[str, Any]] | None:
    """The threads snapshot brought up to date with the conversations edited since it was made
    (as :func:`_agenda_patch`, on the same kinds of edit: :func:`_patch_of`); None otherwise.

    A thread is made from its conversations by :func:`.agenda.thread_of`, which reads every
    member's ``with`` and its latest conversation whole. So the threads the edited conversations
    were and are in are made again: their members from the snapshot (unchanged ones) or as
    read now (edited ones), each one's latest read whole; a thread left with no conversation
    is dropped. Every other thread is kept as it is, and the edited notes' errors are their
    reading's and :func:`.checks.note_problems`. ``tests/test_cache_patch.py`` compares the
    result with a full load's after each kind of edit.
    """
    got = _edit_of(found, reader, lambda payload: [])
    if got is None:
        return None
    payload, edit = got
    nb = edit.nb
    members: dict[int, list[tuple[int, int, str, int]]] = {}
    for n in range(len(edit.convs)):
        if edit.thread[n] in edit.threads_hit:
            members.setdefault(edit.thread[n], []).append(edit.order(n))
    chunks = _thread_chunks(reader, payload)
    hit_keys = {edit.threads[t] for t in edit.threads_hit}
    kept = {c.path: c for _, chunk in chunks for t in chunk if t.key in hit_keys for c in t.conversations}
    made: list[Thread] = []
    try:
        for t in sorted(edit.threads_hit & members.keys()):
            orders = sorted(members[t])
            convs = [edit.records[o[2]] if o[2] in edit.records else kept[o[2]] for o in orders[:-1]]
            made.append(thread_of(nb, edit.threads[t], [*convs, edit.record(orders[-1])]))
    except (_Stale, KeyError):  # a note that no longer reads as the index says: a full load tells
        return None
    # a chunk holding no thread remade is kept byte for byte; the remade threads are a chunk of their own
    now: list[tuple[bytes | None, list[Thread]]] = []
    for raw, chunk in chunks:
        if not any(t.key in hit_keys for t in chunk):
            now.append((raw, chunk))
        elif rest := [t for t in chunk if t.key not in hit_keys]:
            now.append((None, rest))
    if made:
        now.append((None, _slim(made)))
    every = [t for _, chunk in now for t in chunk]
    blobs: Sequence[list[Thread] | bytes] = [chunk if raw is None else raw for raw, chunk in now]
    if len(blobs) > -(-len(every) // THREADS_CHUNK) + THREADS_SPARE:
        blobs = _chunks(every)  # too many small chunks: chunked again
    nb.diagnostics = _mended(nb.diagnostics, set(edit.changed),
                             edit.problems(lambda: _loads(reader.raw(payload, PATCH_SLUGS))))
    return ThreadsView(nb, every, True, patched=True), _with_threads(
        {**_common(nb), RAW: [edit.index_raw(), reader.raw(payload, PATCH_SLUGS)]}, blobs)


def _threads_from(found: Scan, reader: _Reader) -> ThreadsView | None:
    payload = reader.payload()
    if payload is None:
        return None
    return ThreadsView(_notebook(found, payload, []), [t for _, chunk in _thread_chunks(reader, payload)
                                                       for t in chunk], True)


class ReferralSource:
    """A conversation holding referrals, as the referrals snapshot keeps it: all that
    :func:`.referrals.directory`, its suggestions and their text and JSON read of it (``slug``,
    ``path`` and ``private`` for :meth:`.model.Notebook.is_private`, ``date``, ``title``, ``referrals``)."""

    __slots__ = ("slug", "path", "private", "date", "title", "referrals")

    def __init__(self, slug: str, path: str, private: bool | None, date: Any, title: str,
                 referrals: tuple[Any, ...]) -> None:
        self.slug, self.path, self.private, self.date, self.title, self.referrals = \
            slug, path, private, date, title, referrals

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReferralSource, (self.slug, self.path, self.private, self.date, self.title, self.referrals))


class ReferralsView:
    """A notebook to answer ``convo referrals`` from: whole, or every person, org and
    error with only the conversations that hold referrals (``from_snapshot``): all
    that :func:`.referrals.directory` and :func:`.referrals.suggest_topics` read."""

    __slots__ = ("notebook", "from_snapshot", "patched")

    def __init__(self, notebook: Notebook, from_snapshot: bool, patched: bool = False) -> None:
        self.notebook, self.from_snapshot, self.patched = notebook, from_snapshot, patched


def referrals_view(root: Path | str, *, env: dict[str, str] | None = None, progress: Progress | None = None,
                   reader: str | None = None, overlay: bool = False) -> ReferralsView:
    """The notebook for the referrals directory, from the snapshot when it is valid."""
    found = scan(root, env, reader, overlay, early=[_read_early(root, "referrals", _patch_parts)])

    def compute(nb: Notebook) -> tuple[ReferralsView, Callable[[], dict[str, Any]]]:
        return ReferralsView(nb, False), lambda: _patchable(found, nb, {**_common(nb), "conversations": [
            _source(c) for c in nb.conversations if c.referrals]})

    return _view(found, "referrals", _referrals_from, compute, progress, _referrals_patch)


def _source(conv: Conversation) -> ReferralSource:
    return ReferralSource(conv.slug, conv.path, conv.private, conv.date, conv.title, conv.referrals)


def _referrals_patch(found: Scan, reader: _Reader) -> tuple[ReferralsView, dict[str, Any]] | None:
    """The referrals snapshot brought up to date with the conversations edited since it was made
    (as :func:`_agenda_patch`, on the same kinds of edit: :func:`_patch_of`); None otherwise: the
    edited conversations' sources replaced by what they hold now, in the notebook's order."""
    got = _edit_of(found, reader, lambda payload: payload["conversations"])
    if got is None:
        return None
    payload, edit = got
    gone = set(edit.changed)
    sources = [c for c in payload["conversations"] if c.path not in gone]
    sources += [_source(edit.records[rel]) for rel in edit.changed if edit.records[rel].referrals]
    place = {rel: n for n, rel in enumerate(edit.rels)}
    number = {at: n for n, at in enumerate(edit.convs)}
    sources.sort(key=lambda c: edit.order(number[place[c.path]]))  # chronological, as a full load's
    errors = _mended(edit.nb.diagnostics, gone, edit.problems(lambda: _loads(reader.raw(payload, PATCH_SLUGS))))
    nb = _notebook(found, {**payload, "diagnostics": errors}, sources)
    return ReferralsView(nb, True, patched=True), {
        **_common(nb), "conversations": sources, RAW: [edit.index_raw(), reader.raw(payload, PATCH_SLUGS)]}


def _referrals_from(found: Scan, reader: _Reader) -> ReferralsView | None:
    payload = reader.payload()
    if payload is None:
        return None
    return ReferralsView(_notebook(found, payload, payload["conversations"]), True)


# --- the files --------------------------------------------------------------------------------

def _common(nb: Notebook) -> dict[str, Any]:
    return {"people": nb.people, "orgs": nb.orgs, "diagnostics": _reported(nb.diagnostics),
            "unreadable": nb.unreadable}


def _reported(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics a view keeps: the errors (see the module's docstring), equal codes and
    messages sharing one string each (pickle writes a shared string once, so thousands of the
    same error load as fast as a few)."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    return [Diagnostic(d.path, d.line, d.column, share(d.code, d.code), share(d.message, d.message))
            for d in diagnostics if d.severity == "error"]


def _notebook(found: Scan, payload: dict[str, Any], conversations: list[Conversation]) -> Notebook:
    people: dict[str, Person] = payload["people"]
    orgs: dict[str, Org] = payload["orgs"]
    files = [*found.rels, *(found.overlay[1] if found.overlay else ())]
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

    def payload_bytes(self) -> bytes | None:
        """The payload's pickle, checked by the trailer's CRC-32 (None: damaged)."""
        end = self.fh.seek(-12, os.SEEK_END)
        trailer = self.fh.read(12)
        at, crc = int.from_bytes(trailer[:8], "little"), int.from_bytes(trailer[8:], "little")
        if not self.blobs_at <= at <= end:
            return None
        data = os.pread(self.fd, end - at, at)
        return data if crc32(data) == crc else None

    def payload(self) -> dict[str, Any] | None:
        data = self.payload_bytes()
        if data is None:
            return None
        return self.checked(_loads(data))

    def checked(self, payload: Any) -> dict[str, Any] | None:
        """``payload`` when it is one (its blobs' CRC-32s then known to :meth:`raw`), else None."""
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
