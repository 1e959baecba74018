"""Building the site: public view -> staging tree -> MkDocs.

1. :func:`~convo_notes.site.public.public_view` keeps only public notes.
2. :func:`generate` makes the Markdown pages (in memory) and :class:`Staging`
   writes the attachments that public notes link to, ``calendar.ics`` and the
   notebook's own site assets into a staging ``docs`` folder, writing only
   files whose bytes changed and deleting files no longer generated (pages
   too, with ``--staging``). MkDocs never sees ``notes/``: it would swallow
   front matter it cannot parse and publish a broken private note.
3. :class:`~convo_notes.site.mkdocs_run.MkDocsRun` builds it with MkDocs'
   Python API, handing it the pages from memory (as fast as a ``mkdocs
   build`` subprocess, measured; it keeps MkDocs' state for ``convo site
   serve``'s page-level updates), rendering pages in several processes when
   the site is large (:mod:`~convo_notes.site.parallel`).

MkDocs' own log is shown (warnings and errors only); it can only name staged,
public pages. The summary names no left-out note: it gives counts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jinja2

from .. import fsutil, ics
from ..loader import reread_note
from ..model import Note, Notebook
from .gate import Scanner
from .mkdocs_run import MkDocsRun, SiteError, notebook_config, progress_bar, site_assets
from .model import SiteModel
from .public import PublicView, public_view
from .rebuild import Generated, generate_pages

MARKER = ".convo-site"


def body_reader(nb: Notebook) -> Callable[[Note], str | None]:
    """Bodies read fresh from disk, or None when the file no longer reads as a public note.

    The loader keeps records small and bodies are read when a page is made; a
    note edited in between (say, made private) must not publish its new body.
    The loader reads the note again (:func:`~convo_notes.loader.reread_note`)
    and ``Notebook.is_private`` decides on that record: the site never reads
    YAML itself.
    """
    def body_of(note: Note) -> str | None:
        fresh, body = reread_note(nb.root, note.path)
        if fresh is None or nb.is_private(fresh):
            return None
        return body

    return body_of


class Staging:
    """A staging ``docs`` folder that is rewritten incrementally."""

    def __init__(self, docs_dir: Path, write_pages: bool = False) -> None:
        self.docs_dir = docs_dir
        self.write_pages = write_pages  # else Markdown pages are only kept here (MkDocs gets them from memory)
        self.files: dict[str, bytes] = {}  # everything staged, by staging path
        self.scanned = False
        docs_dir.mkdir(parents=True, exist_ok=True)

    def write(self, contents: dict[str, bytes]) -> tuple[set[str], set[str]]:
        """Make the folder hold exactly ``contents``; return (changed, removed) staging paths."""
        changed, removed = set(), set()
        on_disk: set[str] = set()
        if not self.scanned:  # files left by an earlier run in a kept staging folder
            self.scanned = True
            on_disk = self._scan()
        made: set[str] = set()
        root = str(self.docs_dir)
        for rel, data in contents.items():
            if self.files.get(rel) == data:
                continue
            if not self.write_pages and rel.endswith(".md"):
                self.files[rel] = data
                changed.add(rel)
                continue
            target = os.path.join(root, rel)
            if rel in on_disk and Path(target).read_bytes() == data:
                self.files[rel] = data
                continue
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(target, "wb") as fd:
                fd.write(data)
            self.files[rel] = data
            changed.add(rel)
        for rel in set(self.files) - set(contents):
            if self.write_pages or not rel.endswith(".md"):
                with contextlib.suppress(FileNotFoundError):
                    (self.docs_dir / rel).unlink()
            del self.files[rel]
            removed.add(rel)
        for rel in on_disk - set(contents):
            with contextlib.suppress(FileNotFoundError):
                (self.docs_dir / rel).unlink()
            removed.add(rel)
        if on_disk:
            for dirpath, _dirs, _files in sorted(os.walk(root), reverse=True):
                if dirpath != root and not os.listdir(dirpath):
                    os.rmdir(dirpath)
        return changed, removed

    def _scan(self) -> set[str]:
        found = set()
        root = str(self.docs_dir)
        for dirpath, _dirs, names in os.walk(root):
            base = os.path.relpath(dirpath, root).replace(os.sep, "/")
            for name in names:
                found.add(name if base == "." else f"{base}/{name}")
        return found


def git_changes(root: Path) -> dict[str, object]:
    """Each note's last git change, when the notebook is a git repository (else empty)."""
    try:
        from .. import gitinfo
    except ImportError:  # pragma: no cover - gitinfo is optional
        return {}
    return dict(gitinfo.last_changes(root))


