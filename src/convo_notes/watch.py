"""Watching a notebook: re-run a report whenever its notes change.

File events are only hints. Editors save in many ways (write in place,
write a temporary file and rename it over the note, delete and recreate),
``git checkout`` changes many files at once, and a note may be invalid for a
moment mid-edit. So the watcher never trusts an event's details: any event
under ``notes/`` (or on ``convo.yml``) marks the notebook dirty; once events
have been quiet for :data:`DEBOUNCE` seconds the whole notebook is loaded
again through the one loader (whose cache re-reads exactly the files whose
size, mtime or inode changed), so the result always equals a fresh run.
While nothing happens the watcher sleeps on an event: no polling, no work.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from .loader import CONFIG_FILE, NOTES_DIR, load_notebook
from .model import Notebook

DEBOUNCE = 0.3  # seconds of quiet before reloading
# Reading notes ourselves causes "opened" / "closed without writing" events: never react to those.
_CHANGES = frozenset({EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED,
                      EVENT_TYPE_CLOSED})


def _stop_observer(observer: Any) -> None:
    observer.stop()
    observer.join(timeout=5)


class _Hints(FileSystemEventHandler):
    """Turns relevant file events into one "something changed" flag."""

    def __init__(self, root: Path, dirty: threading.Event) -> None:
        self.notes = str(root / NOTES_DIR)
        self.config = str(root / CONFIG_FILE)
        self.dirty = dirty

    def relevant(self, path: str | bytes) -> bool:
        text = path.decode(errors="replace") if isinstance(path, bytes) else path
        return text == self.config or text == self.notes or text.startswith(self.notes + "/")

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if self.relevant(event.src_path) or self.relevant(getattr(event, "dest_path", "") or ""):
            self.dirty.set()


class NotebookWatcher:
    """Calls ``on_change(notebook)`` with a freshly loaded notebook after each burst of changes.

    ``run()`` blocks until :meth:`stop` is called (from another thread) or
    KeyboardInterrupt; the first call of ``on_change`` happens at start, once
    the observer is watching, so nothing that changes after it is missed.
    """

    def __init__(self, root: Path, on_change: Callable[[Notebook], None], debounce: float = DEBOUNCE,
                 on_error: Callable[[Exception], None] | None = None) -> None:
        self.root = Path(root).resolve()
        self.on_change = on_change
        self.on_error = on_error
        self.debounce = debounce
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self.reloads = 0

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from any thread)."""
        self._stopping.set()
        self._dirty.set()

    def _reload(self) -> None:
        self.reloads += 1
        try:
            self.on_change(load_notebook(self.root))
        except Exception as exc:  # noqa: BLE001 - one bad reload must not end the watch
            if self.on_error is None:
                raise
            self.on_error(exc)

    def run(self) -> None:
        """Watch until stopped; reload after every quiet period that follows a change."""
        observer = Observer()
        # Watch the root recursively so a notes/ folder that is deleted and recreated
        # (a branch switch) is still seen; _Hints ignores everything outside notes/.
        observer.schedule(_Hints(self.root, self._dirty), str(self.root), recursive=True)
        observer.start()
        try:
            self._reload()
            while True:
                self._dirty.wait()  # idle: blocks here, doing nothing
                if self._stopping.is_set():
                    return
                while True:  # debounce: wait until events stop for a while
                    self._dirty.clear()
                    if self._stopping.wait(self.debounce):
                        return
                    if not self._dirty.is_set():
                        break
                self._reload()
        finally:
            # Stop the observer from a daemon thread and wait a bounded time: Ctrl-C must end
            # `convo watch` promptly even if a backend is slow to shut down (its threads are
            # daemons, so they never keep the process alive).
            stopper = threading.Thread(target=_stop_observer, args=(observer,), daemon=True)
            stopper.start()
            stopper.join(timeout=5)
