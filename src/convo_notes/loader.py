"""The one loader: a notebook directory -> :class:`~convo_notes.model.Notebook`.

Everything in convo-notes (CLI, site, watcher, exports) reads notes through
:func:`load_notebook`, so validity and privacy are decided here once. Bad
input never raises: each file's problems become diagnostics and the rest of
the notebook is still read.
"""

from __future__ import annotations

import datetime as dt
import gc
import operator
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from . import fsutil
from .diagnostics import CURRENT_FILE, Diagnostic
from .model import OVERLAY, Commitment, Config, Conversation, NextTurn, Note, Notebook, Org, Person, Referral
from .notefiles import (  # noqa: F401 - the walk is the loader's; its names are read from here too
    CONFIG_FILE,
    NOTES_DIR,
    SKIP_CODES,
    FileKey,
    find_root,
    note_kind,
    read_jobs,
    scan_note_files,
    scan_notes,
)
from .parse import FrontMatter, decode, parse_yaml, read_note

WIKI_LINK = re.compile(r"\[\[([^\]\[\|#]+)(?:#[^\]\|]*)?(?:\|[^\]]*)?\]\]")
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


def list_note_files(root: Path) -> list[str]:
    """Every ``.md`` file under ``notes/``, relative posix paths, sorted."""
    return list(scan_note_files(root))


def load_config(root: Path, env: Mapping[str, str] | None = None) -> tuple[Config, list[Diagnostic]]:
    """Read ``convo.yml`` (optional, through the cache).

    ``CONVO_ME`` no longer changes it (format v1.1): it names the reader, who changes
    only whose view it is (see :func:`reader_of`), never what a note says.
    """
    from .cache.records import cached_file

    config, problems = cached_file(root, CONFIG_FILE, _read_config)
    config = config.copy()
    return config, list(problems)


def reader_of(root: Path, env: Mapping[str, str] | None = None, me: str | None = None) -> str | None:
    """Who is reading: ``me`` (``--me``), else ``CONVO_ME``, else ``me`` in the user's config file."""
    from .userconfig import user_settings

    environ: Mapping[str, str] = os.environ if env is None else env
    return me or environ.get("CONVO_ME") or user_settings(root, environ).me


