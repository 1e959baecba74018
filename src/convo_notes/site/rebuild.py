"""Incremental ``convo site build``: re-render only the pages a change reaches.

After every build, :func:`remember` keeps its state (:mod:`.buildstate`). The
next build first checks that nothing but notes changed: the state's key (code,
versions, MkDocs configuration, templates, ``convo.yml``, the site's date and
MkDocs' build date), the leak gate's token set, and every output file as the
last build left it (size, mtime, ctime, inode). Then :func:`update`:

1. tells the notes that changed from their file keys (and git's last changes),
   rebuilds the previous site model from the kept records of those notes, and
   asks :func:`~.incremental.affected_pages` which pages they can reach (the
   same rule as ``convo site serve``);
2. makes those pages' Markdown; the ones whose Markdown differs are rendered
   by MkDocs (:meth:`~.mkdocs_run.MkDocsRun.render_some`) into a new folder
   beside the site, with the staged files that changed (attachments, feeds)
   and the search index, spliced from the kept one;
3. scans everything written with the leak gate (the kept files passed it
   against the same tokens), and only then moves each file into the site (an
   atomic rename each; a failure puts back what was moved), and removes the
   pages that are gone.

A change to a privacy value, a note that cannot be read, a person or org
added, removed or renamed, or anything else :func:`~.incremental.affected_pages`
cannot bound, gives a full build, as does ``--full``, ``--staging``, a MkDocs
plugin other than search, and strict mode with anchors checked as warnings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection

from ..cache.records import racy
from ..errors import SiteError
from ..loader import scan_note_files
from ..model import Note, Notebook
from . import buildstate, gate
from .buildstate import BuildState, digest
from .incremental import affected_pages
from .mkdocs_run import SEARCH_INDEX, MkDocsRun, search_spans, splice_search_index
from .model import SiteModel
from .pages import PageSet, make_env
from .public import PublicView, public_view

PACKAGE = Path(__file__).resolve().parents[1]
IMPORTED_NS = time.time_ns()  # before a command loaded the notebook (the default of ``loaded_ns``)
SETTLE_NS = 20_000_000  # output files are listed this long after they were written (see :func:`remember`)
MAX_SHARE = 0.3  # a full build when this share of the pages is to be rendered again


@dataclass
class Generated:
    """The pages a build generated: Markdown (all, or the affected ones), and what each page needs."""

    site: SiteModel
    order: list[str]  # every page of the site, in MkDocs' order
    pages: dict[str, str]
    attachments: dict[str, dict[str, str]]  # page -> {staged attachment: notes-relative source}
    problems: dict[str, list[str]]  # page -> warnings of its generation
    links: dict[str, list[str | None]]  # note path -> its body's Markdown link targets

    def all_attachments(self) -> dict[str, str]:
        """Every attachment the pages link to."""
        return {a: src for found in self.attachments.values() for a, src in found.items()}

    def all_problems(self) -> list[str]:
        """The warnings of every page, in page order."""
        return [p for page in self.order for p in self.problems.get(page, ())]


def generate_pages(site: SiteModel, root: Path, body_of: Callable[[Note], str | None], run: MkDocsRun | None,
                   only: set[str] | None = None, tick: Callable[[], None] = lambda: None) -> Generated:
    """The Markdown of the pages in ``only`` (all by default), with their attachments and warnings."""
    pageset = PageSet(site, make_env(root / "site_templates"), body_of, run.urls if run else None,
                      run.links if run else None, run.markdown() if run else None)
    pages: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    seen = 0
    for rel, text in pageset.pages(only):
        pages[rel] = text
        if len(pageset.problems) > seen:
            problems[rel] = pageset.problems[seen:]
            seen = len(pageset.problems)
        tick()
    attachments = {page: {a: pageset.attachments[a] for a in found if a in pageset.attachments}
                   for page, found in pageset.page_attachments.items() if page in pages}
    return Generated(site, pageset.paths(), pages, attachments, problems, dict(pageset.link_targets))


def state_key(nb: Notebook, run: MkDocsRun, today: dt.date, out_dir: Path) -> str:
    """The digest of everything but the notes that the site's bytes depend on (:mod:`.buildstate`)."""
    return buildstate.make_key([
        buildstate.versions(), str(nb.root.resolve()), str(out_dir), today.isoformat(),
        run.fingerprint(), nb.config, nb.reader, nb.me, nb.shared,
        buildstate.tree_key(nb.root / "site_templates"),
        # the package's own templates and stylesheet (not in the code stamp, which digests modules)
        buildstate.tree_key(PACKAGE / "site_templates"), buildstate.tree_key(PACKAGE / "site_assets"),
    ])


def _public_records(nb: Notebook, public: set[str]) -> dict[str, Note]:
    notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    return {n.path: n for n in notes if n.path in public}


