"""Which notes a notebook holds: finding the notebook, and the walk of ``notes/`` that
every command starts with, made ahead of time when it can be.

:func:`scan` lists every ``.md`` file under ``notes/`` with the size, times and inode
the caches key on (:class:`NoteScan`). A warm command spends as long on this walk (one
``stat`` per note: 0.04 s at ten thousand notes) as on importing the command line, and
the two do not depend on each other. So ``convo`` starts the walk first
(:func:`prefetch`, from :mod:`.launch`): a forked process finds the notebook and walks
it while this one imports the command line and parses the arguments; it hands the
result over through a pipe. The first :func:`scan` of that same notebook takes it.

The prefetch only ever saves time; the answer is the one a walk made then would give:

- it runs only for the commands in :data:`READ_FIRST`, which read the notebook before
  they write anything, so no note this process writes can be missing from it;
- the notebook it walked is the one found from the same ``-C``/``CONVO_NOTEBOOK`` by the
  same :func:`find_root`, and a :func:`scan` of any other folder walks that folder itself;
- a result older than :data:`MAX_AGE` is not used (a command that waited on something
  walks again), and one that cannot be read is not either;
- with one CPU to run on (``taskset``, ``CONVO_JOBS=1``) there is no prefetch: a second
  process would only take turns with the first.

This module imports only what the walk needs (``os``, ``stat``), so the forked process
starts walking at once; what it rarely needs (symlinks, names that are not UTF-8) is
imported when it does.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time
from array import array
from itertools import chain
from operator import itemgetter

from .errors import NotebookNotFound

TYPE_CHECKING = False  # (not `typing`'s: importing it would cost the walk 10 ms before it starts)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX (and no fork: no prefetch)
    fcntl = None  # type: ignore[assignment]
try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without the module
    from hashlib import blake2b

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Callable, Mapping, Sequence

    from .diagnostics import Diagnostic

CONFIG_FILE = "convo.yml"
NOTES_DIR = "notes"

FileKey = tuple[int, int, int, int]  # size, modification time (ns), status-change time (ns), inode
Skip = tuple[str, str, str]  # an entry the walk left out: its path, the diagnostic's code and message

SKIP_CODES = frozenset({"dangling-symlink", "symlink-loop", "symlink-outside", "not-a-file", "unreadable",
                        "bad-file-name"})  # the codes of entries the walk leaves out

_FIRST = itemgetter(0)
_Q_MIN, _Q_MAX = -(1 << 63), (1 << 63) - 1


def find_root(start: Path | None = None, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The notebook root: ``explicit`` (``-C``/``CONVO_NOTEBOOK``), else the first
    directory from ``start`` upward holding ``convo.yml`` or ``notes/``."""
    from pathlib import Path

    return Path(_root_path(None if start is None else os.fspath(start), explicit))


def _root_path(start: str | None, explicit: str | os.PathLike[str] | None) -> str:
    """:func:`find_root` as a string (what the prefetch needs: no :mod:`pathlib`)."""
    if explicit:
        root = os.path.realpath(os.path.expanduser(os.fspath(explicit)))
        if not _holds_notebook(root):
            raise NotebookNotFound(f"{root} is not a notebook (no {CONFIG_FILE} and no {NOTES_DIR}/ there)")
        return root
    here = candidate = os.path.realpath(start or os.getcwd())
    while True:
        if _holds_notebook(candidate):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            break
        candidate = parent
    raise NotebookNotFound(
        f"no notebook found in {here} or above it (looked for {CONFIG_FILE} or {NOTES_DIR}/); "
        "use -C DIR or start one with `convo init DIR`"
    )


def _holds_notebook(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, CONFIG_FILE)) or os.path.isdir(os.path.join(folder, NOTES_DIR))


