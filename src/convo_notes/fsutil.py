"""Writing files safely: a note is either its old bytes or its new bytes, never half of each.

:func:`atomic_write` writes to a temporary file in the same directory,
flushes it to disk, keeps the old file's permissions (and owner, where
allowed) and then renames it over the target (``os.replace`` is atomic on
POSIX and Windows). An editor, the watcher or a crash never sees a truncated
note. Given the bytes it expects the file to hold, it re-reads the whole file
at the last moment and refuses (:class:`FileChanged`) to overwrite a file that
someone changed meanwhile. :func:`atomic_create` does the same for a new file
and never replaces one that exists.

An edit starts from :func:`read_snapshot`: the whole file read in one go, and
taken only when nothing wrote to it during the read or just before it, so a
file that an editor is saving in place (truncate, then write) is never used as
the base of an edit.

Any failure to write (a full disk, a quota, a read-only file system, a missing
permission) is :class:`WriteFailed`: one line naming the file and the reason.
The original file is untouched and the temporary file is removed.

Temporary files have one predictable name per target, ``.NAME.convo-tmp``,
locked while in use. A process killed mid-write leaves one behind; the next
write in that folder removes it (or reuses it, for the same file), so they
never pile up.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from .errors import CommandFailed, EditRefused
from .notefiles import is_inside, real_root  # noqa: F401 - the containment checks, kept with the walk

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, temp files are still cleaned
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".convo-tmp"
# Files written by older versions (``tempfile.mkstemp``): removed once they are a minute old.
_LEGACY_TEMP = re.compile(r"^\..+\.(md|yml|json|csv|ics|vcf|db)\.[A-Za-z0-9_]{8}\.tmp$")
_LEGACY_AGE_NS = 60 * 10**9
# A file modified this recently may be in the middle of a save: wait until it has been quiet this long.
SETTLE_SECONDS = 0.03
# How long :func:`read_snapshot` waits for a file that keeps changing before it gives up.
READ_PATIENCE_SECONDS = 0.5
_READ_CHUNK = 1 << 16
_cleaned_dirs: set[tuple[int, int, str]] = set()


class FileChanged(EditRefused):
    """The file on disk is no longer what the edit was computed from; nothing was written (exit 1)."""


class WriteFailed(CommandFailed):
    """A file could not be written (disk full, quota, permission, read-only...); the original is intact (exit 1).

    ``str()`` is one line: ``NAME: not written: REASON``.
    """

    def __init__(self, name: str, reason: str, code: int | None = None, detail: str = "") -> None:
        self.name, self.reason, self.errno, self.detail = name, reason, code, detail
        super().__init__(f"{name}: not written: {reason}{detail}")

    @classmethod
    def from_error(cls, name: str, exc: BaseException, detail: str = "") -> WriteFailed:
        """The failure for ``exc`` (an ``OSError``, or a ``sqlite3.Error``) while writing ``name``."""
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
        return cls(name, reason, exc.errno if isinstance(exc, OSError) else None, detail)


class Snapshot(NamedTuple):
    """The whole content of a file, and its status, read while nothing changed it."""

    data: bytes
    stat: os.stat_result


def _stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def _read_all(fd: int, limit: int) -> bytes | None:
    """Every byte up to EOF, or None once more than ``limit`` bytes came (the file is growing)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def read_snapshot(path: str | os.PathLike[str], name: str | None = None) -> Snapshot:
    """The whole file at ``path`` as it is between writes: the base every edit starts from.

    The file is read to its end; the read counts only if the file's size,
    times and inode did not change during it and it was not modified in the
    last :data:`SETTLE_SECONDS` (a save in progress). Otherwise it is read
    again, for up to :data:`READ_PATIENCE_SECONDS`, then refused with
    :class:`FileChanged`. Only regular files are read (``OSError`` otherwise,
    and for any read error).
    """
    label = name or os.fspath(path)
    deadline = time.monotonic() + READ_PATIENCE_SECONDS
    while True:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
            data = _read_all(fd, before.st_size + _READ_CHUNK)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        try:
            linked = os.stat(path)
        except FileNotFoundError:
            linked = None
        stable = (data is not None and linked is not None and len(data) == after.st_size
                  and _stamp(before) == _stamp(after) == _stamp(linked))
        age = time.time_ns() - max(after.st_mtime_ns, after.st_ctime_ns)
        if data is not None and stable and not 0 <= age < SETTLE_SECONDS * 1e9:
            return Snapshot(data, after)
        if time.monotonic() >= deadline:
            raise FileChanged(f"{label} kept changing while convo was reading it; nothing was written")
        time.sleep(0.005)