def extra_files(view: PublicView, today: dt.date, root: Path, attachments: dict[str, str]) -> dict[str, bytes]:
    """The staging tree's files that are not pages: attachments, ``calendar.ics``, site assets."""
    files: dict[str, bytes] = {}
    root_real = fsutil.real_root(str(root))
    for staged, rel in attachments.items():
        with contextlib.suppress(fsutil.Refused):  # changed since its link was checked: left out
            files[staged] = fsutil.read_notebook_file(root_real, str(root / rel), fsutil.ATTACHMENT_LIMIT)
    tasks, events = ics.build_feeds(view.nb, today, include_private=False)
    files["calendar.ics"] = tasks.encode("utf-8")
    files["calendar-events.ics"] = events.encode("utf-8")
    for rel, source in site_assets(root, notebook_config(root)).items():
        with contextlib.suppress(fsutil.Refused):
            files.setdefault(rel, fsutil.read_notebook_file(root_real, str(source), fsutil.ATTACHMENT_LIMIT))
    return files


def template_problem(root: Path, exc: BaseException) -> str:
    """``site_templates/NAME:LINE: template error: ...`` for a failing template, located by the traceback
    (Jinja maps template frames to the template's file and line)."""
    where = "site_templates"
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            with contextlib.suppress(ValueError):
                where = f"{Path(name).resolve().relative_to(root.resolve()).as_posix()}:{tb.tb_lineno}"
        tb = tb.tb_next
    return f"{where}: template error: {exc}"


def generate(view: PublicView, today: dt.date, root: Path, body_of: Callable[[Note], str | None],
             progress: bool = False, run: MkDocsRun | None = None,
             ) -> tuple[dict[str, bytes], dict[str, str], list[str]]:
    """The staging tree's files other than pages (as bytes), the Markdown pages, and problems worth telling.

    ``run`` is the MkDocs run that will build them: where it publishes pages (``use_directory_urls``,
    for the links in generated HTML) and how it parses bodies (their links are decided as it will).
    """
    gen = generate_all(SiteModel(view, today, changes=git_changes(root)), root, body_of, progress, run)
    return extra_files(view, today, root, gen.all_attachments()), gen.pages, gen.all_problems()


def generate_all(site: SiteModel, root: Path, body_of: Callable[[Note], str | None], progress: bool = False,
                 run: MkDocsRun | None = None) -> Generated:
    """Every page of ``site`` (see :func:`.rebuild.generate_pages`), with a progress bar; a failing
    template of the notebook's own is a :class:`SiteError` naming its file and line."""
    with progress_bar(len(site.all_pages()), "Writing pages", progress) as bar:
        try:
            return generate_pages(site, root, body_of, run, tick=lambda: bar.update(1))
        except jinja2.TemplateError as exc:  # a notebook's own template (site_templates/) that fails
            raise SiteError(template_problem(root, exc)) from None


@dataclass
class BuildReport:
    """What ``convo site build`` tells the user: counts and times, never a left-out note's name."""

    out_dir: Path
    pages: int
    people: int
    orgs: int
    conversations: int
    private: int
    unreadable: int
    attachments: int
    warnings: int
    problems: list[str]
    seconds: float
    log: list[str] = dataclasses.field(default_factory=list)  # MkDocs' warnings, shown once the gate passed
    doubtful: int = 0  # of ``private``: left out because their privacy value is doubtful
    incremental: bool = False  # only the pages that changed were rendered (``rendered`` of them)
    rendered: int = 0
    full_reason: str = ""  # why every page was rendered (no previous build, a configuration change...)