def overlay_of(root: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """The reader's personal notes folder (``overlay`` in the user's config file), if any."""
    from .userconfig import user_settings

    return user_settings(root, os.environ if env is None else env).overlay


def _read_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    config = Config()
    problems: list[Diagnostic] = []
    path = root / CONFIG_FILE
    if os.path.lexists(path):
        try:
            raw = fsutil.read_notebook_file(fsutil.real_root(str(root)), str(path), fsutil.CONFIG_LIMIT, "convo.yml")
            text = raw.decode("utf-8-sig")
        except fsutil.Refused as refused:
            problems.append(Diagnostic(CONFIG_FILE, 1, 1, "bad-config", f"cannot read convo.yml: {refused.message}"))
            text = ""
        except UnicodeDecodeError as exc:
            problems.append(Diagnostic(CONFIG_FILE, 1, 1, "bad-config", f"cannot read convo.yml: {exc}"))
            text = ""
        fm = parse_yaml(text.replace("\r\n", "\n"), CONFIG_FILE, 1)
        for diag in fm.diagnostics:
            problems.append(Diagnostic(diag.path, diag.line, diag.column, "bad-config", diag.message)
                            if diag.severity == "error" and diag.code != "duplicate-key" else diag)
        if fm.data is not None and not isinstance(fm.data, dict):
            problems.append(Diagnostic(CONFIG_FILE, 1, 1, "bad-config", "convo.yml must be a mapping of settings"))
        config.raw = fm.data if isinstance(fm.data, dict) else {}
        from .schema import coerce_config  # (here: a warm command reads the cached configuration)

        values, found = coerce_config(CONFIG_FILE, fm)
        problems.extend(found)
        config.me = values.get("me")
        site = values.get("site", {})
        config.site_title = site.get("title", config.site_title)
        if site.get("visibility") is not None:
            line, col = fm.locs.get(("site", "visibility"), (1, 1))
            problems.append(Diagnostic(CONFIG_FILE, line, col, "deprecated-setting",
                                       "`site: visibility:` is an old spelling: write "
                                       f"`private_by_default: {str(site['visibility'] == 'private').lower()}`"))
        config.private_by_default = bool(site.get("private_by_default", site.get("visibility") == "private"))
        aliases = values.get("topics", {}).get("aliases", {})
        config.topic_aliases = {k.lower(): v.lower() for k, v in aliases.items()}
        config.lint_off = tuple(values.get("lint", {}).get("off", ()))
        config.links = values.get("links", "plain")
        agenda = values.get("agenda", {})
        config.follow_up = agenda.get("follow_up", config.follow_up)
        config.warn = agenda.get("warn")
        config.keep_in_touch = values.get("keep_in_touch", {})
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
    from .schema import SLUG_RE, coerce  # (here: a warm command reads no note, and needs no schema)

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
            cadence_line=fm.locs.get(("cadence",), (1, 1))[0], snooze=values.get("snooze"), **common,
        ), problems
    if kind == "org":
        return Org(
            name=values.get("name", slug), what=values.get("what"), website=values.get("website"),
            tags=values.get("tags", ()), private=values.get("private"), **common,
        ), problems
    when = values.get("date")
    # Without a date or people a conversation has no place in time or in a thread: it is
    # built "unplaced", so its other fields are still checked, but it joins no query and
    # counts as unreadable for the site (nothing of it leaks).
    placed = when is not None and "with" in values
    if when is None:
        when = dt.date.min
    day = when.date() if isinstance(when, dt.datetime) else when
    time = when if isinstance(when, dt.datetime) else None
    # Format v1.1: inside a note, `me` is its author. A note naming its author has every
    # `me` resolved here (from the file alone, so the cache holds it); a `me` left in a
    # record is the notebook's own person (`Notebook.canon`).
    author = values.get("recorded_by")
    if author == "me":
        author = None
    uses: list[int] = []

    def me(value: str | None, at: tuple[Any, ...], default: bool = False) -> str | None:
        if value == "me" or (default and value is None):
            uses.append(fm.locs.get(at, (1, 1))[0])
            return author or "me"
        return value

    with_ = values.get("with", ())
    if "me" in with_:
        with_ = tuple(me(s, ("with",)) or s for s in with_)
    nxt = values.get("next")
    next_turn = None
    if nxt and "turn" in nxt:
        line, column = fm.locs.get(("next",), (1, 1))
        next_turn = NextTurn(me(nxt["turn"], ("next", "turn")) or "me", nxt.get("by"), nxt.get("about"),
                             line, nxt.get("snooze"), column)
    commitments = tuple(
        Commitment(
            what=c["what"], owner=me(c.get("owner"), ("commitments", i), True) or "me",
            to=me(c.get("to"), ("commitments", i, "to")), due=c.get("due"), done=c.get("done"),
            id=c.get("id"), path=rel, index=i, line=fm.locs.get(("commitments", i), (1, 1))[0],
            snooze=c.get("snooze"), every=c.get("every"), last_done=c.get("last_done"), warn=c.get("warn"),
        )
        for i, c in values.get("commitments", ()) if "what" in c
    )
    referrals = tuple(
        Referral(
            recommends=me(r["recommends"], ("referrals", i, "recommends")) or r["recommends"],
            topics=tuple(t for t in r["for"] if t.strip()),
            by=me(r.get("by"), ("referrals", i, "by")) or (with_[0] if len(with_) == 1 else None),
            to=me(r.get("to"), ("referrals", i), True) or "me",
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
        me_line=min(uses, default=0),
        sort_key=(day.toordinal(), time.hour * 3600 + time.minute * 60 + time.second if time else 0, rel),
        **common,
    ), problems


def with_author(conv: Conversation, author: str) -> Conversation:
    """``conv`` recorded by ``author``, every ``me`` in it resolved to them (format v1.1)."""
    def me(slug: str | None) -> str | None:
        return author if slug == "me" else slug

    nxt = conv.next
    return conv._replace(
        recorded_by=author, with_=tuple(me(s) or s for s in conv.with_),
        next=nxt._replace(turn=me(nxt.turn) or author) if nxt else None,
        commitments=tuple(c._replace(owner=me(c.owner) or author, to=me(c.to)) for c in conv.commitments),
        referrals=tuple(r._replace(recommends=me(r.recommends) or author, by=me(r.by), to=me(r.to) or author)
                        for r in conv.referrals))


def read_file(root: Path, rel: str) -> tuple[Note | None, list[Diagnostic]]:
    """Read and check one note file; an unexpected failure becomes one ``internal-error``.

    The file is read under :func:`.fsutil.read_notebook_file`'s policy (a regular file
    inside the notebook, at most :data:`.fsutil.NOTE_LIMIT` bytes); a refusal is one
    diagnostic at ``PATH:1:1``. While it runs, :data:`.diagnostics.CURRENT_FILE` names
    the file, so a crash that escapes anyway is reported against it; afterwards nothing is.
    """
    CURRENT_FILE["path"] = rel
    try:
        return _read_file(root, rel)
    finally:
        CURRENT_FILE.pop("path", None)


def _read_file(root: Path, rel: str) -> tuple[Note | None, list[Diagnostic]]:
    try:
        raw = fsutil.read_notebook_file(fsutil.real_root(str(root)), os.path.join(root, rel.removeprefix(OVERLAY)),
                                        fsutil.NOTE_LIMIT, "note")
    except fsutil.Refused as refused:
        return None, [Diagnostic(rel, 1, 1, refused.code, refused.message)]
    try:
        return build_record(rel, read_note(raw, rel), _shared(str(root)))
    except Exception as exc:  # a bug in a check must not hide the rest of the notebook
        return None, [Diagnostic(rel, 1, 1, "internal-error",
                                 f"internal error while reading this note ({type(exc).__name__}: {exc}); "
                                 "please report it")]


def read_note_text(root: Path, rel: str) -> str | None:
    """A note's whole text as the loader decodes it (BOM dropped, CRLF as LF); None when unreadable."""
    try:
        raw = fsutil.read_notebook_file(fsutil.real_root(str(root)), os.path.join(root, rel), fsutil.NOTE_LIMIT, "note")
    except fsutil.Refused:
        return None
    text, _problem = decode(raw, rel)
    return text


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
        raw = fsutil.read_notebook_file(fsutil.real_root(str(root)), os.path.join(root, rel), fsutil.NOTE_LIMIT, "note")
    except fsutil.Refused:
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


Progress = Callable[[int, int], None]  # (files done, files in all)
Result = tuple[Note | None, list[Diagnostic]]  # one file's record (None when it has none) and problems


def _read_serial(root: Path, rels: list[str], progress: Progress | None) -> dict[str, Result]:
    out = {}
    for i, rel in enumerate(rels):
        out[rel] = read_file(root, rel)
        if progress is not None and i % 200 == 199:
            progress(i + 1, len(rels))
    return out


class ReadResults(dict[str, Result]):
    """What :func:`read_many` read: ``{rel: (record, problems)}``; ``packed`` holds the batches
    read in processes, each as ``(CRC-32, pickle of {rel: (file key, result)}, their paths)``
    (the workers' as they sent them, this process's pickled while the workers still read), so
    the cache writes them as they are instead of pickling every record after the reading."""

    packed: list[tuple[int, bytes, list[str]]]


def batch_size(files: int) -> int:
    """How many notes each process takes at a time when several read (see :func:`read_many`):
    small enough that the last one costs little waiting, large enough that each piece sent
    back pickles well and makes a good chunk of the cache (:data:`.cache.records.CHUNK`)."""
    return max(64, min(256, files // 80))


def read_many(root: Path, rels: list[str], progress: Progress | None = None,
              keys: Mapping[str, FileKey] | None = None) -> dict[str, Result]:
    """Read many files; on a multi-core POSIX machine a large batch is shared with forked workers.

    The notes are cut into batches (:func:`batch_size`) handed out one at a time from a pipe
    of batch numbers that this process and every worker read from, so each takes the next
    batch when done with the last: a worker slowed by other load reads fewer, and nobody waits
    for a fixed share. A worker sends each batch back as soon as it is read, one pickle of
    ``{rel: (keys[rel], result)}`` (the cache's own entries, see :class:`ReadResults`), and
    this process takes in what has arrived between its own batches. Whatever a worker did not
    send (it died) is read here; when no process can be had, everything is read here.
    ``progress(done, total)`` is called now and then.
    """
    workers = read_jobs()
    if len(rels) < PARALLEL_MIN or workers < 2 or not hasattr(os, "fork"):
        return _read_serial(root, rels, progress)
    try:
        return _read_forked(root, rels, progress, keys, workers - 1)
    except OSError:  # no pipe or no process to be had: read them here
        return _read_serial(root, rels, progress)


_FRAME = 12  # a worker's frame: 8 bytes of length, 4 of CRC-32, then the pickle
MAX_BATCHES = 8_192  # batch numbers of 4 bytes: half of the smallest pipe Linux makes (64 KiB)


def _read_forked(root: Path, rels: list[str], progress: Progress | None, keys: Mapping[str, FileKey] | None,
                 count: int) -> ReadResults:
    import pickle
    from binascii import crc32

    size = max(batch_size(len(rels)), -(-len(rels) // MAX_BATCHES))
    batches = -(-len(rels) // size)
    token_r, token_w = os.pipe()
    outs: list[int] = []
    pids: list[int] = []
    finished = False
    try:
        # every batch number written before any process takes one: at most 32 KiB, so the pipe
        # (64 KiB) holds them all; were it smaller, the write fails (read in one process), never waits
        os.set_blocking(token_w, False)
        tokens = b"".join(i.to_bytes(4, "little") for i in range(batches))
        while tokens:
            tokens = tokens[os.write(token_w, tokens):]
        os.close(token_w)
        token_w = -1
        for _ in range(count):
            out_r, out_w = os.pipe()
            _roomy(out_w)
            try:
                pid = os.fork()
            except OSError:
                os.close(out_r)
                os.close(out_w)
                if pids:
                    break  # fewer workers than hoped
                raise
            if pid == 0:  # the worker: never returns
                _work(root, rels, keys, size, token_r, out_w)
            pids.append(pid)
            outs.append(out_r)
            os.close(out_w)
            os.set_blocking(out_r, False)
        results = ReadResults()
        results.packed = []
        pending = {fd: bytearray() for fd in outs}

        def take(final: bool) -> None:
            """Every whole piece the workers sent so far (``final``: until each closes its pipe)."""
            for fd in list(pending):
                buffer = pending[fd]
                if final:
                    os.set_blocking(fd, True)
                while True:
                    try:
                        data = os.read(fd, 1 << 20)
                    except BlockingIOError:
                        break
                    if not data:
                        del pending[fd]  # the worker is done (or dead): what it sent is all there is
                        break
                    buffer += data
                    at = 0
                    while len(buffer) - at >= _FRAME:
                        length = int.from_bytes(buffer[at:at + 8], "little")
                        if len(buffer) - at - _FRAME < length:
                            break
                        checksum = int.from_bytes(buffer[at + 8:at + _FRAME], "little")
                        blob = bytes(buffer[at + _FRAME:at + _FRAME + length])
                        at += _FRAME + length
                        entries = pickle.loads(blob)
                        for rel, entry in entries.items():
                            results[rel] = entry[1]
                        results.packed.append((checksum, blob, list(entries)))
                    del buffer[:at]

        while True:
            take(False)
            token = os.read(token_r, 4)
            if len(token) < 4:
                break  # every batch is taken
            first = int.from_bytes(token, "little") * size
            if keys is None:
                for rel in rels[first:first + size]:
                    results[rel] = read_file(root, rel)
            else:  # pickled for the cache now, while the workers still read: they take more batches meanwhile
                entries = {rel: (keys[rel], read_file(root, rel)) for rel in rels[first:first + size]}
                blob = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
                results.packed.append((crc32(blob), blob, list(entries)))
                for rel, entry in entries.items():
                    results[rel] = entry[1]
            if progress is not None:
                progress(len(results), len(rels))
        take(True)
        finished = True
    finally:
        for fd in (token_r, token_w, *outs):
            if fd >= 0:
                os.close(fd)
        for pid in pids:
            _reap(pid, finished)
    missing = [rel for rel in rels if rel not in results]
    if missing:  # a worker died with batches it had taken: read them here
        results.update(_read_serial(root, missing, None))
    if keys is None:
        results.packed = []
    if progress is not None:
        progress(len(rels), len(rels))
    return results


def _reap(pid: int, finished: bool) -> None:
    """Wait for a worker to exit; when the reading was cut short (an exception here), end it first."""
    try:
        if not finished and os.waitpid(pid, os.WNOHANG) != (0, 0):
            return  # it had exited, and is now reaped
        if not finished:
            os.kill(pid, 9)  # SIGKILL: it holds nothing that needs tidying
        os.waitpid(pid, 0)
    except OSError:  # pragma: no cover - reaped by someone else (SIGCHLD ignored)
        pass


def _roomy(fd: int) -> None:
    """A pipe that holds a few batches (1 MiB where Linux allows), so a worker rarely waits to send."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ImportError):  # pragma: no cover - only slower
        pass


def _work(root: Path, rels: list[str], keys: Mapping[str, FileKey] | None, size: int, tokens: int,
          out: int) -> None:
    """A forked worker: read the batches it takes from ``tokens`` and send each back on ``out``
    (see :func:`read_many`); then leave at once, running nothing the parent set up."""
    import pickle
    from binascii import crc32

    code = 1
    try:
        while True:
            token = os.read(tokens, 4)
            if len(token) < 4:
                break
            first = int.from_bytes(token, "little") * size
            entries = {rel: (keys[rel] if keys is not None else None, read_file(root, rel))
                       for rel in rels[first:first + size]}
            blob = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
            frame = memoryview(len(blob).to_bytes(8, "little") + crc32(blob).to_bytes(4, "little") + blob)
            while frame:
                frame = frame[os.write(out, frame):]
        code = 0
    except BaseException:  # noqa: BLE001 - whatever it was, the parent reads what was not sent
        pass
    finally:
        os._exit(code)


def read_files(root: Path, files: dict[str, FileKey], use_cache: bool = True,
               progress: Progress | None = None) -> dict[str, Result]:
    """Read every file, through the cache where it is fresh."""
    from .cache.records import cached_read

    if not use_cache:
        return read_many(root, list(files), progress)
    return cached_read(root, files, lambda root, rels: read_many(root, rels, progress, files))


_SORT_KEY = operator.attrgetter("sort_key")


def load_notebook(
    root: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    use_cache: bool = True,
    check: bool = True,
    progress: Progress | None = None,
    reader: str | None = None,
    overlay: bool = False,
) -> Notebook:
    """Read a whole notebook into records, with every problem found as a diagnostic.

    ``check=False`` skips the checks across notes (references, unique ids), for
    commands that only query: each file's own problems are still reported.
    ``reader`` (``--me``; else ``CONVO_ME`` or the user's config, :func:`reader_of`) is whose
    view it is. ``overlay=True`` also reads the reader's personal notes (``overlay`` in the
    user's config), with paths ``overlay:notes/...``; the site and exports never ask for them.
    """
    root = Path(root)
    config, diagnostics = load_config(root, env)
    files, skipped = scan_notes(root)
    extra = scan_overlay(overlay_of(root, env), root) if overlay else None
    return load_scanned(root, files, config, diagnostics + skipped,
                        use_cache=use_cache, check=check, progress=progress,
                        reader=reader_of(root, env, reader), overlay=extra)
Overlay = tuple[Path, dict[str, FileKey]]  # the overlay's folder and its notes (paths prefixed `overlay:`)


def scan_overlay(folder: Path | None, root: Path | None = None) -> Overlay | None:
    """The notes of a personal overlay (a folder laid out like a notebook: ``FOLDER/notes/**``),
    with paths prefixed ``overlay:``; None when there is no overlay or no such folder, and when
    it lies inside the notebook ``root`` (its notes would be the team's: it is ignored)."""
    if folder is None or not (folder / NOTES_DIR).is_dir():
        return None
    if root is not None:
        inside, base = folder.resolve(), Path(root).resolve()
        if inside == base or base in inside.parents:
            return None
    return folder, {OVERLAY + rel: key for rel, key in scan_note_files(folder).items()}


def load_scanned(
    root: Path,
    keyed: dict[str, FileKey],
    config: Config,
    config_problems: list[Diagnostic],
    *,
    use_cache: bool = True,
    check: bool = True,
    progress: Progress | None = None,
    reader: str | None = None,
    overlay: Overlay | None = None,
) -> Notebook:
    """:func:`load_notebook` from a configuration and a scan already made (see :mod:`.cache.views`).

    ``keyed`` is :func:`scan_notes`'s files and ``config, config_problems``
    :func:`load_config`'s problems followed by the scan's skipped entries; the notebook is
    exactly the one :func:`load_notebook` returns.
    """
    with paused_gc():  # records are acyclic: collecting while tens of thousands pile up only costs time
        nb = _assemble(root, keyed, config, config_problems, use_cache, check, progress, reader, overlay)
    return nb


def _assemble(root: Path, keyed: dict[str, FileKey], config: Config, config_problems: list[Diagnostic],
              use_cache: bool, check: bool, progress: Progress | None, reader: str | None = None,
              overlay: Overlay | None = None) -> Notebook:
    files = list(keyed)
    results = dict(read_files(root, keyed, use_cache, progress))
    if overlay is not None:
        files += list(overlay[1])
        personal = read_files(overlay[0], overlay[1], use_cache)
        author = reader or config.me
        for rel, (note, problems) in personal.items():
            if isinstance(note, Conversation) and author and note.recorded_by in (None, "me"):
                note = with_author(note, author)  # the reader's own notes: their `me` is the reader
            results[rel] = (note, problems)
    return assemble(root, files, results, config, config_problems, check=check, reader=reader,
                    overlay=overlay[0] if overlay else None)


def assemble(root: Path, files: list[str], results: Mapping[str, tuple[Note | None, list[Diagnostic]]],
             config: Config, config_problems: list[Diagnostic], *, check: bool = True, reader: str | None = None,
             overlay: Path | None = None) -> Notebook:
    """The notebook from each file's record and problems (what :func:`read_files` returns).

    The language server calls this with an open buffer's record in place of its file's,
    so the editor and ``validate`` see one notebook built one way.
    """
    diagnostics = list(config_problems)
    people: dict[str, Person] = {}
    orgs: dict[str, Org] = {}
    conversations: list[Conversation] = []
    incomplete: list[Conversation] = []
    # a note the scan left out (a symlink out of the notebook, a FIFO...) is unreadable: never published
    unreadable: set[str] = {d.path for d in config_problems if d.code in SKIP_CODES and d.path.endswith(".md")}
    for rel in files:
        note, problems = results[rel]
        diagnostics.extend(problems)
        if is_unreadable(note, problems):
            unreadable.add(rel)  # fails closed: private for the site
        if note is None:
            continue
        if isinstance(note, Person):
            people.setdefault(note.slug, note)  # the team's file wins over a personal one
        elif isinstance(note, Org):
            orgs.setdefault(note.slug, note)
        elif note.placed:
            conversations.append(note)
        else:
            incomplete.append(note)
    conversations.sort(key=_SORT_KEY)
    notebook = Notebook(root, config, people, orgs, conversations, diagnostics, unreadable, files,
                        reader=reader, overlay=overlay)
    notebook.incomplete = incomplete
    if check:
        from . import checks  # only `validate`, `show` and edits check across notes

        notebook.diagnostics.extend(checks.run_checks(notebook))
    notebook.diagnostics.sort(key=Diagnostic.sort_key)
    return notebook
