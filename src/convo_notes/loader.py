"""The one loader: a notebook directory -> :class:`~convo_notes.model.Notebook`.

Everything in convo-notes (CLI, site, watcher, exports) reads notes through
:func:`load_notebook`, so validity and privacy are decided here once. Bad
input never raises: each file's problems become diagnostics and the rest of
the notebook is still read.
"""

from __future__ import annotations

import gc
import operator
import os
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from .diagnostics import CURRENT_FILE, Diagnostic
from .errors import NotebookNotFound
from .model import Commitment, Config, Conversation, NextTurn, Note, Notebook, Org, Person, Referral
from .parse import FrontMatter, parse_yaml, read_note
from .schema import SLUG_RE, coerce

CONFIG_FILE = "convo.yml"
NOTES_DIR = "notes"
WIKI_LINK = re.compile(r"\[\[([^\]\|#]+)(?:#[^\]\|]*)?(?:\|[^\]]*)?\]\]")
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)



def find_root(start: Path | None = None, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The notebook root: ``explicit`` (``-C``/``CONVO_NOTEBOOK``), else the first
    directory from ``start`` upward holding ``convo.yml`` or ``notes/``."""
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not ((root / CONFIG_FILE).is_file() or (root / NOTES_DIR).is_dir()):
            raise NotebookNotFound(f"{root} is not a notebook (no {CONFIG_FILE} and no {NOTES_DIR}/ there)")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_FILE).is_file() or (candidate / NOTES_DIR).is_dir():
            return candidate
    raise NotebookNotFound(
        f"no notebook found in {here} or above it (looked for {CONFIG_FILE} or {NOTES_DIR}/); "
        "use -C DIR or start one with `convo init DIR`"
    )


def note_kind(rel: str) -> str:
    """``person``, ``org`` or ``conversation``, from the file's place under ``notes/``."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[1] == "people":
        return "person"
    if len(parts) == 3 and parts[1] == "orgs":
        return "org"
    return "conversation"


FileKey = tuple[int, int, int]  # size, modification time (ns), inode
_FIRST = operator.itemgetter(0)


def scan_note_files(root: Path) -> dict[str, FileKey]:
    """Every ``.md`` file under ``notes/`` (hidden files and folders skipped), relative and
    sorted, with the size, mtime and inode the cache keys on, in one pass of ``scandir``.

    This runs on every command, warm or not, so it is kept lean: one ``scandir`` per
    folder and one ``stat`` per note (the physical floor of checking that nothing changed).
    """
    found: list[tuple[str, FileKey]] = []
    add = found.append
    stack = [(os.path.join(root, NOTES_DIR), NOTES_DIR + "/")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            try:
                if entry.is_dir():
                    stack.append((entry.path, prefix + name + "/"))
                elif name.endswith(".md"):
                    st = entry.stat()
                    add((prefix + name, (st.st_size, st.st_mtime_ns, entry.inode())))
            except OSError:
                continue
    found.sort(key=_FIRST)  # paths are unique: comparing them alone is faster than comparing tuples
    return dict(found)


def list_note_files(root: Path) -> list[str]:
    """Every ``.md`` file under ``notes/``, relative posix paths, sorted."""
    return list(scan_note_files(root))


def load_config(root: Path, env: Mapping[str, str] | None = None) -> tuple[Config, list[Diagnostic]]:
    """Read ``convo.yml`` (optional, through the cache) and apply ``CONVO_ME``."""
    from .cache import cached_file

    environ: Mapping[str, str] = os.environ if env is None else env
    config, problems = cached_file(root, CONFIG_FILE, _read_config)
    config = replace(config, topic_aliases=dict(config.topic_aliases), raw=dict(config.raw))
    if environ.get("CONVO_ME"):
        config.me = environ["CONVO_ME"]
    return config, list(problems)


def _read_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    config = Config()
    problems: list[Diagnostic] = []
    path = root / CONFIG_FILE
    if path.is_file():
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Diagnostic(CONFIG_FILE, 1, 1, "bad-config", f"cannot read convo.yml: {exc}"))
            text = ""
        fm = parse_yaml(text.replace("\r\n", "\n"), CONFIG_FILE, 1)
        for diag in fm.diagnostics:
            problems.append(Diagnostic(diag.path, diag.line, diag.column, "bad-config", diag.message)
                            if diag.severity == "error" and diag.code != "duplicate-key" else diag)
        data = fm.data or {}
        config.raw = data

        def where(*at: Any) -> tuple[int, int]:
            return fm.locs.get(tuple(at), (1, 1))

        me = data.get("me")
        if isinstance(me, str):
            if SLUG_RE.match(me):
                config.me = me
            else:
                problems.append(Diagnostic(CONFIG_FILE, *where("me"), "bad-config", f"`me: {me}` is not a person slug"))
        site = data.get("site")
        if isinstance(site, dict):
            if isinstance(site.get("title"), str):
                config.site_title = str(site["title"])
            vis = site.get("private_by_default", site.get("visibility"))
            config.private_by_default = vis in ("true", "True", "private")
        topics = data.get("topics")
        aliases = topics.get("aliases") if isinstance(topics, dict) else None
        if isinstance(aliases, dict):
            config.topic_aliases = {str(k).lower(): str(v).lower() for k, v in aliases.items() if isinstance(v, str)}
    return config, problems


def _title(values: dict[str, Any], body: str, slug: str) -> str:
    if values.get("title"):
        return str(values["title"])
    match = _HEADING.search(body)
    return match.group(1).strip() if match else slug


def wiki_links(body: str, body_line: int) -> tuple[tuple[str, int, int], ...]:
    """``[[slug]]`` links in a body, with their line and column in the file."""
    if "[[" not in body:
        return ()
    return tuple(
        (match.group(1).strip(), body_line + number, match.start() + 1)
        for number, text in enumerate(body.split("\n"))
        for match in WIKI_LINK.finditer(text)
    )


def build_record(rel: str, fm: FrontMatter, root: str = "") -> tuple[Note | None, list[Diagnostic]]:
    """Check one parsed note against the schema and build its record (``root``: the notebook folder)."""
    kind = note_kind(rel)
    slug = rel.rsplit("/", 1)[-1][:-3]
    problems = list(fm.diagnostics)
    if not SLUG_RE.match(slug):
        problems.append(Diagnostic(rel, 1, 1, "bad-slug",
                                   f"file name `{slug}.md` is not a slug (lowercase letters, digits, hyphens)"))
    if fm.data is None:
        return None, problems
    values, more = coerce(kind, rel, fm)
    problems.extend(more)
    common: dict[str, Any] = dict(slug=slug, path=rel, root=root, body_line=fm.body_line,
                                  links=wiki_links(fm.body, fm.body_line))
    if kind == "person":
        if "name" not in values:
            values["name"] = slug
        return Person(
            name=values["name"], org=values.get("org"), role=values.get("role"),
            emails=values.get("email", ()), phones=values.get("phone", ()),
            expertise=values.get("expertise", ()), tags=values.get("tags", ()),
            aliases=values.get("aliases", ()), cadence=values.get("cadence"),
            team=bool(values.get("team", False)), private=values.get("private"),
            cadence_line=fm.locs.get(("cadence",), (1, 1))[0], **common,
        ), problems
    if kind == "org":
        return Org(
            name=values.get("name", slug), what=values.get("what"), website=values.get("website"),
            tags=values.get("tags", ()), private=values.get("private"), **common,
        ), problems
    import datetime as dt

    when = values.get("date")
    # Without a date or people a conversation has no place in time or in a thread: it is
    # built "unplaced", so its other fields are still checked, but it joins no query and
    # counts as unreadable for the site (nothing of it leaks).
    placed = when is not None and "with" in values
    if when is None:
        when = dt.date.min
    day = when.date() if isinstance(when, dt.datetime) else when
    time = when if isinstance(when, dt.datetime) else None
    with_ = values.get("with", ())
    nxt = values.get("next")
    next_turn = None
    if nxt and "turn" in nxt:
        next_turn = NextTurn(nxt["turn"], nxt.get("by"), nxt.get("about"), fm.locs.get(("next",), (1, 1))[0])
    commitments = tuple(
        Commitment(
            what=c["what"], owner=c.get("owner", "me"), to=c.get("to"), due=c.get("due"), done=c.get("done"),
            id=c.get("id"), path=rel, index=i, line=fm.locs.get(("commitments", i), (1, 1))[0],
        )
        for i, c in values.get("commitments", ()) if "what" in c
    )
    referrals = tuple(
        Referral(
            recommends=r["recommends"], topics=tuple(t for t in r["for"] if t.strip()),
            by=r.get("by") or (with_[0] if len(with_) == 1 else None), to=r.get("to", "me"),
            note=r.get("note"), path=rel, index=i, line=fm.locs.get(("referrals", i), (1, 1))[0],
        )
        for i, r in values.get("referrals", ()) if "recommends" in r and "for" in r
    )
    return Conversation(
        date=day, time=time, placed=placed, with_=with_, title=_title(values, fm.body, slug),
        channel=values.get("channel"), thread=values.get("thread"), org=values.get("org"),
        recorded_by=values.get("recorded_by"), tags=values.get("tags", ()),
        interests=values.get("interests", ()), private=values.get("private"), next=next_turn,
        commitments=commitments, closes=values.get("closes", ()), referrals=referrals,
        sort_key=(day.toordinal(), time.hour * 3600 + time.minute * 60 + time.second if time else 0, rel),
        **common,
    ), problems


def read_file(root: Path, rel: str) -> tuple[Note | None, list[Diagnostic]]:
    """Read and check one note file; an unexpected failure becomes one ``internal-error``.

    While it runs, :data:`.diagnostics.CURRENT_FILE` names the file, so a crash that
    escapes anyway is reported against it; afterwards nothing is named.
    """
    CURRENT_FILE["path"] = rel
    try:
        return _read_file(root, rel)
    finally:
        CURRENT_FILE.pop("path", None)


def _read_file(root: Path, rel: str) -> tuple[Note | None, list[Diagnostic]]:
    try:
        raw = open(os.path.join(root, rel), "rb").read()
    except OSError as exc:
        return None, [Diagnostic(rel, 1, 1, "not-utf8" if isinstance(exc, UnicodeError) else "internal-error",
                                 f"cannot read file: {exc.strerror or exc}")]
    try:
        return build_record(rel, read_note(raw, rel), _shared(str(root)))
    except Exception as exc:  # a bug in a check must not hide the rest of the notebook
        return None, [Diagnostic(rel, 1, 1, "internal-error",
                                 f"internal error while reading this note ({type(exc).__name__}: {exc}); "
                                 "please report it")]


def is_unreadable(note: Note | None, problems: list[Diagnostic]) -> bool:
    """The loader's rule for a note the site must treat as unreadable (so private): no record, a refused
    YAML tag, or a conversation without a date or people."""
    return note is None or any(d.code == "yaml-tag" for d in problems) or \
        (isinstance(note, Conversation) and not note.placed)


def reread_note(root: Path, rel: str) -> tuple[Note | None, str | None]:
    """One note read again now, with its body from the same bytes: ``(record, body)``, or
    ``(None, None)`` when it no longer reads (see :func:`is_unreadable`).

    The site reads bodies when it makes a page, later than the notebook was loaded: it asks
    ``Notebook.is_private`` of this fresh record, so a note made private meanwhile is not published.
    """
    try:
        raw = open(os.path.join(root, rel), "rb").read()
    except OSError:
        return None, None
    try:
        fm = read_note(raw, rel)
        note, problems = build_record(rel, fm, _shared(str(root)))
    except Exception:  # noqa: BLE001 - reported by `convo validate`; here it only keeps the note off the site
        return None, None
    if is_unreadable(note, problems):
        return None, None
    return note, fm.body


def _shared(text: str) -> str:
    """One string object per distinct value, so the cache stores it once (pickle memoizes by identity)."""
    return sys.intern(text)


class paused_gc:  # noqa: N801 - used like a function: `with paused_gc():`
    """Cyclic garbage collection off inside the block (back on after, if it was on).

    Reading a notebook allocates many small objects and almost no cycles; every
    collection walks all that was read so far, so a large notebook pays again and
    again for nothing. Reference counting still frees everything as usual, and
    worker processes forked inside the block inherit the pause.
    """

    def __enter__(self) -> None:
        self.was_on = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_on:
            gc.enable()


PARALLEL_MIN = 1_500  # below this many files a second process costs more than it saves


def _read_chunk(root: Path, rels: list[str]) -> list[tuple[Note | None, list[Diagnostic]]]:
    return [read_file(root, rel) for rel in rels]


Progress = Callable[[int, int], None]  # (files done, files in all)


def _read_serial(root: Path, rels: list[str], progress: Progress | None, scale: int = 1,
                 total: int = 0) -> dict[str, tuple[Note | None, list[Diagnostic]]]:
    out = {}
    for i, rel in enumerate(rels):
        out[rel] = read_file(root, rel)
        if progress is not None and i % 200 == 199:
            progress(min((i + 1) * scale, total or len(rels)), total or len(rels))
    return out


def read_many(root: Path, rels: list[str], progress: Progress | None = None,
              ) -> dict[str, tuple[Note | None, list[Diagnostic]]]:
    """Read many files; on a multi-core POSIX machine a large batch is split across processes.

    ``progress(done, total)`` is called now and then (estimated from this process's share).
    """
    workers = min(os.cpu_count() or 1, 4)
    if len(rels) < PARALLEL_MIN or workers < 2:
        return _read_serial(root, rels, progress)
    import multiprocessing as mp  # imported here: most commands never need it
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in mp.get_all_start_methods():
        return _read_serial(root, rels, progress)
    chunks = [rels[i::workers] for i in range(workers)]
    try:
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(_read_chunk, root, chunk) for chunk in chunks[1:]]
            results = _read_serial(root, chunks[0], progress, workers, len(rels))
            for chunk, future in zip(chunks[1:], futures):
                results.update(zip(chunk, future.result()))
    except (OSError, BrokenProcessPool):  # no processes to be had: read them here
        return _read_serial(root, rels, progress)
    if progress is not None:
        progress(len(rels), len(rels))
    return results