def note_kind(rel: str) -> str:
    """``person``, ``org`` or ``conversation``, from the file's place under ``notes/``."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[1] == "people":
        return "person"
    if len(parts) == 3 and parts[1] == "orgs":
        return "org"
    return "conversation"


def read_jobs(env: Mapping[str, str] | None = None) -> int:
    """How many processes read a large batch of notes: ``CONVO_JOBS`` when it is a positive
    number (``CONVO_JOBS=1``: one process), else the CPUs this process may run on (its
    affinity, so ``taskset -c 0`` means one), at most 4."""
    value = (os.environ if env is None else env).get("CONVO_JOBS", "").strip()
    if value.isdigit() and int(value) > 0:
        return min(int(value), 64)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def real_root(root: str) -> str:
    """The notebook root's real path (symlinks resolved), as the containment checks compare it."""
    found = _REAL_ROOTS.get(root)
    if found is None:
        if len(_REAL_ROOTS) >= 64:
            _REAL_ROOTS.clear()
        found = _REAL_ROOTS[root] = os.path.realpath(root)
    return found


_REAL_ROOTS: dict[str, str] = {}


def is_inside(real: str, root_real: str) -> bool:
    """True when the real path ``real`` is ``root_real`` or lies under it."""
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


class NoteScan:
    """One walk of ``notes/``: every note's path (sorted) and file key, and the entries left out.

    The keys are kept as a ``dict`` (:attr:`files`) or as one array of four numbers a note
    (:meth:`numbers`, what the snapshots' keys are made of), whichever the scan made; the
    other is made from it when asked.
    """

    __slots__ = ("started_ns", "ahead", "_rels", "_joined", "_skips", "_files", "_numbers", "_wide", "_paths")

    def __init__(self, rels: list[str] | None, skips: list[Skip], started_ns: int, *,
                 files: dict[str, FileKey] | None = None, numbers: array[int] | None = None,
                 joined: bytes | None = None, paths: bytes | None = None) -> None:
        self.started_ns = started_ns  # just before the walk: a note modified after it may change unseen
        self.ahead = False  # made by the walk started ahead (:func:`prefetch`)
        self._rels = rels
        self._joined = joined  # the paths joined by NULs, UTF-8 (when `rels` is None: made from it)
        self._skips = skips
        self._files = files
        self._numbers = numbers
        self._wide = False  # some key holds a number past 64 bits (see numbers)
        self._paths = paths

    @property
    def rels(self) -> list[str]:
        """Every note's path, in order."""
        if self._rels is None:
            joined = self.joined()
            self._rels = joined.decode("utf-8", "surrogateescape").split("\0") if joined else []
        return self._rels

    def joined(self) -> bytes:
        """Every note's path, joined by NULs (no path holds one), UTF-8."""
        if self._joined is None:
            self._joined = "\0".join(self.rels).encode("utf-8", "surrogateescape")
        return self._joined

    @property
    def files(self) -> dict[str, FileKey]:
        """Every note's path and key, in path order."""
        if self._files is None:
            assert self._numbers is not None
            values = iter(self._numbers.tolist())
            self._files = dict(zip(self.rels, zip(values, values, values, values)))
        return self._files

    @property
    def skipped(self) -> list[Diagnostic]:
        """A diagnostic (``PATH:1:1``) for every entry the walk left out, sorted."""
        from .diagnostics import Diagnostic

        return sorted((Diagnostic(rel, 1, 1, code, message) for rel, code, message in self._skips),
                      key=Diagnostic.sort_key)

    def paths(self) -> bytes:
        """A digest of every note's path, in order (made once)."""
        if self._paths is None:
            self._paths = blake2b(self.joined(), digest_size=20).digest()
        return self._paths

    def numbers(self) -> array[int]:
        """Every note's key, four numbers each, in path order (made once). A number past
        what 64 bits hold (a time after 2262, an inode from some network file systems) stands as
        a 64-bit digest of itself: still a different number whenever the file changes."""
        if self._numbers is None:
            files = self.files
            try:  # (from a list: twice as fast as from the iterator)
                self._numbers = array("q", list(chain.from_iterable(files.values())))
            except OverflowError:
                self._wide = True
                self._numbers = array("q", (v if _Q_MIN <= v <= _Q_MAX else _digest64(v)
                                            for file_key in files.values() for v in file_key))
        return self._numbers

    @property
    def wide(self) -> bool:
        """True when some number of a key is past 64 bits (:meth:`numbers` holds digests)."""
        self.numbers()
        return self._wide

    def pack(self) -> tuple[Any, ...]:
        """This scan as plain values (:func:`marshal`-able) for :meth:`unpack`."""
        numbers = self.numbers()
        return (self.joined(), len(self.files), self._skips, self.started_ns, self.paths(),
                dict(self.files) if self._wide else None, None if self._wide else numbers.tobytes())

    @classmethod
    def unpack(cls, packed: tuple[object, ...]) -> NoteScan:
        joined, count, skips, started_ns, paths, files, raw = packed
        if not (isinstance(joined, bytes) and isinstance(count, int) and isinstance(skips, list)
                and isinstance(started_ns, int) and isinstance(paths, bytes)):
            raise ValueError("not a packed scan")
        if isinstance(raw, bytes):
            numbers = array("q")
            numbers.frombytes(raw)
            if len(numbers) != 4 * count:
                raise ValueError("not a packed scan")
            found = cls(None, skips, started_ns, numbers=numbers, joined=joined, paths=paths)
        elif isinstance(files, dict) and len(files) == count:
            found = cls(list(files), skips, started_ns, files=files, joined=joined, paths=paths)
        else:
            raise ValueError("not a packed scan")
        found.ahead = True
        return found


