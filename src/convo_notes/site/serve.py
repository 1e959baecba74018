"""``convo site serve``: build once, serve the built site, and keep it up to date as notes change.

The built site is served from its output folder by the standard library's
HTTP server. A watchdog observer watches the notebook; after a burst of
changes settles (:data:`SETTLE`), :meth:`LiveSite.refresh` brings the site up
to date. The notebook is kept in memory (:class:`_Notes`, the language
server's way: :func:`.loader.read_file` for the changed files only, then
:func:`.loader.assemble`). Then one of two ways:

- only bodies changed (every changed note reads as before but for where its
  wiki links stand, and links by Markdown to the same notes): nothing made
  from the records can change, so the public view, site model, calendar
  feeds and leak-gate tokens are kept and only those notes' pages are made
  again (:meth:`LiveSite._bodies_only`);
- only public conversations changed, nobody's privacy did and the leak gate
  has no new token (:meth:`LiveSite._can_be_quick`; the watcher asks for it):
  the public view and site model are computed again, but only those
  conversations' own pages are made, rendered and gated at once
  (:meth:`LiveSite._refresh_quick`); the other pages the change reaches, the
  calendar feeds and the search index follow when no save has come for
  :data:`CATCH_UP` seconds (:meth:`LiveSite.settle`, dropped if a save comes
  before it writes);
- anything else: the public view and site model are computed again, and the
  pages the change can touch (:func:`.incremental.affected_pages`) are
  regenerated in memory.

Either way MkDocs gets only the pages whose bytes changed, to re-render just
those (:meth:`~convo_notes.site.mkdocs_run.MkDocsRun.update`); the search
index and sitemap are rewritten from memory, and the leak gate scans what
was written. A change to ``mkdocs.yml`` or ``site_templates/``, or one
touching most pages, gets a full build.

A note that stops reading mid-edit keeps its last good page (its last good
record and body are kept in memory) and its errors are printed. A note that
becomes private leaves the site at once: privacy is decided by the same
public view as ``convo site build``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import http
import http.server
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jinja2

from ..diagnostics import Diagnostic
from ..loader import (
    FileKey,
    assemble,
    is_unreadable,
    load_config,
    load_notebook,
    note_kind,
    paused_gc,
    read_file,
    read_files,
    reader_of,
    scan_notes,
)
from ..model import Conversation, Note, Notebook, Org, Person
from . import gate
from .backlinks import markdown_targets, note_target
from .build import Staging, body_reader, extra_files, git_changes, held_back
from .incremental import affected_pages
from .mkdocs_run import MkDocsRun, SiteError
from .model import SiteModel
from .pages import TEMPLATE_DIR, PageSet, make_env
from .public import PublicNotebook, PublicView, public_view

FULL_BUILD_SHARE = 0.3  # re-render everything when this share of pages changed
SETTLE = 0.1  # seconds without events before a refresh (an editor's save is a burst of a few ms)
CATCH_UP = 1.5  # seconds without events before the pages a quick refresh left behind are made
BIG_PAGE = 256 * 1024  # a page this large is kept once it passed the gate: next time only its changes are scanned
FEEDS = ("calendar.ics", "calendar-events.ics")  # the files of :func:`.build.extra_files` made from the view
Result = tuple[Note | None, list[Diagnostic]]


@dataclass
class _Good:
    record: Note
    body: str


class _Notes:
    """The notebook in memory, kept as the language server keeps its own (:mod:`convo_notes.lsp.live`).

    Each file's record and problems come from :func:`.loader.read_file`, read again only
    when the file's key (size, times, inode) changed, and the notebook is put together by
    :func:`.loader.assemble`: the notebook :func:`.loader.load_notebook` returns (with
    ``check=False``), without reading the cache for the files that did not change.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keyed: dict[str, FileKey] = {}
        self.skipped: list[Diagnostic] = []
        self.results: dict[str, Result] = {}
        self.config, self.config_problems = load_config(root)
        self.reader = reader_of(root)

    def load(self) -> None:
        """Read the configuration and every note again (through the loader's cache)."""
        self.config, self.config_problems = load_config(self.root)
        self.reader = reader_of(self.root)
        self.keyed, self.skipped = scan_notes(self.root)
        with paused_gc():
            self.results = dict(read_files(self.root, self.keyed))

    def update(self) -> tuple[set[str], dict[str, Result], bool]:
        """Read again ``convo.yml`` and the notes whose files changed: (their paths, their results before,
        whether anything else changed: the configuration or the entries the walk leaves out)."""
        config = load_config(self.root)
        config_changed = config != (self.config, self.config_problems)
        self.config, self.config_problems = config
        keyed, skipped = scan_notes(self.root)
        changed = {rel for rel, key in keyed.items() if self.keyed.get(rel) != key} | (set(self.keyed) - set(keyed))
        before = {rel: self.results[rel] for rel in changed if rel in self.results}
        for rel in sorted(changed):
            if rel in keyed:
                self.results[rel] = read_file(self.root, rel)
            else:
                self.results.pop(rel, None)
        others_changed = config_changed or [d.path for d in skipped] != [d.path for d in self.skipped]
        self.keyed, self.skipped = keyed, skipped
        return changed, before, others_changed

    def notebook(self) -> Notebook:
        """The notebook as the files now are."""
        with paused_gc():
            return assemble(self.root, list(self.keyed), self.results, self.config,
                            self.config_problems + self.skipped, check=False, reader=self.reader)


