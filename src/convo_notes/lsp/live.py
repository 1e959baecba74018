"""The notebook as the language server holds it: read once, open buffers substituted, kept fresh.

One decision with ``convo validate``: a buffer is parsed by :func:`.parse.read_note` and
built by :func:`.loader.build_record` exactly as a file is, the notebook is put together
by :func:`.loader.assemble`, and the checks across notes are :func:`.checks.run_checks`
(on the open notes only: the other files' problems are not shown in an editor). Only
the changed buffer is re-read on a keystroke; files changed outside the editor are
marked and re-read before the next answer.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Callable

from .. import checks, model
from ..diagnostics import Diagnostic
from ..loader import (
    CONFIG_FILE,
    NOTES_DIR,
    assemble,
    build_record,
    load_config,
    read_file,
    read_files,
    scan_note_files,
)
from ..model import Conversation, Note, Notebook, Org, Person
from ..parse import read_note

Today = Callable[[], dt.date]


class _Index:
    """What the checks across notes look up, kept up to date one record at a time."""

    def __init__(self) -> None:
        self.people: dict[str, Person] = {}
        self.orgs: dict[str, Org] = {}
        self.slug_count: Counter[str] = Counter()
        self.slugs: set[str] = set()
        self.by_slug: dict[str, dict[str, Conversation]] = {}
        self.by_id: dict[str, dict[str, Conversation]] = {}

    def _count(self, slug: str, step: int) -> None:
        self.slug_count[slug] += step
        if self.slug_count[slug] > 0:
            self.slugs.add(slug)
        else:
            del self.slug_count[slug]
            self.slugs.discard(slug)

    def add(self, note: Note | None) -> None:
        # Placed as :func:`.loader.assemble` places it: people, orgs, placed conversations.
        if isinstance(note, Person):
            self.people[note.slug] = note
            self._count(note.slug, 1)
        elif isinstance(note, Org):
            self.orgs[note.slug] = note
            self._count(note.slug, 1)
        elif isinstance(note, Conversation) and note.placed:
            self._count(note.slug, 1)
            self.by_slug.setdefault(note.slug, {})[note.path] = note
            for c in note.commitments:
                if c.id:
                    self.by_id.setdefault(c.id, {})[note.path] = note

    def remove(self, note: Note | None) -> None:
        if isinstance(note, Person):
            if self.people.get(note.slug) is note:
                del self.people[note.slug]
            self._count(note.slug, -1)
        elif isinstance(note, Org):
            if self.orgs.get(note.slug) is note:
                del self.orgs[note.slug]
            self._count(note.slug, -1)
        elif isinstance(note, Conversation) and note.placed:
            self._count(note.slug, -1)
            self.by_slug.get(note.slug, {}).pop(note.path, None)
            for c in note.commitments:
                if c.id:
                    self.by_id.get(c.id, {}).pop(note.path, None)

    def neighbourhood(self, note: Note) -> list[Conversation]:
        """The conversations whose presence can change ``note``'s diagnostics, in notebook order."""
        found: dict[str, Conversation] = {}
        if isinstance(note, Conversation):
            found.update(self.by_slug.get(note.slug, {}))
            for ident in [*(c.id for c in note.commitments if c.id), *note.closes]:
                if ident:
                    found.update(self.by_id.get(ident, {}))
            if note.placed:
                found[note.path] = note
        return sorted(found.values(), key=lambda c: c.sort_key)