def _digest64(value: int) -> int:
    return int.from_bytes(blake2b(str(value).encode(), digest_size=8).digest(), "little", signed=True)


def scan(root: Path | str, meanwhile: Sequence[Callable[[], object]] = ()) -> NoteScan:
    """Every ``.md`` file under ``notes/`` (hidden files and folders skipped), relative and
    sorted, with the size, mtime, ctime and inode the cache keys on, from one ``listdir`` a folder
    and one ``lstat`` an entry; and every entry left out.

    Only regular files whose real path lies inside the notebook root are kept: a
    dangling symlink, a symlink leading out of the notebook, a FIFO, device or socket
    named ``*.md``, a folder that cannot be listed, a symlinked folder already walked
    (a loop) and a name that is not UTF-8 are each reported (``PATH:1:1``) and skipped.
    Symlinked folders are walked after every plain folder, so a link to a folder
    that is also reachable directly is the one reported.

    This runs on every command, warm or not, so it is kept lean: one ``listdir`` per
    folder and one ``lstat`` per entry; only symlinks cost a ``realpath``. The walk
    :func:`prefetch` made of this notebook, when there is one, is taken instead. ``meanwhile``
    is work this process may do while it waits for that walk, in steps: each step runs only
    if the walk is not finished yet, so the walk waits at most for the step under way.
    """
    root = os.fspath(root)
    return _take(root, meanwhile) or _Walk(root).run()


def scan_notes(root: Path | str) -> tuple[dict[str, FileKey], list[Diagnostic]]:
    """:func:`scan`'s notes and the diagnostics of the entries it left out."""
    found = scan(root)
    return found.files, found.skipped


def scan_note_files(root: Path | str) -> dict[str, FileKey]:
    """Every note file under ``notes/`` (see :func:`scan`), without the skipped entries."""
    return scan(root).files