def temp_path(target: Path) -> Path:
    """The temporary file used to write ``target``: ``.NAME.convo-tmp`` beside it (hashed if too long)."""
    name = f".{target.name}{TEMP_SUFFIX}"
    if len(os.fsencode(name)) > 200:  # keep clear of the 255-byte name limit
        import hashlib  # here: a warm command that writes nothing never loads OpenSSL

        name = "." + hashlib.sha256(os.fsencode(target.name)).hexdigest()[:24] + TEMP_SUFFIX
    return target.with_name(name)


def _try_lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_for_lock(fd: int, seconds: float = 2.0) -> bool:
    """Lock ``fd``, waiting a little for another writer of the same file to finish."""
    deadline = time.monotonic() + seconds
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def clean_stale_temps(folder: Path) -> list[str]:
    """Remove temporary files of ours in ``folder`` left by a killed process; the names removed.

    A temporary file in use is locked by its writer and kept; a stale one is
    unlocked (locks die with their process). Symlinks and other non-regular
    entries with our suffix are removed too (a clone could plant them).
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time_ns()
    for entry in entries:
        ours = entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and len(entry.name) > 11
        legacy = not ours and _LEGACY_TEMP.match(entry.name) is not None
        if not (ours or legacy):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if legacy and (not stat.S_ISREG(st.st_mode) or now - st.st_mtime_ns < _LEGACY_AGE_NS):
                continue
            if stat.S_ISREG(st.st_mode):
                fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
                try:
                    if not _try_lock(fd):
                        continue  # another convo is writing with it right now
                    same = os.stat(entry.path, follow_symlinks=False)
                    if (same.st_ino, same.st_dev) != (os.fstat(fd).st_ino, os.fstat(fd).st_dev):
                        continue  # renamed into place meanwhile: no longer a temporary file
                    os.unlink(entry.path)
                finally:
                    os.close(fd)
            elif not stat.S_ISDIR(st.st_mode):
                os.unlink(entry.path)
            else:
                continue
        except OSError:
            continue
        removed.append(entry.name)
    return removed


def _clean_once(folder: Path) -> None:
    """:func:`clean_stale_temps` once per folder and process (an import writes many files in one folder)."""
    try:
        st = os.stat(folder)
    except OSError:
        return
    key = (st.st_dev, st.st_ino, os.fspath(folder))
    if key not in _cleaned_dirs:
        _cleaned_dirs.add(key)
        clean_stale_temps(folder)


@contextmanager
def temp_file(target: Path, name: str) -> Iterator[tuple[int, Path]]:
    """The locked, empty temporary file for ``target``: ``(fd, path)``; removed if the block fails.

    The block must rename it into place (or leave it to be removed). A stale
    file of the same name from a killed run is reused; if another process
    holds it, :class:`WriteFailed` says the file is being written already.
    """
    _clean_once(target.parent)
    tmp = temp_path(target)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NONBLOCK", 0)
    fd = -1
    for _ in range(5):
        try:
            fd = os.open(tmp, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symlink planted under our name: never write through it
                _unlink_quietly(tmp)
                continue
            raise WriteFailed.from_error(name, exc) from None
        if not _wait_for_lock(fd):
            os.close(fd)
            raise WriteFailed(name, "another convo command is writing it right now; try again")
        st = os.fstat(fd)
        try:
            now: os.stat_result | None = os.stat(tmp, follow_symlinks=False)
        except OSError:
            now = None
        if now is not None and (now.st_ino, now.st_dev) == (st.st_ino, st.st_dev) \
                and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
            break
        os.close(fd)  # renamed into place by the previous holder, or not a plain file of ours
        fd = -1
        if now is not None and (now.st_ino, now.st_dev) == (st.st_ino, st.st_dev):
            _unlink_quietly(tmp)
    if fd < 0:
        raise WriteFailed(name, f"its temporary file {tmp.name} cannot be made")
    try:
        try:
            os.ftruncate(fd, 0)
        except OSError as exc:
            raise WriteFailed.from_error(name, exc) from None
        yield fd, tmp
    except BaseException:
        _unlink_quietly(tmp)
        raise
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _keep_mode(fd: int, old_stat: os.stat_result | None) -> None:
    """The replaced file's permissions (and owner, where allowed); ``0o666`` less the umask for a new one."""
    if old_stat is not None:
        os.fchmod(fd, old_stat.st_mode & 0o7777)
        try:
            os.fchown(fd, old_stat.st_uid, old_stat.st_gid)
        except OSError:
            pass  # only the owner or root may give a file away; the mode is what matters
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)