def read_files(root: Path, files: dict[str, FileKey], use_cache: bool = True,
               progress: Progress | None = None) -> dict[str, tuple[Note | None, list[Diagnostic]]]:
    """Read every file, through the cache where it is fresh."""
    from .cache import cached_read

    if not use_cache:
        return read_many(root, list(files), progress)
    return cached_read(root, files, lambda root, rels: read_many(root, rels, progress))


_SORT_KEY = operator.attrgetter("sort_key")


def load_notebook(
    root: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    use_cache: bool = True,
    check: bool = True,
    progress: Progress | None = None,
) -> Notebook:
    """Read a whole notebook into records, with every problem found as a diagnostic.

    ``check=False`` skips the checks across notes (references, unique ids), for
    commands that only query: each file's own problems are still reported.
    """
    root = Path(root)
    config, diagnostics = load_config(root, env)
    return load_scanned(root, scan_note_files(root), config, diagnostics,
                        use_cache=use_cache, check=check, progress=progress)


def load_scanned(
    root: Path,
    keyed: dict[str, FileKey],
    config: Config,
    config_problems: list[Diagnostic],
    *,
    use_cache: bool = True,
    check: bool = True,
    progress: Progress | None = None,
) -> Notebook:
    """:func:`load_notebook` from a configuration and a scan already made (see :mod:`.snapshot`).

    ``keyed`` is :func:`scan_note_files`'s result and ``config, config_problems``
    :func:`load_config`'s; the notebook is exactly the one :func:`load_notebook` returns.
    """
    with paused_gc():  # records are acyclic: collecting while tens of thousands pile up only costs time
        return _assemble(root, keyed, config, config_problems, use_cache, check, progress)