def _same_record(old: Note, new: Note) -> bool:
    """True when two readings of a note differ at most in where its body's wiki links stand."""
    if old == new:
        return True
    if type(old) is not type(new) or [link[0] for link in old.links] != [link[0] for link in new.links]:
        return False
    return old._replace(links=new.links) == new


def _link_targets(body: str | None, path: str) -> set[str]:
    """The notes a body links to with Markdown links (what the pages' backlinks are made of)."""
    if not body or "](" not in body:
        return set()
    return {target for dest in markdown_targets(body) if (target := note_target(dest, path)) is not None}


class LiveSite:
    """The staging tree and built site of one notebook, kept current by :meth:`refresh`."""

    def __init__(self, root: Path, today: dt.date, out_dir: Path, staging_dir: Path, strict: bool | None,
                 say: Callable[[str], None]) -> None:
        self.root = root
        self.today = today
        self.out_dir = out_dir
        self.staging_dir = staging_dir
        self.strict = strict
        self.say = say
        self.staging = Staging(staging_dir / "docs")
        self.run: MkDocsRun | None = None
        self.good: dict[str, _Good] = {}
        self.bodies: dict[str, tuple[tuple[int, int, int], str | None]] = {}
        self.notes = _Notes(root)
        self.lock = threading.Lock()  # one refresh at a time
        # held while the built site may hold files the leak gate has not passed: the HTTP server waits
        # for it (every refresh holds it throughout, but settle() only from the moment it writes)
        self.serving = threading.Lock()
        self._hold: threading.Lock | None = None  # settle(): the lock to take before writing, and...
        self._held = False  # ...whether it was taken
        self.site: SiteModel | None = None
        self.nb: Notebook | None = None  # the whole notebook of the last refresh (last good notes put back)
        self.kept: list[str] = []  # notes shown as they last read well
        self.pageset: PageSet | None = None
        self.git: dict[str, object] = {}
        self.pages: dict[str, bytes] = {}  # staging path -> Markdown, as last written
        self.page_attachments: dict[str, set[str]] = {}
        self.env: jinja2.Environment | None = None
        self.parser: Any = None  # the run's Markdown instance for page generation
        self.tokens: frozenset[str] | None = None  # the leak gate's tokens at the last refresh
        self.scanner: gate.Scanner | None = None  # and its scanner
        self.token_index: gate.TokenIndex | None = None  # and how they were found, kept note by note
        # after a quick refresh: the notes changed since every page was last made (``self.site`` is the
        # model of that time), and what the quick refresh computed (for :meth:`settle`)
        self.pending: set[str] | None = None
        self.ahead: tuple[Notebook, list[str], PublicView, SiteModel] | None = None
        self.extra: tuple[PublicView, dict[str, bytes]] | None = None  # the last view's files that are not pages
        # the large pages as they last passed the leak gate, and its tokens then (the indexes: megabytes
        # each, of which an edit changes a few lines)
        self.passed: dict[Path, bytes] = {}
        self.passed_with: frozenset[str] = frozenset()
        self.timings: dict[str, float] = {}  # seconds per step of the last refresh
        self.path: str = ""  # "full", "pages" or "bodies": how the last refresh went
        self.failed = False  # the last refresh stopped midway: the next one is a full build
        # the leak gate refused files: MkDocs still holds their search entries in memory, so until a full
        # build has made everything again (and the gate passed all of it) every refresh is a full one
        self.refused = False
        self._clock = 0.0

    # ------------------------------------------------------------------ bodies
    def _body_of(self, nb: Notebook, kept: list[str]) -> Callable[[Note], str | None]:
        fresh = body_reader(nb)
        broken = set(kept)
        keyed = self.notes.keyed

        def body_of(note: Note) -> str | None:
            if note.path in broken:  # a note that broke mid-edit is shown as it last was
                return self.good[note.path].body
            scanned = keyed.get(note.path)  # as this refresh's walk of the notes found the file
            if scanned is not None:
                key = scanned[:3]
            else:
                try:
                    st = os.stat(note.src)
                except OSError:
                    return None
                key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            cached = self.bodies.get(note.path)
            if cached is not None and cached[0] == key:
                return cached[1]
            body = fresh(note)
            self.bodies[note.path] = (key, body)
            return body

        return body_of

    # ------------------------------------------------------------------ loading
    def _load(self) -> tuple[Notebook, list[str]]:
        """The notebook read afresh from disk (:func:`.loader.load_notebook`), with notes that broke
        since they were last good put back as they were: what a refresh must equal."""
        return self._put_back(load_notebook(self.root, check=False))

    def _put_back(self, nb: Notebook) -> tuple[Notebook, list[str]]:
        """``nb`` with the notes that broke since they were last good put back as they were."""
        kept = []
        for rel in sorted(nb.unreadable):
            good = self.good.get(rel)
            if good is None:
                continue
            kept.append(rel)
            record = good.record
            if isinstance(record, Person):
                nb.people[record.slug] = record
            elif isinstance(record, Org):
                nb.orgs[record.slug] = record
            elif isinstance(record, Conversation):
                nb.conversations.append(record)
            nb.unreadable.discard(rel)
        if kept:
            nb.conversations.sort(key=lambda c: c.sort_key)
            nb.settle()
        return nb, kept

    def _remember(self, nb: Notebook, kept: list[str], body_of: Callable[[Note], str | None],
                  only: set[str] | None = None) -> None:
        """Keep each public note's record and body as last good (``only``: just these paths changed)."""
        if only is not None:
            for rel in only - set(kept):
                note = self.notes.results[rel][0] if rel in self.notes.results else None
                body = body_of(note) if note is not None and not nb.is_private(note) else None
                if body is not None and note is not None:
                    self.good[rel] = _Good(note, body)
                else:
                    self.good.pop(rel, None)
            return
        view_paths = set()
        notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
        for note in notes:
            if nb.is_private(note) or note.path in kept:
                continue
            body = body_of(note)
            if body is not None:
                self.good[note.path] = _Good(note, body)
                view_paths.add(note.path)
        for rel in set(self.good) - view_paths - set(kept):
            del self.good[rel]

    def _report(self, diagnostics: list[Diagnostic], public: set[str], kept: list[str],
                changed_files: set[str]) -> None:
        """Errors of notes the site shows (or keeps showing); only a count for the others."""
        shown = set(kept) | (changed_files & public)
        for d in diagnostics:
            if d.path in shown and d.severity == "error":
                self.say(d.format())
        if kept:
            self.say(f"{len(kept)} note{'s' * (len(kept) != 1)} cannot be read just now; "
                     "the site keeps showing the last good version")
        others = {d.path for d in diagnostics if d.severity == "error" and d.path in changed_files} - shown
        if others:
            self.say(f"{len(others)} changed note{'s' * (len(others) != 1)} not on the site "
                     f"{'have' if len(others) != 1 else 'has'} errors (run `convo validate` for details)")

    # ------------------------------------------------------------------ building
    def build(self) -> None:
        """Load, stage and run a full MkDocs build."""
        with self.lock, self.serving:
            self.failed = True
            self._refresh(full=True)
            self.failed = False

    def refresh(self, full: bool = False, quick: bool = False) -> tuple[int, int]:
        """Bring the site up to date; returns (files re-rendered or copied, files removed).

        ``quick``: when only the front matter (or body) of public conversations changed, in a way
        that changes nobody's privacy and no leak-gate token, make just those conversations' pages
        now (:meth:`_refresh_quick`) and leave the other pages the change reaches to :meth:`settle`.

        A refresh that fails midway (a template's error, a page MkDocs cannot write) may leave the
        notes read, the staging tree and the built site out of step: the next one is a full build."""
        with self.lock, self.serving:
            full = full or self.run is None or self.failed or self.refused
            if full:
                self.refused = False  # a full build gates the whole site again
            self.failed = True
            # no collection while the edited page is made: a collection walks the whole notebook in memory
            # (0.05 to 0.15 s at 10,000 notes), and it can as well run after, while the page is served
            with paused_gc() if quick and not full else contextlib.nullcontext():
                result = self._refresh(full, quick)
            self.failed = False
            assert result is not None
            return result

    def settle(self, interrupted: Callable[[], bool] = lambda: False) -> tuple[int, int] | None:
        """Make the pages a quick refresh left behind (index, thread, person, tag pages...), so that every
        page again equals a full build. Nothing to do: None. ``interrupted()`` is asked between pages
        until anything is written: when it says True (a new change came), the work is dropped and
        left pending (None), so the next change's own page is not kept waiting. Requests are answered
        meanwhile until it starts writing the site."""
        with self.lock:
            if self.pending is None or self.failed:
                return None
            full = self.refused  # the gate refused the quick page: only a full build gates everything again
            self.refused = False
            self.failed = True
            self._hold, self._held = self.serving, False
            try:
                if full:
                    self.serving.acquire()
                    self._held = True
                result = self._refresh(full, interrupted=None if full else interrupted, settling=not full)
            finally:
                if self._held:
                    self.serving.release()
                self._hold, self._held = None, False
            self.failed = False
            return result

    def _refresh(self, full: bool, quick: bool = False, interrupted: Callable[[], bool] | None = None,
                 settling: bool = False) -> tuple[int, int] | None:
        if full:
            gc.unfreeze()
            self.pending = self.ahead = None
        self.timings = {}
        self._clock = time.perf_counter()
        before: dict[str, Result] = {}
        changed_files: set[str] = set()
        if full or self.site is None:
            self.notes.load()
            changed_files = set(self.notes.keyed)
        elif settling and self.ahead is not None:
            pass  # the notes as the quick refresh read them: a save since is the watcher's next refresh
        else:
            changed_files, before, others_changed = self.notes.update()
            self._mark("scan")
            if others_changed:
                quick = False
            bodies = None if others_changed or self.pending is not None else self._bodies_only(changed_files, before)
            if bodies is not None:
                return self._refresh_bodies(changed_files, bodies)
        if changed_files:
            interrupted = None  # the changes just read must be made now: they are not pending anywhere
        every_change = changed_files | (self.pending or set())
        self.path = "full" if full else "pages"
        self._mark("scan")
        if self.ahead is not None and not changed_files:  # settling a quick refresh: nothing new since
            nb, kept, view, site = self.ahead
            body_of = self._body_of(nb, kept)
        else:
            nb, kept = self._put_back(self.notes.notebook())
            body_of = self._body_of(nb, kept)
            self._mark("load")
            view = public_view(nb, None if full else self.ahead[2] if self.ahead is not None
                               else self.site.view if self.site is not None else None)
            if full:
                self.git = git_changes(self.root)
            site = SiteModel(view, self.today, changes=self.git,
                             directory=self._same_directory(view, every_change))
        self._mark("model")
        if quick and self._can_be_quick(changed_files, before, nb, kept, view, site):
            return self._refresh_quick(changed_files, every_change, nb, kept, view, site, body_of)
        only = None if full or self.site is None else affected_pages(self.site, site, every_change,
                                                                     self._mentions)
        if full or self.env is None:
            self.env = make_env(self.root / TEMPLATE_DIR)
        if full or self.run is None:
            self.run = MkDocsRun(self.root, self.staging_dir, self.out_dir, self.strict, nb.config.site_title)
        if full or self.parser is None:
            self.parser = self.run.markdown()
        pageset = PageSet(site, self.env, body_of, self.run.urls, self.run.links, self.parser, raw_body=body_of)
        made: dict[str, bytes] = {}
        for rel, text in pageset.pages(only):
            if interrupted is not None and interrupted():
                return None  # nothing written yet: the changes stay pending
            made[rel] = text.encode("utf-8")
        self.pages.update(made)
        self._mark("pages")
        current = site.all_pages()
        for rel in set(self.pages) - current:
            del self.pages[rel]
        if only is None:
            self.page_attachments = {}
        self.page_attachments.update({p: pageset.page_attachments.get(p, set())
                                      for p in (current if only is None else only)})
        files = dict(self.pages)
        files.update(self._extra_files(view, current))
        self._mark("extra")
        if interrupted is not None and interrupted():
            return None
        if self._hold is not None and not self._held:  # settle(): from here on requests wait for the gate
            self._hold.acquire()
            self._held = True
        changed, removed = self.staging.write(files)
        if not full and self.site is not None:
            # a page whose body links to a changed note shows its title (or a dead link, once it is gone)
            # in HTML its unchanged Markdown does not hold: rendered again too
            slugs = {note.slug for model in (self.site, site) for path in every_change
                     if (note := model.note_by_path.get(path)) is not None}
            linking = set().union(*(self._mentions(slug) for slug in slugs)) - every_change
            changed = set(changed) | ({site.page_of_path[p] for p in linking if p in site.page_of_path}
                                      & set(self.pages))
        assert self.run is not None
        written: set[Path] | None = set()
        if full or len(changed) + len(removed) > FULL_BUILD_SHARE * max(len(files), 1):
            self.run.build(self.pages, jobs=1)  # one process: the page-level updates need MkDocs' state
            written = None  # everything
        elif changed or removed or self.run.unwritten:  # (a quick refresh left the search index to write)
            written = self.run.update(self.pages, changed, removed,
                                      first={site.page_of_path[p] for p in changed_files if p in site.page_of_path})
        self._mark("mkdocs")
        tokens = self._gate(nb, view, written, full)
        self._remember(nb, kept, body_of, None if full else every_change)
        self.pending = self.ahead = None
        if full:
            gc.collect()
            gc.freeze()  # the built state lives as long as the server: keep it out of every collection
        if not full:
            notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
            self._report(nb.diagnostics, {n.path for n in notes if not nb.is_private(n)}, kept, changed_files)
        for problem in held_back(pageset.problems, tokens):
            self.say(f"warning: {problem}")
        self._mark("rest")
        self.site, self.nb, self.kept, self.pageset = site, nb, kept, pageset
        return (len(changed), len(removed)) if not full else (len(files), 0)

    # ------------------------------------------------------------------ the quick way: the edited pages first
    def _can_be_quick(self, changed_files: set[str], before: dict[str, Result], nb: Notebook, kept: list[str],
                      view: PublicView, site: SiteModel) -> bool:
        """Whether a change can show on its conversations' own pages first (:meth:`_refresh_quick`).

        Only for conversations that were public, readable and on the site before, and still are (same
        page), when nobody's privacy changed (the same notes are left out, with the same stand-ins) and
        the leak gate's tokens lose at most some: then no page other than the edited ones can have to
        change for privacy, and every file served passed the gate with the new tokens. Anything else
        (a person or org changed, a note added, removed or broken, a template folder, a refused or
        failed refresh before) takes the usual way, every page at once."""
        old = self.site
        if not changed_files or old is None or self.scanner is None or self.token_index is None \
                or self.tokens is None or self.run is None or self.env is None or self.parser is None \
                or kept != self.kept or (self.root / TEMPLATE_DIR).exists():
            return False
        if view.hidden != old.view.hidden or view.stand_ins != old.view.stand_ins \
                or set(view.nb.people) != set(old.view.nb.people) or set(view.nb.orgs) != set(old.view.nb.orgs):
            return False
        results = self.notes.results
        for rel in changed_files:
            if note_kind(rel) != "conversation" or rel not in before or rel not in results:
                return False
            (was, was_problems), (now, now_problems) = before[rel], results[rel]
            if was is None or now is None or is_unreadable(was, was_problems) or is_unreadable(now, now_problems) \
                    or nb.is_private(was) or nb.is_private(now) or was.path != now.path \
                    or site.page_of_path.get(rel) != old.page_of_path.get(rel) or rel not in site.page_of_path:
                return False
        self.token_index.update(nb, view)
        return self.token_index.tokens() <= self.tokens

    def _refresh_quick(self, changed_files: set[str], every_change: set[str], nb: Notebook, kept: list[str],
                       view: PublicView, site: SiteModel, body_of: Callable[[Note], str | None]) -> tuple[int, int]:
        """Make, render and gate the changed conversations' own pages, as a full build makes them; the
        other pages the change reaches are left to :meth:`settle` (``self.pending``)."""
        self.path = "quick"
        run, old = self.run, self.site
        assert run is not None and old is not None and self.env is not None and self.token_index is not None
        pageset = PageSet(site, self.env, body_of, run.urls, run.links, self.parser, raw_body=body_of)
        only = {site.page_of_path[rel] for rel in changed_files}
        for rel, text in pageset.pages(only):
            self.pages[rel] = text.encode("utf-8")
        self.page_attachments.update({p: pageset.page_attachments.get(p, set()) for p in only})
        self._mark("pages")
        files = dict(self.pages)
        files.update(self._extra_files(old.view, set(self.pages)))  # the calendar feeds follow in settle()
        self._mark("extra")
        changed, removed = self.staging.write(files)
        written: set[Path] = set()
        if changed or removed:  # the search index is written (and gated) with the pages settle() makes
            written = run.update(self.pages, changed, removed, first=only, search_index=bool(removed))
        self._mark("mkdocs")
        tokens = self.token_index.tokens()
        if tokens != self.tokens:  # fewer tokens (see _can_be_quick): what was served passes them too
            self.tokens, self.scanner = tokens, gate.Scanner(tokens)
        self._gate_written(written)
        self._remember(nb, kept, body_of, only=set(changed_files))
        problems = [d for rel in sorted(changed_files) for d in self.notes.results[rel][1]]
        self._report(problems, set(changed_files), kept, changed_files)
        assert self.scanner is not None
        for problem in held_back(pageset.problems, self.scanner):
            self.say(f"warning: {problem}")
        self.pending, self.ahead = every_change, (nb, kept, view, site)
        self._mark("rest")
        return len(changed), len(removed)

    # ------------------------------------------------------------------ the quick way: bodies only
    def _bodies_only(self, changed_files: set[str], before: dict[str, Result]) -> dict[str, str | None] | None:
        """When only the bodies of existing notes changed, so every record, the public view, the site
        model and the leak gate's tokens stay as they are: the notes' new bodies (None for a private
        note). None when anything else may have changed (then :meth:`_refresh` takes its usual way).

        A body's Markdown links make backlinks on other pages: a change to where they point goes the
        usual way. So does everything in a notebook with its own page templates, which may show
        anything anywhere.
        """
        nb, site = self.nb, self.site
        if nb is None or site is None or self.pageset is None or self.scanner is None \
                or (self.root / TEMPLATE_DIR).exists():
            return None
        results = self.notes.results
        kept = set(self.kept)
        out: dict[str, str | None] = {}
        body_of = self._body_of(nb, self.kept)
        for rel in changed_files:
            if rel not in before or rel not in results or rel in kept:
                return None
            (old, old_problems), (new, new_problems) = before[rel], results[rel]
            if old is None or new is None or is_unreadable(old, old_problems) or is_unreadable(new, new_problems) \
                    or not _same_record(old, new):
                return None
            if nb.is_private(new):
                out[rel] = None
                continue
            if rel not in site.page_of_path or rel not in self.bodies:
                return None
            old_body = self.bodies[rel][1]
            body = body_of(new)
            if body is None or _link_targets(old_body, rel) != _link_targets(body, rel):
                return None
            out[rel] = body
        return out

    def _refresh_bodies(self, changed_files: set[str], bodies: dict[str, str | None]) -> tuple[int, int]:
        """Re-render the pages of notes whose bodies alone changed (see :meth:`_bodies_only`)."""
        self.path = "bodies"
        nb, site, pageset, run = self.nb, self.site, self.pageset, self.run
        assert nb is not None and site is not None and pageset is not None and run is not None
        body_of = self._body_of(nb, self.kept)
        pageset.again(body_of)
        only = {site.page_of_path[rel] for rel, body in bodies.items() if body is not None}
        for rel, text in pageset.pages(only):
            self.pages[rel] = text.encode("utf-8")
        self.page_attachments.update({p: pageset.page_attachments.get(p, set()) for p in only})
        self._mark("pages")
        files = dict(self.pages)
        files.update(self._extra_files(site.view, site.all_pages()))
        self._mark("extra")
        changed, removed = self.staging.write(files)
        written: set[Path] = set()
        if changed or removed:
            written = run.update(self.pages, changed, removed,
                                 first={site.page_of_path[p] for p in changed_files if p in site.page_of_path})
        self._mark("mkdocs")
        self._gate_written(written)
        self._remember(nb, self.kept, body_of, only=set(changed_files))
        problems = [d for rel in sorted(changed_files) for d in self.notes.results[rel][1]]
        self._report(problems, {rel for rel, body in bodies.items() if body is not None}, self.kept, changed_files)
        assert self.scanner is not None
        for problem in held_back(pageset.problems, self.scanner):
            self.say(f"warning: {problem}")
        self._mark("rest")
        return len(changed), len(removed)

    def _extra_files(self, view: PublicView, pages: set[str]) -> dict[str, bytes]:
        """:func:`.build.extra_files` for ``view``; while the view is the same, its calendar feeds are kept
        and only the attachments and site assets are read again."""
        attachments = {a: f"notes/{a[len('attachments/'):]}" for p, found in self.page_attachments.items()
                       if p in pages for a in found}
        if self.extra is None or self.extra[0] is not view:
            files = extra_files(view, self.today, self.root, attachments)
            self.extra = (view, files)
            return files
        feeds = {k: self.extra[1][k] for k in FEEDS}
        nothing = PublicView(PublicNotebook(view.nb.root, view.nb.config, {}, {}, [], [], set(), []),
                             frozenset(), frozenset(), 0, 0)
        files = extra_files(nothing, self.today, self.root, attachments)
        files.update(feeds)
        return files

    def _gate(self, nb: Notebook, view: PublicView, written: set[Path] | None, full: bool) -> gate.Scanner:
        """The leak gate on what this refresh wrote (``None``: the whole site), with the tokens of ``nb``
        (new tokens scan the whole site; fewer, only what was written). Returns the gate's tokens."""
        assert self.run is not None
        if full or self.token_index is None:
            site_texts = [str(self.run.config.get(k) or "") for k in ("site_name", "site_description", "copyright")]
            self.token_index = gate.TokenIndex(nb, view, site_texts)
        else:
            self.token_index.update(nb, view)
        token_set = self.token_index.tokens()
        if self.scanner is None or self.tokens is None or not token_set <= self.tokens:
            written = None  # new tokens: any page may name them, scan the whole site
        if token_set != self.tokens or self.scanner is None:
            self.scanner = gate.Scanner(token_set)
        self.tokens = token_set
        self._gate_written(written)
        return self.scanner

    def _gate_written(self, written: set[Path] | None) -> None:
        """Scan what was written (``None``: the whole site) against the current tokens: offending files are
        removed (they answer 404) and named, never what they hold."""
        assert self.run is not None and self.scanner is not None
        tokens = self.scanner
        if written is not None and not written:
            return
        index = self.out_dir / "search" / "search_index.json"
        extra: list[str] = []
        if written is not None and index in written:
            # The index was gated before: only the entries of the pages just rendered are new.
            written = written - {index}
            if tokens.names_any(self.run.new_search_entries):
                extra.append(index.relative_to(self.out_dir).as_posix())
        if written is None or self.tokens is None or not self.tokens <= self.passed_with:
            self.passed = {}
        else:
            # A large page that passed before with these tokens or more: only what changed, and around it.
            for path in sorted(written & self.passed.keys()):
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                rel = path.relative_to(self.out_dir).as_posix()
                written = written - {path}
                if tokens.names_any(rel) or any(map(tokens.names_any, gate.changed_parts(self.passed[path], data))):
                    extra.append(rel)
                else:
                    self.passed[path] = data
        found = sorted(gate.scan(self.out_dir, tokens, only=written) + extra)
        for rel in found:
            self.passed.pop(self.out_dir / rel, None)
            with contextlib.suppress(OSError):
                (self.out_dir / rel).unlink()
        refused = {self.out_dir / rel for rel in found}
        for path in (written if written is not None else self.out_dir.rglob("*")):
            if path.suffix in (".html", ".ics") and path not in refused and path not in self.passed:
                with contextlib.suppress(OSError):
                    if path.stat().st_size >= BIG_PAGE:
                        self.passed[path] = path.read_bytes()
        self.passed_with = self.tokens or frozenset()
        if found:
            self.refused = True
            self.say(f"error: {gate.refuse(found, tokens).message}".replace(
                "nothing was published (the previous site is untouched)", "these files are not served"))

    def _mark(self, label: str) -> None:
        now = time.perf_counter()
        self.timings[label] = now - self._clock
        self._clock = now

    def _mentions(self, slug: str) -> set[str]:
        """Paths of the notes whose body (as last read) contains ``slug``."""
        return {path for path, (_key, body) in self.bodies.items() if body and slug in body} | \
            {path for path, good in self.good.items() if slug in good.body}

    def _same_directory(self, view: PublicView, changed: set[str]) -> list | None:
        """The last referral directory when no change can alter it (it is the costliest query), else None."""
        old = self.site
        if old is None or old.view.hidden != view.hidden:
            return None
        records = {c.path: c for c in view.nb.conversations}
        for path in changed:
            if note_kind(path) != "conversation":
                return None
            for note in (old.note_by_path.get(path), records.get(path)):
                if isinstance(note, Conversation) and note.referrals:
                    return None
        return old.directory


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site's files: never a folder listing (404), never while the site is being updated."""

    lock: threading.Lock | None = None  # held while the site is rebuilt: a request waits for the result

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without an ``index.html`` (say, a page removed while serving) is not found."""
        self.send_error(http.HTTPStatus.NOT_FOUND, "Not found")
        return None

    def send_head(self) -> Any:
        if self.lock is None:
            return super().send_head()
        with self.lock:
            return super().send_head()


def start_server(directory: Path, host: str, port: int,
                 lock: threading.Lock | None = None) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``directory`` on a background thread (requests wait while ``lock`` is held)."""
    handler = functools.partial(type("Handler", (_QuietHandler,), {"lock": lock}), directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="convo-site-http").start()
    return server