DOUBTFUL_PRIVACY = frozenset({"empty-private", "misspelled-private"})


def doubtful_privacy(nb: Notebook) -> int:
    """How many readable notes are private only because their privacy value is doubtful (each is an error)."""
    paths = {d.path for d in nb.diagnostics if d.code in DOUBTFUL_PRIVACY
             or (d.code == "bad-boolean" and d.message.startswith("`private`"))}
    records: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    return sum(1 for note in records if note.path in paths and note.path not in nb.unreadable)


def check_staging_dir(root: Path, staging: Path) -> None:
    """Refuse a staging folder inside ``notes/``: its pages would be read back as notes."""
    notes = (root / "notes").resolve()
    staging = staging.resolve()
    if staging == notes or notes in staging.parents or staging == root.resolve():
        raise SiteError(f"refusing to stage the site in {staging}: choose a folder outside notes/")


def check_out_dir(root: Path, out: Path) -> None:
    """Refuse an output folder MkDocs' cleaning would destroy something in."""
    out, root_r = out.resolve(), root.resolve()
    notes = (root_r / "notes").resolve()
    if out == root_r or out in root_r.parents or out == notes or notes in out.parents:
        raise SiteError(f"refusing to build into {out}: it holds the notebook or its notes "
                        "(the build replaces the output folder)")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists() \
            and not (out / "index.html").exists() and not (out / "sitemap.xml").exists():
        raise SiteError(f"refusing to build into {out}: it is not empty and does not look like a built site "
                        "(the build replaces the output folder); choose an empty or new folder")


def held_back(lines: list[str], tokens: Scanner) -> list[str]:
    """The log lines that may be shown: any naming a left-out note is held back, and counted in a last line."""
    shown = [line for line in lines if not tokens.names_any(line)]
    if len(shown) < len(lines):
        held = len(lines) - len(shown)
        shown.append(f"{held} message{'s' * (held != 1)} held back: {'they name' if held != 1 else 'it names'} "
                     "a private or unreadable note")
    return shown


def _show_log(lines: list[str], tokens: Scanner) -> None:
    import click

    for line in held_back(lines, tokens):
        click.echo(line, err=True)