class LiveNotebook:
    """A notebook in memory, with the editor's unsaved buffers in place of their files."""

    def __init__(self, root: Path, today: Today) -> None:
        self.root = root
        self.today = today
        self.lock = threading.RLock()
        self.buffers: dict[str, str] = {}
        self.dirty: set[str] = set()
        self._nb: Notebook | None = None
        self.config, self.config_problems = load_config(root)
        keyed = scan_note_files(root)
        self.files: list[str] = list(keyed)
        self.results = dict(read_files(root, keyed))
        self.index = _Index()
        for note, _ in self.results.values():
            self.index.add(note)

    # --- paths ---------------------------------------------------------------------------

    def rel(self, path: str | os.PathLike[str]) -> str | None:
        """The notebook-relative path of a note (or ``convo.yml``), None for anything else."""
        try:
            rel = Path(path).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        if rel == CONFIG_FILE:
            return rel
        parts = rel.split("/")
        if parts[0] != NOTES_DIR or not rel.endswith(".md") or any(p.startswith(".") for p in parts):
            return None
        return rel

    def src(self, rel: str) -> str:
        return os.path.join(str(self.root), rel)

    # --- changes -------------------------------------------------------------------------

    def set_buffer(self, rel: str, text: str) -> None:
        """An open buffer's text: read it as the note's file would be read."""
        with self.lock:
            self.buffers[rel] = text
            if rel == CONFIG_FILE:
                return
            try:
                fm = read_note(text.encode("utf-8", "surrogatepass"), rel)
                result = build_record(rel, fm, str(self.root))
            except Exception as exc:  # noqa: BLE001 - as the loader does: one internal-error, never a crash
                result = (None, [Diagnostic(rel, 1, 1, "internal-error",
                                            f"internal error while reading this note ({type(exc).__name__}: "
                                            f"{exc}); please report it")])
                fm = None
            if fm is not None:
                model.OPEN_BUFFERS[self.src(rel)] = fm
            self._put(rel, result)

    def close_buffer(self, rel: str) -> None:
        """The editor closed it: the file on disk counts again."""
        with self.lock:
            self.buffers.pop(rel, None)
            model.OPEN_BUFFERS.pop(self.src(rel), None)
            self.dirty.add(rel)
            self._invalidate()

    def mark_changed(self, rel: str) -> None:
        """A file changed outside the editor (or was saved): re-read it before the next answer."""
        with self.lock:
            self.dirty.add(rel)
            self._invalidate()

    def _put(self, rel: str, result: tuple[Note | None, list[Diagnostic]]) -> None:
        if rel not in self.results:
            bisect.insort(self.files, rel)
        else:
            self.index.remove(self.results[rel][0])
        self.results[rel] = result
        self.index.add(result[0])
        self._invalidate()

    def _invalidate(self) -> None:
        self._nb = None

    def _refresh(self) -> None:
        for rel in sorted(self.dirty):
            if rel in self.buffers:
                continue
            if rel == CONFIG_FILE:
                self.config, self.config_problems = load_config(self.root)
                continue
            if os.path.isfile(self.src(rel)):
                self._put(rel, read_file(self.root, rel))
            elif rel in self.results:
                self.index.remove(self.results.pop(rel)[0])
                self.files.remove(rel)
                self._invalidate()
        self.dirty.clear()

    # --- answers -------------------------------------------------------------------------

    def notebook(self) -> Notebook:
        """The notebook as the editor sees it now (built again only after a change)."""
        with self.lock:
            if self.dirty:
                self._refresh()
            if self._nb is None:
                self._nb = assemble(self.root, list(self.files), self.results, self.config,
                                    self.config_problems, check=False)
            return self._nb

    def directory(self) -> Notebook:
        """People and orgs only, as they are now: what slug completion needs, without a rebuild."""
        with self.lock:
            if self.dirty:
                self._refresh()
            return Notebook(self.root, self.config, self.index.people, self.index.orgs, [], [], set(), self.files)

    def note(self, rel: str) -> Note | None:
        with self.lock:
            self.notebook()
            found = self.results.get(rel)
            return found[0] if found else None

    def diagnostics(self, rel: str) -> list[Diagnostic]:
        """What ``convo validate`` reports for this note, were the open buffers saved."""
        with self.lock:
            if self.dirty:
                self._refresh()
            if rel == CONFIG_FILE:
                return [d for d in [*self.config_problems, *checks.run_checks(self.notebook(), ())]
                        if d.path == rel]
            note, problems = self.results.get(rel, (None, []))
            extra: list[Diagnostic] = []
            if note is not None:
                index = self.index
                near = Notebook(self.root, self.config, index.people, index.orgs, index.neighbourhood(note),
                                [], set(), self.files)
                near.slugs = index.slugs
                extra = [d for d in checks.run_checks(near, [note]) if d.path == rel]
            return sorted([*problems, *extra], key=Diagnostic.sort_key)

    def text(self, rel: str) -> str | None:
        """The buffer's text if open, else the file's (None when it cannot be read)."""
        with self.lock:
            if rel in self.buffers:
                return self.buffers[rel]
        try:
            return Path(self.src(rel)).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