def _assemble(root: Path, keyed: dict[str, FileKey], config: Config, config_problems: list[Diagnostic],
              use_cache: bool, check: bool, progress: Progress | None) -> Notebook:
    diagnostics = list(config_problems)
    files = list(keyed)
    results = read_files(root, keyed, use_cache, progress)
    people: dict[str, Person] = {}
    orgs: dict[str, Org] = {}
    conversations: list[Conversation] = []
    incomplete: list[Conversation] = []
    unreadable: set[str] = set()
    for rel in files:
        note, problems = results[rel]
        diagnostics.extend(problems)
        if is_unreadable(note, problems):
            unreadable.add(rel)  # fails closed: private for the site
        if note is None:
            continue
        if isinstance(note, Person):
            people[note.slug] = note
        elif isinstance(note, Org):
            orgs[note.slug] = note
        elif note.placed:
            conversations.append(note)
        else:
            incomplete.append(note)
    conversations.sort(key=_SORT_KEY)
    notebook = Notebook(root, config, people, orgs, conversations, diagnostics, unreadable, files)
    notebook.incomplete = incomplete
    if check:
        from . import checks  # only `validate`, `show` and edits check across notes

        notebook.diagnostics.extend(checks.run_checks(notebook))
    notebook.diagnostics.sort(key=Diagnostic.sort_key)
    return notebook