def remember(path: Path | None, key: str, token_set: frozenset[str], nb: Notebook, gen: Generated,
             extras: dict[str, bytes], run: MkDocsRun, out_dir: Path, notes: dict[str, tuple[int, ...]],
             git: dict[str, object], previous: BuildState | None = None, changed: Collection[str] = (),
             search: tuple[int, dict[str, tuple[int, int]]] | None = None,
             touched: tuple[set[str], set[str]] | None = None, loaded_ns: int = IMPORTED_NS) -> None:
    """Keep the state of the build just published into ``out_dir`` for the next one.

    ``previous`` and ``changed``: an incremental build's starting state and the notes it
    re-read (the records of the others are kept as they were), and where the pages' entries lie in
    the search index it wrote (a full build's are found in the index file), and the output files
    it wrote and removed (the others keep their keys). ``loaded_ns``: when the notebook was loaded;
    a note changed since may have been read before its change: the next build reads it again.

    The output files are listed :data:`SETTLE_NS` after they were last written, so that any later
    change to one gives it another ctime (the kernel's clock for it ticks every few ms)."""
    if path is None:
        return
    site = gen.site
    public = set(site.note_by_path)
    if previous is None:
        records = {p: pickle.dumps(n, protocol=pickle.HIGHEST_PROTOCOL)
                   for p, n in _public_records(nb, public).items()}
        page_digests: dict[str, bytes] = {}
        attachments: dict[str, dict[str, str]] = {}
        problems: dict[str, list[str]] = {}
    else:
        records = {p: b for p, b in previous.records.items() if p in public and p not in changed}
        fresh = _public_records(nb, public & set(changed))
        records.update({p: pickle.dumps(n, protocol=pickle.HIGHEST_PROTOCOL) for p, n in fresh.items()})
        page_digests, attachments, problems = dict(previous.pages), dict(previous.attachments), \
            dict(previous.problems)
    order = set(gen.order)
    for page, text in gen.pages.items():
        page_digests[page] = digest(text.encode("utf-8"))
        attachments[page] = gen.attachments.get(page, {})
        problems[page] = gen.problems.get(page, [])
    page_digests = {p: d for p, d in page_digests.items() if p in order}
    attachments = {p: a for p, a in attachments.items() if p in order and a}
    problems = {p: a for p, a in problems.items() if p in order and a}
    has_search = False
    head, spans = 0, dict[str, tuple[int, int]]()
    entries = run.search_index_entries()
    if search is not None:
        head, spans = search
        has_search = True
    elif entries is not None:
        try:
            data = (out_dir / SEARCH_INDEX).read_bytes()
        except OSError:
            return
        found = search_spans(data, entries)
        if found is None:
            return  # not laid out as expected: the next build is a full one
        head, spans = found
        has_search = True
    time.sleep(SETTLE_NS / 1e9)
    try:
        if previous is not None and touched is not None:
            output = dict(previous.output)
            for rel in touched[1]:
                output.pop(rel, None)
            for rel in touched[0]:
                output.pop(rel, None)
                st = os.lstat(out_dir / rel)
                output[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        else:
            output = buildstate.output_keys(out_dir)
    except OSError:
        return
    state = BuildState(key, buildstate.token_digest(token_set), output, loaded_ns, notes,
                       records, git, gen.links, page_digests, attachments, problems,
                       {rel: digest(data) for rel, data in extras.items()}, head, spans, has_search)
    buildstate.save(path, state)


@dataclass
class Outcome:
    """What an incremental build did (for the build report)."""

    pages: int
    files: dict[str, bytes]
    problems: list[str]
    warnings: int
    rendered: int = 0
    removed: int = 0
    changed_notes: set[str] = field(default_factory=set)


def _old_notebook(nb: Notebook, old: dict[str, Note | None], changed: set[str]) -> Notebook:
    """The notebook as the previous build saw it: ``nb`` with the notes at ``changed`` as they were."""
    from ..model import Conversation, Org, Person

    people = {s: p for s, p in nb.people.items() if p.path not in changed}
    orgs = {s: o for s, o in nb.orgs.items() if o.path not in changed}
    convs = [c for c in nb.conversations if c.path not in changed]
    for record in old.values():
        if isinstance(record, Person):
            people[record.slug] = record
        elif isinstance(record, Org):
            orgs[record.slug] = record
        elif isinstance(record, Conversation):
            convs.append(record)
    convs.sort(key=lambda c: c.sort_key)
    return Notebook(nb.root, nb.config, people, orgs, convs, nb.diagnostics, set(nb.unreadable), nb.files,
                    incomplete=nb.incomplete, reader=nb.reader, overlay=nb.overlay)


def _same_records(nb: Notebook, old: dict[str, Note | None], changed: set[str], git_before: dict[str, object],
                  git: dict[str, object]) -> bool:
    """True when every changed note reads as the same record as before (only its body changed) and
    has the same last git change: then no page but its own can differ, but for its body's links."""
    if not changed or any(git.get(p) != git_before.get(p) for p in changed):
        return False
    records: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    now = {n.path: n for n in records if n.path in changed}
    return all(p in now and old.get(p) == now[p] for p in changed)


def _own_templates(root: Path) -> bool:
    """Whether the notebook overrides any of the site's templates (``site_templates/*.j2``)."""
    folder = root / "site_templates"
    return folder.is_dir() and any(folder.rglob("*.j2"))


def _linking_pages(view: PublicView, site: SiteModel, old: dict[str, Note | None], changed: set[str],
                   links: dict[str, list[str | None]]) -> set[str]:
    """The pages of the unchanged notes whose bodies link to a changed one: by ``[[slug]]`` (its slug
    before or after the change) or by a Markdown link to its file."""
    notes: list[Note] = [*view.nb.people.values(), *view.nb.orgs.values(), *view.nb.conversations]
    slugs = {note.slug for note in old.values() if note is not None}
    slugs.update(note.slug for note in notes if note.path in changed)
    pages = set()
    for note in notes:
        if note.path in changed:
            continue
        if any(target in slugs for target, _line, _col in note.links) or \
                any(target in changed for target in links.get(note.path, ()) if target):
            page = site.page_of_path.get(note.path)
            if page is not None:
                pages.add(page)
    return pages


def changed_notes(previous: BuildState, keys: dict[str, tuple[int, ...]], git: dict[str, object]) -> set[str]:
    """Notes whose file changed since the last build (or may have: changed just before it read them),
    appeared or went, or whose last git change differs."""
    changed = {p for p in keys.keys() | previous.notes.keys() if keys.get(p) != previous.notes.get(p)}
    changed |= {p for p, key in previous.notes.items() if p in keys and racy(key, previous.started_ns)}
    changed |= {p for p in git.keys() | previous.git.keys() if git.get(p) != previous.git.get(p)}
    return changed


def update(nb: Notebook, view: PublicView, today: dt.date, out_dir: Path, run: MkDocsRun, built: Path,
           token_set: frozenset[str], tokens: gate.Scanner, previous: BuildState, key: str,
           state_path: Path | None, body_of: Callable[[Note], str | None],
           git: dict[str, object], keys: dict[str, tuple[int, ...]], loaded_ns: int = IMPORTED_NS) -> Outcome | str:
    """Bring the site in ``out_dir`` up to date from ``previous`` (see the module docstring); or why
    a full build is needed (nothing was changed then)."""
    from .build import Staging, extra_files

    if previous.key != key:
        return "the configuration, templates, date or code changed"
    if previous.tokens != buildstate.token_digest(token_set):
        return "the notes left out changed"
    try:
        output = buildstate.output_keys(out_dir)
    except OSError:
        return "the site folder cannot be read"
    if output != previous.output:
        return "the site folder changed since the last build"
    changed = changed_notes(previous, keys, git)
    public: list[Note] = [*view.nb.people.values(), *view.nb.orgs.values(), *view.nb.conversations]
    public_now = {n.path for n in public}
    old: dict[str, Note | None] = {}
    for path in changed:
        was_public = path in previous.records
        if (path in previous.notes and not was_public) or (path in keys and path not in public_now):
            return "a private or unreadable note changed, or a privacy value"
        if was_public:
            try:
                old[path] = pickle.loads(previous.records[path])
            except Exception:  # noqa: BLE001 - a record that cannot be read back: a full build
                return "the kept state cannot be read"
    site = SiteModel(view, today, changes=git)
    gen = None
    if _same_records(nb, old, changed, previous.git, git):
        # Only bodies changed: each note's own page, unless a body's Markdown links changed too.
        gen = generate_pages(site, nb.root, body_of, run, {site.page_of_path[p] for p in changed})
        if any(gen.links.get(p) != previous.links.get(p) for p in changed):
            gen = None
    if gen is None:
        old_view = public_view(_old_notebook(nb, old, changed))
        if old_view.hidden != view.hidden or old_view.stand_ins != view.stand_ins:
            return "the notes left out changed"
        old_site = SiteModel(old_view, today, changes=previous.git)
        for path, targets in previous.links.items():
            if path in old_site.note_by_path:
                for target in targets:
                    old_site.mention(path, target, "link")
        only = affected_pages(old_site, site, changed)
        if only is None or len(only) > MAX_SHARE * max(len(previous.pages), 1):
            return "the changes reach too many pages"
        gen = generate_pages(site, nb.root, body_of, run, only)
    if _own_templates(nb.root):  # a notebook's own template may show any note on any page
        gen = generate_pages(site, nb.root, body_of, run)
    # A page whose body links to a changed note shows that note's title (or a dead link, once it
    # is gone) in HTML its unchanged Markdown does not hold: rendered again, whatever its digest.
    linking = _linking_pages(view, site, old, changed, previous.links)
    if linking - set(gen.pages):
        gen = generate_pages(site, nb.root, body_of, run, set(gen.pages) | linking)
    order = gen.order
    pages_now = set(order)
    removed_pages = set(previous.pages) - pages_now
    added_pages = pages_now - set(previous.pages)
    if not added_pages <= set(gen.pages) or len(order) != len(pages_now):
        return "the pages moved"
    render = {p for p, text in gen.pages.items() if previous.pages.get(p) != digest(text.encode("utf-8"))} | linking
    attachments = {p: previous.attachments.get(p, {}) for p in order if p not in gen.pages}
    attachments.update({p: gen.attachments.get(p, {}) for p in gen.pages})
    gen.attachments = attachments
    gen.problems = {**{p: v for p, v in previous.problems.items() if p in pages_now and p not in gen.pages},
                    **gen.problems}
    files = extra_files(view, today, nb.root, gen.all_attachments())
    copy = {rel for rel, data in files.items() if previous.extras.get(rel) != digest(data)}
    removed_files = {rel for rel in previous.extras if rel not in files}
    Staging(run.docs_dir).write(files)
    pages_in_order = {p: gen.pages.get(p, "") for p in order}
    entries, urls, warnings = run.render_some(pages_in_order, render, copy, sitemap=bool(added_pages or removed_pages))
    written = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    found = gate.scan(built, tokens, only=[built / rel for rel in written])
    kept_search = None
    if previous.has_search:
        try:
            data = (out_dir / SEARCH_INDEX).read_bytes()
        except OSError:
            return "the search index cannot be read"
        new_index, spans, fresh = splice_search_index(data, previous.search_head, previous.search, urls, entries)
        kept_search = (previous.search_head, spans)
        if any(tokens.names_any(new_index[max(0, a - gate.OVERLAP):b + gate.OVERLAP]) for a, b in fresh):
            found.append(SEARCH_INDEX)
        if new_index != data:
            (built / SEARCH_INDEX).parent.mkdir(parents=True, exist_ok=True)
            (built / SEARCH_INDEX).write_bytes(new_index)
            written.add(SEARCH_INDEX)
    if found:
        raise gate.refuse(sorted(set(found)), tokens)
    gone = {run.output_path(p) for p in removed_pages} | removed_files
    buildstate.forget(state_path)  # the site folder changes now: until the new state is kept, no state
    _publish(built, out_dir, written, gone - written)
    remember(state_path, key, token_set, nb, gen, files, run, out_dir, keys, git, previous, changed,
             kept_search, (written, gone - written), loaded_ns)
    return Outcome(len(order), files, gen.all_problems(), warnings, len(render), len(removed_pages), changed)


def _publish(built: Path, out_dir: Path, written: set[str], gone: set[str]) -> None:
    """Move the files of ``built`` into ``out_dir`` (an atomic rename each) and remove ``gone`` from it;
    on a failure, put back every file as it was and raise :class:`SiteError`."""
    backup = gate.new_folder_beside(out_dir)
    undo: list[tuple[str, str | None]] = []  # (output path, its backup or None: it was new)
    try:
        try:
            for n, rel in enumerate(sorted(written) + sorted(gone)):
                dest = out_dir / rel
                saved = None
                if dest.is_file():
                    saved = str(backup / str(n))
                    os.link(dest, saved)
                undo.append((str(dest), saved))
                if rel in written:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(built / rel, dest)
                elif saved is not None:
                    os.unlink(dest)
                    _remove_empty(dest.parent, out_dir)
        except OSError as exc:
            for where, saved in reversed(undo):
                with contextlib.suppress(OSError):
                    if saved is None:
                        os.unlink(where)
                    else:
                        Path(where).parent.mkdir(parents=True, exist_ok=True)
                        os.replace(saved, where)
            raise SiteError(f"cannot put the new pages in place in {out_dir}: {exc.strerror or exc}; "
                            "the previous site is untouched") from exc
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def _remove_empty(folder: Path, top: Path) -> None:
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def notes_keys(root: Path) -> dict[str, tuple[int, ...]]:
    """Every note file's key (size, mtime, ctime, inode), for the state."""
    return {p: tuple(k) for p, k in scan_note_files(root).items()}


def fresh_git(root: Path) -> dict[str, Any]:
    """Each note's last git change (see :func:`.build.git_changes`)."""
    from .build import git_changes

    return git_changes(root)