def _is_config(rel: str) -> bool:
    return rel in ("mkdocs.yml", "mkdocs.yaml", "convo.yml") or rel.startswith("site_templates/")


def watch(live: LiveSite, stop: threading.Event, started: Callable[[], None] | None = None) -> None:
    """Refresh ``live`` whenever the notebook changes, until ``stop`` is set (``started``: called once watching)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    root = live.root.resolve()
    pending: set[str] = set()
    wake = threading.Event()
    ignored = [p.resolve() for p in (live.out_dir, live.staging_dir, root / ".git", root / ".convo",
                                     root / ".obsidian")]  # Obsidian saves its window state there all the time

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if not raw:
                    continue
                path = Path(os.fsdecode(raw)).resolve()
                if any(path == i or i in path.parents for i in ignored):
                    continue
                with contextlib.suppress(ValueError):
                    pending.add(path.relative_to(root).as_posix())
                    wake.set()

    observer = Observer()
    observer.schedule(Handler(), str(root), recursive=True)
    observer.start()
    if started is not None:
        started()

    def said(start: float, pages: int, removed: int, more: str = "") -> None:
        if pages or removed:
            live.say(f"Updated {pages}{more} page{'s' * (pages != 1)}"
                     + (f", removed {removed}" if removed else "")
                     + f" in {time.perf_counter() - start:.1f} s")

    try:
        while not stop.is_set():
            if not wake.wait(CATCH_UP if live.pending is not None else 0.5):
                if live.pending is not None:  # a quick refresh showed the edited pages: now the others
                    start = time.perf_counter()
                    try:
                        done = live.settle(interrupted=wake.is_set)
                    except SiteError as exc:
                        live.say(f"error: {exc}")
                        continue
                    except Exception as exc:  # noqa: BLE001 - as below
                        live.say(f"error: rebuilding the site failed ({type(exc).__name__}: {exc}); "
                                 "the last good site is still served")
                        continue
                    if done is not None:
                        said(start, *done, more=" more")
                continue
            while wake.is_set():  # let a burst of saves settle
                wake.clear()
                time.sleep(SETTLE)
            batch = set(pending)
            pending.clear()
            start = time.perf_counter()
            try:
                pages, removed = live.refresh(full=any(_is_config(rel) for rel in batch), quick=True)
            except SiteError as exc:
                live.say(f"error: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - a template or plugin error must not stop serving
                live.say(f"error: rebuilding the site failed ({type(exc).__name__}: {exc}); "
                         "the last good site is still served")
                continue
            said(start, pages, removed)
    finally:
        observer.stop()
        observer.join()


def serve_site(root: Path, today: dt.date, host: str, port: int, strict: bool | None,
               say: Callable[[str], None], ready: Callable[[str], None] | None = None,
               stop: threading.Event | None = None) -> None:
    """Build, serve on ``host:port`` and rebuild on changes until interrupted (or ``stop`` is set)."""
    stop = stop or threading.Event()
    with tempfile.TemporaryDirectory(prefix="convo-serve-") as tmp:
        live = LiveSite(root, today, Path(tmp) / "site", Path(tmp) / "staging", strict, say)
        live.out_dir.mkdir()
        try:  # bind first: a busy port fails at once, not after a long build
            server = start_server(live.out_dir, host, port, live.serving)
        except OSError as exc:
            raise SiteError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
        try:
            start = time.perf_counter()
            live.build()
            url = f"http://{host}:{server.server_address[1]}/"

            def started() -> None:
                say(f"Built in {time.perf_counter() - start:.1f} s. Serving on {url} (Ctrl+C to stop)")
                if ready is not None:
                    ready(url)

            watch(live, stop, started)
        finally:
            server.shutdown()
            server.server_close()