def _check_unchanged(target: Path, expected: bytes, expected_stat: os.stat_result | None, name: str) -> None:
    """Refuse unless ``target`` still holds exactly ``expected`` (and has the status it was read with)."""
    changed = FileChanged(f"{name} changed while convo was editing it; nothing was written")
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise changed from None
    except OSError as exc:
        raise FileChanged(f"{name} cannot be read again before writing ({exc.strerror or exc}); "
                          "nothing was written") from None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode) or before.st_size != len(expected):
            raise changed
        current = _read_all(fd, len(expected))
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if current != expected or _stamp(before) != _stamp(after):
        raise changed
    if expected_stat is not None and _stamp(after) != _stamp(expected_stat):
        raise changed


def _write_temp(fd: int, data: bytes, old_stat: os.stat_result | None, name: str, sync: bool = True) -> None:
    try:
        _write_all(fd, data)
        _keep_mode(fd, old_stat)
        if sync:
            os.fsync(fd)
    except OSError as exc:
        raise WriteFailed.from_error(name, exc) from None


def atomic_write(path: str | os.PathLike[str], data: bytes, expected: bytes | None = None,
                 expected_stat: os.stat_result | None = None, *, name: str | None = None,
                 sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, creating parent folders as needed.

    With ``expected`` (and the ``expected_stat`` it was read with, as
    :func:`read_snapshot` gives them), the whole file is read again right
    before the rename and the write is refused with :class:`FileChanged`
    unless it still holds exactly that. Any failure to write is
    :class:`WriteFailed` and leaves the file as it was. ``name`` is how
    messages call the file (default: ``path``). The new file keeps the
    permissions of the file it replaces (a new file gets ``0o666`` less the umask).

    ``sync=False`` skips the two ``fsync`` calls, for a batch of thousands of files
    that the caller makes durable at once (``os.sync()``) before recording them.
    """
    target = Path(path)
    label = name or os.fspath(path)
    _make_parents(target, label)
    try:
        old_stat: os.stat_result | None = expected_stat or os.stat(target)
    except FileNotFoundError:
        old_stat = None
    except OSError as exc:
        raise WriteFailed.from_error(label, exc) from None
    with temp_file(target, label) as (fd, tmp):
        _write_temp(fd, data, old_stat, label, sync)
        if expected is not None:
            _check_unchanged(target, expected, expected_stat, label)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise WriteFailed.from_error(label, exc) from None
    if sync:
        _fsync_dir(target.parent)


def atomic_create(path: str | os.PathLike[str], data: bytes, *, name: str | None = None, sync: bool = True) -> None:
    """Create ``path`` holding ``data``, complete or not at all; ``FileExistsError`` if it exists.

    The content is written and flushed to a temporary file first, then linked
    to its name (which fails if the name is taken), so a full disk never leaves
    an empty or half-written new note. Failures are :class:`WriteFailed`.
    ``sync=False`` skips the ``fsync``, as for :func:`atomic_write`.
    """
    target = Path(path)
    label = name or os.fspath(path)
    _make_parents(target, label)
    with temp_file(target, label) as (fd, tmp):
        _write_temp(fd, data, None, label, sync)
        try:
            os.link(tmp, target, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise WriteFailed.from_error(label, exc) from None
            _create_by_copy(target, data, label)  # a file system without hard links
        _unlink_quietly(tmp)
    _fsync_dir(target.parent)


def _create_by_copy(target: Path, data: bytes, label: str) -> None:
    """Exclusive create and write; on failure the partial file is removed again."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFailed.from_error(label, exc) from None
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        _unlink_quietly(target)
        raise WriteFailed.from_error(label, exc) from None
    os.close(fd)


def write_with_temp(path: str | os.PathLike[str], write: Callable[[Path], None], *, name: str | None = None) -> None:
    """Let ``write(temp path)`` make the file (SQLite, say), then rename it over ``path``.

    The temporary file is the same locked ``.NAME.convo-tmp`` as for
    :func:`atomic_write`, removed if ``write`` fails. ``OSError`` from
    ``write`` becomes :class:`WriteFailed`; other exceptions pass unchanged.
    """
    target = Path(path)
    label = name or os.fspath(path)
    _make_parents(target, label)
    with temp_file(target, label) as (fd, tmp):
        try:
            write(tmp)
            os.fsync(fd)
            os.replace(tmp, target)
        except OSError as exc:
            raise WriteFailed.from_error(label, exc) from None
    _fsync_dir(target.parent)


def _make_parents(target: Path, label: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed.from_error(label, exc) from None


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading a notebook safely
#
# One policy for every file convo-notes reads from a notebook (notes, attachments, convo.yml,
# mkdocs.yml): only a regular file, whose real path lies inside the notebook root, read at most
# ``limit + 1`` bytes. A FIFO, device or socket is never read (its type is checked on the open
# descriptor, and the open itself is non-blocking so a FIFO cannot hang it), a symlink leading
# out of the notebook is never followed.

NOTE_LIMIT = 8 * 1024 * 1024  # bytes in one note file
CONFIG_LIMIT = 1024 * 1024  # bytes in convo.yml or mkdocs.yml
ATTACHMENT_LIMIT = 64 * 1024 * 1024  # bytes in one attachment copied to the site

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class Refused(Exception):
    """A notebook file that is not read, with the diagnostic code and message that say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def kind_of(mode: int) -> str:
    """A file type in words, for a message (``a FIFO``, ``a device``, ...)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def symlink_verdict(path: str, root_real: str) -> tuple[str, os.stat_result]:
    """Follow the symlink ``path``: its real path and the target's stat, or :class:`Refused`
    (``dangling-symlink``, ``symlink-loop``, ``symlink-outside``, ``unreadable``)."""
    real = os.path.realpath(path)
    if not is_inside(real, root_real):
        raise Refused("symlink-outside", "symlink to a place outside the notebook; not read")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise Refused("dangling-symlink", "symlink to nothing (its target does not exist); not read") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("symlink-loop", "symlink loop (it leads back to itself); not followed") from None
        raise Refused("unreadable", f"cannot read: {exc.strerror or exc}") from None
    return real, st


def read_notebook_file(root_real: str, path: str, limit: int, what: str = "file") -> bytes:
    """The bytes of the notebook file ``path``, reading at most ``limit + 1`` bytes.

    Raises :class:`Refused` for anything the policy above refuses, for a file
    larger than ``limit`` (code ``note-too-large`` when ``what`` is ``note``,
    ``file-too-large`` otherwise) and for a file that cannot be opened.
    ``root_real`` is :func:`real_root` of the notebook.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | _NOFOLLOW)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EMLINK) or not _NOFOLLOW:
            raise Refused("unreadable", f"cannot read: {exc.strerror or exc}") from None
        real, _ = symlink_verdict(path, root_real)  # the last component is a symlink
        try:
            fd = os.open(real, _OPEN_FLAGS | _NOFOLLOW)
        except OSError as again:
            raise Refused("unreadable", f"cannot read: {again.strerror or again}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("not-a-file", f"{kind_of(st.st_mode)}, not a regular file; never opened for reading")
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 20))
            except BlockingIOError:  # only a non-regular file can block, and those were refused
                raise Refused("not-a-file", "not a regular file; never read") from None
            except OSError as exc:
                raise Refused("unreadable", f"cannot read: {exc.strerror or exc}") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        code = "note-too-large" if what == "note" else "file-too-large"
        raise Refused(code, f"{what} is larger than the limit of {_size(limit)}; not read")
    return data


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


def check_notebook_file(root_real: str, path: str) -> tuple[str, os.stat_result]:
    """The real path and stat of ``path`` if the policy lets it be read (a regular file whose
    real path lies inside ``root_real``), else :class:`Refused` (code ``missing`` when there is
    no such file at all). Nothing is opened; :func:`read_notebook_file` checks again as it reads."""
    real = os.path.realpath(path)
    if not is_inside(real, root_real):
        raise Refused("symlink-outside", "its real path lies outside the notebook")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise Refused("dangling-symlink", "symlink to nothing") from None
        raise Refused("missing", "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("symlink-loop", "symlink loop") from None
        raise Refused("unreadable", f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not-a-file", f"{kind_of(st.st_mode)}, not a regular file")
    return real, st
