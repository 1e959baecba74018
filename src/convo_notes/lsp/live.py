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
from ..model import Note, Notebook
from ..parse import read_note

Today = Callable[[], dt.date]


class LiveNotebook:
    """A notebook in memory, with the editor's unsaved buffers in place of their files."""

    def __init__(self, root: Path, today: Today) -> None:
        self.root = root
        self.today = today
        self.lock = threading.RLock()
        self.buffers: dict[str, str] = {}
        self.dirty: set[str] = set()
        self._nb: Notebook | None = None
        self._checked: dict[str, list[Diagnostic]] | None = None
        self.config, self.config_problems = load_config(root)
        keyed = scan_note_files(root)
        self.files: list[str] = list(keyed)
        self.results = dict(read_files(root, keyed))

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
                model.OVERLAYS[self.src(rel)] = fm
            self._put(rel, result)

    def close_buffer(self, rel: str) -> None:
        """The editor closed it: the file on disk counts again."""
        with self.lock:
            self.buffers.pop(rel, None)
            model.OVERLAYS.pop(self.src(rel), None)
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
        self.results[rel] = result
        self._invalidate()

    def _invalidate(self) -> None:
        self._nb = None
        self._checked = None

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
                del self.results[rel]
                self.files.remove(rel)
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

    def note(self, rel: str) -> Note | None:
        with self.lock:
            self.notebook()
            found = self.results.get(rel)
            return found[0] if found else None

    def diagnostics(self, rel: str) -> list[Diagnostic]:
        """What ``convo validate`` would report for this note, were the open buffers saved."""
        with self.lock:
            nb = self.notebook()
            if rel == CONFIG_FILE:
                return [d for d in [*self.config_problems, *checks.run_checks(nb, ())] if d.path == rel]
            if self._checked is None:
                open_notes = [n for r in self.buffers if (n := self.results.get(r, (None, []))[0]) is not None]
                grouped: dict[str, list[Diagnostic]] = {}
                for d in checks.run_checks(nb, open_notes):
                    grouped.setdefault(d.path, []).append(d)
                self._checked = grouped
            own = list(self.results.get(rel, (None, []))[1])
            if rel not in self.buffers:
                note = self.results.get(rel, (None, []))[0]
                extra = [d for d in checks.run_checks(nb, [note] if note else []) if d.path == rel]
            else:
                extra = self._checked.get(rel, [])
            return sorted([*own, *extra], key=Diagnostic.sort_key)

    def text(self, rel: str) -> str | None:
        """The buffer's text if open, else the file's (None when it cannot be read)."""
        with self.lock:
            if rel in self.buffers:
                return self.buffers[rel]
        try:
            return Path(self.src(rel)).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