class _Walk:
    """One walk of :func:`scan`: the notes found, the entries left out, the folders to go."""

    def __init__(self, root: str) -> None:
        self.started_ns = time.time_ns()
        self.found: list[tuple[str, FileKey]] = []
        self.skips: list[Skip] = []
        self.root_real = real_root(root)
        self.top = os.path.join(root, NOTES_DIR)
        self.stack: list[tuple[str, str, str]] = []  # folders to walk: path, notebook-relative prefix, real path
        self.linked: list[tuple[str, str, str]] = []  # symlinked folders, walked once the plain ones are
        self.visited: set[str] = set()
        self.listed: tuple[str, dict[str, os.DirEntry[str]]] = ("", {})  # see unstated

    def skip(self, rel: str, code: str, message: str) -> None:
        self.skips.append((rel, code, message))

    def run(self) -> NoteScan:
        top = self.top
        top_real = os.path.realpath(top) if os.path.islink(top) else os.path.join(self.root_real, NOTES_DIR)
        if not is_inside(top_real, self.root_real):
            self.skip(NOTES_DIR + "/", "symlink-outside", "symlink to a place outside the notebook; not read")
            return NoteScan([], self.skips, self.started_ns, files={})
        self.visited.add(top_real)
        stack, linked = self.stack, self.linked
        stack.append((top, NOTES_DIR + "/", top_real))
        while stack or linked:
            if not stack:
                path, rel, real = linked.pop(0)
                if real in self.visited or is_inside(top_real, real):
                    self.skip(rel.rstrip("/"), "symlink-loop", "symlink to a folder that is already read "
                              "(a loop or a second way in); not followed")
                    continue
                self.visited.add(real)
                stack.append((path, rel, real))
            self.folder(*stack.pop())
        self.found.sort(key=_FIRST)  # paths are unique: comparing them alone is faster than comparing tuples
        files = dict(self.found)
        return NoteScan(list(files), self.skips, self.started_ns, files=files)

    def folder(self, folder: str, prefix: str, folder_real: str) -> None:
        """One folder: its notes added, its folders stacked, what it cannot read skipped."""
        try:
            # listed through a descriptor: each note is then stat'ed by its name in the folder,
            # not by a path the kernel walks from the root again (a sixth less time a note)
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            if folder != self.top:
                self.skip(prefix.rstrip("/"), "unreadable", "folder vanished while it was read")
            return
        except OSError as exc:
            self.skip(prefix.rstrip("/"), "unreadable", f"cannot list this folder: {exc.strerror or exc}")
            return
        try:
            self.entries(fd, folder, prefix, folder_real)
        except OSError as exc:
            self.skip(prefix.rstrip("/"), "unreadable", f"cannot list this folder: {exc.strerror or exc}")
        finally:
            os.close(fd)

    def entries(self, fd: int, folder: str, prefix: str, folder_real: str) -> None:
        """The entries of one folder (open as ``fd``), each ``lstat``'ed by its name in it.

        (``listdir`` and one ``lstat`` an entry cost a fifth less than ``scandir``'s entries;
        each folder's names are sorted here, so the whole list is then sorted in a few runs.)
        """
        S_ISREG = stat.S_ISREG  # noqa: N806 - locals for the hot loop
        lstat, add = os.stat, self.found.append
        names = os.listdir(fd)
        names.sort()
        for name in names:
            if name[0] == ".":
                continue
            try:
                st = lstat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                self.unstated(fd, folder, prefix, folder_real, name, exc)
                continue
            mode = st.st_mode
            if S_ISREG(mode) and name.endswith(".md") and name.isascii():  # the common case first: a note
                add((prefix + name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
            else:
                self.other(folder, prefix, folder_real, name, st)

    def unstated(self, fd: int, folder: str, prefix: str, folder_real: str, name: str, exc: OSError) -> None:
        """An entry listed whose ``lstat`` failed, told as the listing's type of it tells: a note
        that cannot be read, a folder that cannot be listed, or nothing the walk reads."""
        if not is_clean_name(name):
            self.bad_name(folder, prefix, name, name.endswith(".md"))
        elif isinstance(exc, FileNotFoundError):  # gone meanwhile: only a note is missed
            if name.endswith(".md"):
                self.skip(prefix + name, "unreadable", "cannot read: the file vanished while it was read")
        else:  # (a folder that can be listed but not searched: `stat` is refused, the listing is not)
            if self.listed[0] != folder:  # the listing's entries, once a folder
                try:
                    self.listed = (folder, {e.name: e for e in os.scandir(fd)})
                except OSError:
                    self.listed = (folder, {})
            entry = self.listed[1].get(name)
            try:
                is_dir = entry is not None and entry.is_dir(follow_symlinks=False)
                is_link = entry is not None and entry.is_symlink()
            except OSError:
                is_dir = is_link = False
            if is_link:
                self.symlink(folder, prefix, name)
            elif is_dir:  # walked, so that its listing is refused as a folder's
                self.stack.append((folder + os.sep + name, prefix + name + "/", folder_real + os.sep + name))
            elif name.endswith(".md"):
                self.skip(prefix + name, "unreadable", f"cannot read: {exc.strerror or exc}")

    def bad_name(self, folder: str, prefix: str, name: str, reported: bool) -> None:
        """A name that is not UTF-8: reported when it is a note's or a folder's (``reported``: known)."""
        if reported or os.path.isdir(folder + os.sep + name):
            self.skip(prefix + display_name(name), "bad-file-name", "file name is not valid UTF-8; not read")

    def other(self, folder: str, prefix: str, folder_real: str, name: str, st: os.stat_result) -> None:
        """An entry that is not a plain note with an ASCII name: a folder, a symlink, a note with
        another name, something else called ``*.md``, or nothing the walk reads."""
        mode = st.st_mode
        if not is_clean_name(name):
            self.bad_name(folder, prefix, name, name.endswith(".md") or stat.S_ISDIR(mode))
        elif stat.S_ISLNK(mode):
            self.symlink(folder, prefix, name)
        elif stat.S_ISDIR(mode):
            real = folder_real + os.sep + name
            self.visited.add(real)
            self.stack.append((folder + os.sep + name, prefix + name + "/", real))
        elif not name.endswith(".md"):
            return  # not a note; an attachment is checked when a note links to it
        elif stat.S_ISREG(mode):
            self.found.append((prefix + name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
        else:
            from .fsutil import kind_of

            self.skip(prefix + name, "not-a-file", f"{kind_of(st.st_mode)}, not a regular file; never opened")

    def symlink(self, folder: str, prefix: str, name: str) -> None:
        """A symlink in a folder: walked later (a folder), kept (a note) or skipped."""
        from . import fsutil

        path = folder + os.sep + name  # (the listing's own paths are relative to its descriptor)
        if not name.endswith(".md") and not os.path.isdir(path):
            return  # not a note; an attachment is checked when a note links to it
        try:
            real, st = fsutil.symlink_verdict(path, self.root_real)
        except fsutil.Refused as refused:
            self.skip(prefix + name, refused.code, refused.message)
            return
        if stat.S_ISDIR(st.st_mode):
            self.linked.append((path, prefix + name + "/", real))
        elif not name.endswith(".md"):
            return
        elif stat.S_ISREG(st.st_mode):
            self.found.append((prefix + name, (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)))
        else:
            self.skip(prefix + name, "not-a-file", f"symlink to {fsutil.kind_of(st.st_mode)}; never opened")


def is_clean_name(name: str) -> bool:
    """True when ``name`` came from valid UTF-8 bytes (``os.listdir`` keeps others as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(name: str) -> str:
    """A file name as text that can always be printed: undecodable bytes become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# --- the walk made ahead of time ------------------------------------------------------------------

# The commands that read the notebook before they write anything (all of these write nothing
# to it at all): the only ones a walk made at the start can serve.
READ_FIRST = frozenset({"due", "threads", "brief", "referrals", "validate", "show", "search", "people",
                        "orgs", "prep"})
MAX_AGE = 1.0  # seconds from the start: a walk older than this when the command asks is not used
# The options `convo` takes before the command (see cli.cli): those taking a value, and flags.
_GLOBAL_VALUED = frozenset({"-C", "--notebook", "--today", "--me"})
_GLOBAL_FLAGS = frozenset({"--no-pager"})


class _Pending:
    __slots__ = ("pid", "fd", "started")

    def __init__(self, pid: int, fd: int, started: float) -> None:
        self.pid, self.fd, self.started = pid, fd, started


_pending: _Pending | None = None


def command_of(argv: list[str]) -> tuple[str | None, str | None]:
    """The command ``argv`` runs and the ``-C``/``--notebook`` it gives, read as ``convo``'s
    options are (None: no command, or an option this does not know)."""
    notebook = None
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in _GLOBAL_VALUED and name.startswith("--"):
            if not eq:
                value = next(args, "")
        elif arg.startswith("-C"):
            name, value = "-C", arg[2:] or next(args, "")
        elif arg in _GLOBAL_FLAGS:
            continue
        elif arg.startswith("-"):
            return None, None
        else:
            return arg, notebook
        if name in ("-C", "--notebook"):
            notebook = value
    return None, notebook


def prefetch(argv: list[str], env: Mapping[str, str] | None = None) -> None:
    """Start walking the notebook ``argv`` reads in a forked process, when its command is one of
    :data:`READ_FIRST` and a second CPU can take the walk (see the module's notes)."""
    global _pending
    env = os.environ if env is None else env
    command, notebook = command_of(argv)
    if _pending is not None or command not in READ_FIRST or not hasattr(os, "fork") or read_jobs(env) < 2:
        return
    explicit = notebook or env.get("CONVO_NOTEBOOK")
    started = time.monotonic()
    try:
        reading, writing = os.pipe()
    except OSError:
        return
    try:
        pid = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return
    if pid == 0:  # pragma: no cover - the forked process (its work is checked through the parent)
        _walk_for_parent(reading, writing, explicit)
    os.close(writing)
    _pending = _Pending(pid, reading, started)


def _walk_for_parent(reading: int, writing: int, explicit: str | None) -> None:  # pragma: no cover - forked
    """The forked process: find the notebook, walk it, write the result, leave (never returns)."""
    code = 1
    try:
        os.close(reading)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # nothing of the parent's output is held open (`$(convo due)` ends with it)
            os.dup2(null, fd)
        os.close(null)
        root = _root_path(None, explicit)
        data = memoryview(marshal.dumps((root, _Walk(root).run().pack())))
        try:  # one write when it fits: the process is gone before the parent asks
            fcntl.fcntl(writing, fcntl.F_SETPIPE_SZ, min(max(len(data), 65536), 1 << 20))
        except (AttributeError, OSError):
            pass
        while data:
            data = data[os.write(writing, data):]
        code = 0
    except BaseException:  # noqa: BLE001, S110 - whatever happens here, the parent walks itself
        pass
    finally:
        os._exit(code)


def _take(root: str, meanwhile: Sequence[Callable[[], object]] = ()) -> NoteScan | None:
    """The prefetched walk when it is of ``root`` and young enough; it is taken at most once
    (the steps of ``meanwhile`` run first, each while the walk has not finished)."""
    global _pending
    pending, _pending = _pending, None
    if pending is None:
        return None
    finished = False
    try:
        if time.monotonic() - pending.started > MAX_AGE:
            return None
        if meanwhile:
            import select

            for step in meanwhile:
                if select.select([pending.fd], [], [], 0)[0]:  # (the walk writes its result when it is done)
                    break
                step()
        chunks = []
        while chunk := os.read(pending.fd, 1 << 20):
            chunks.append(chunk)
        finished = True
        walked, packed = marshal.loads(b"".join(chunks))
        if walked != root:
            return None
        return NoteScan.unpack(packed)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        _end(pending, finished)


def cancel() -> None:
    """Stop a prefetch nothing took (at the end of ``convo``)."""
    global _pending
    pending, _pending = _pending, None
    if pending is not None:
        _end(pending, False)


def _end(pending: _Pending, finished: bool) -> None:
    os.close(pending.fd)
    try:
        if not finished:
            import signal

            os.kill(pending.pid, signal.SIGKILL)
        os.waitpid(pending.pid, 0)
    except (OSError, ChildProcessError):  # pragma: no cover - already reaped
        pass


if sys.platform == "win32":  # pragma: no cover - no fork there: every scan walks
    READ_FIRST = frozenset()