def build_site(nb: Notebook, today: dt.date, out_dir: Path, strict: bool | None = None,
               progress: bool = False, staging_dir: Path | None = None, jobs: int | None = None,
               full: bool = False, loaded_ns: int | None = None, keep_state: bool = True) -> BuildReport:
    """Build the team site of ``nb`` as of ``today`` into ``out_dir`` (``jobs``: see :meth:`MkDocsRun.build`).

    The site is built into a new folder beside ``out_dir`` and checked by the
    leak gate (:mod:`~convo_notes.site.gate`); only then does it replace
    ``out_dir``. A failed build or gate raises :class:`SiteError` and leaves
    ``out_dir`` as it was. MkDocs' log is held back until the gate passed
    (``BuildReport.log``); a log line or problem that names a left-out note
    is never shown (:func:`held_back`).

    Unless ``full`` (or with ``staging_dir``), a site built
    before into ``out_dir`` is updated instead when only notes changed: only
    the pages they reach are rendered again, and every file written is gated
    before it is moved in (:mod:`~convo_notes.site.rebuild`). ``loaded_ns``: when ``nb`` was loaded
    (``time.time_ns()``; by default when this module was imported, as for a command): notes changed
    since then are read again by the next build. ``keep_state``: keep this build's state for the
    next one (not for a folder that is thrown away, as ``convo site deploy``'s).
    """
    import shutil
    import tempfile

    from . import buildstate, gate, rebuild
    from .parallel import cpu_jobs

    start = time.perf_counter()
    root = nb.root
    out_dir = out_dir.absolute()
    check_out_dir(root, out_dir)
    if staging_dir is not None:
        check_staging_dir(root, staging_dir)
    view = public_view(nb)
    keep_staging = staging_dir is not None
    state_path = buildstate.state_file(root, out_dir) if keep_state else None
    previous = None if full or keep_staging else buildstate.load(state_path)
    notes = rebuild.notes_keys(root)
    loaded = rebuild.IMPORTED_NS if loaded_ns is None else loaded_ns
    git = git_changes(root)
    try:
        built = gate.new_folder_beside(out_dir)
    except OSError as exc:
        raise SiteError(f"cannot build beside {out_dir}: {exc.strerror or exc}") from exc
    try:
        with contextlib.ExitStack() as stack:
            if staging_dir is None:
                staging_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="convo-site-")))
            run = MkDocsRun(root, staging_dir, built, strict, nb.config.site_title, hold_log=True)
            site_texts = [str(run.config.get(key) or "") for key in ("site_name", "site_description", "copyright")]
            token_set = gate.private_tokens(nb, view, site_texts)
            tokens = gate.Scanner(token_set)
            key = rebuild.state_key(nb, run, today, out_dir)
            why = "no previous build to update" if previous is None else ""
            if previous is not None and not run.incremental_ok():
                why = "a MkDocs plugin other than search, or anchors checked in strict mode"
            elif previous is not None:
                try:
                    done = rebuild.update(nb, view, today, out_dir, run, built, token_set, tokens, previous, key,
                                          state_path, body_reader(nb), git, notes, loaded)
                except jinja2.TemplateError as exc:
                    raise SiteError(template_problem(root, exc)) from None
                except SiteError:
                    _show_log(run.log, tokens)
                    raise
                if not isinstance(done, str):
                    shutil.rmtree(built, ignore_errors=True)
                    attachments = sum(1 for rel in done.files if rel.startswith("attachments/"))
                    return BuildReport(out_dir, done.pages, len(view.nb.people), len(view.nb.orgs),
                                       len(view.nb.conversations), view.private_count, view.unreadable_count,
                                       attachments, done.warnings, held_back(done.problems, tokens),
                                       time.perf_counter() - start, held_back(run.log, tokens),
                                       doubtful_privacy(nb), incremental=True, rendered=done.rendered)
                why = done
                run = MkDocsRun(root, staging_dir, built, strict, nb.config.site_title, hold_log=True)
            gen = generate_all(SiteModel(view, today, changes=git), root, body_reader(nb), progress, run)
            files = extra_files(view, today, root, gen.all_attachments())
            pages, problems = gen.pages, gen.all_problems()
            staged = {**files, **{rel: text.encode("utf-8") for rel, text in pages.items()}} if keep_staging \
                else files
            Staging(staging_dir / "docs", write_pages=keep_staging).write(staged)
            try:
                warnings = run.build(pages, progress, jobs)
            except SiteError:
                _show_log(run.log, tokens)  # why strict mode failed, unless the log itself would leak
                raise
        (built / MARKER).write_text("built by convo site build\n", encoding="utf-8")
        found = gate.scan(built, tokens, jobs=min(cpu_jobs(), 4))
        if found:
            raise gate.refuse(found, tokens)
        buildstate.forget(state_path)
        try:
            gate.publish(built, out_dir)
        except OSError as exc:
            raise SiteError(f"cannot put the new site in place of {out_dir}: {exc.strerror or exc}; "
                            "the previous site is untouched") from exc
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    if not keep_staging and run.incremental_ok():
        rebuild.remember(state_path, key, token_set, nb, gen, files, run, out_dir, notes, git, loaded_ns=loaded)
    attachments = sum(1 for rel in files if rel.startswith("attachments/"))
    return BuildReport(out_dir, len(pages), len(view.nb.people), len(view.nb.orgs), len(view.nb.conversations),
                       view.private_count, view.unreadable_count, attachments, warnings,
                       held_back(problems, tokens), time.perf_counter() - start, held_back(run.log, tokens),
                       doubtful_privacy(nb), full_reason="--full" if full else why)
