"""Writing files safely: a note is either its old bytes or its new bytes, never half of each.

:func:`atomic_write` writes to a temporary file in the same directory,
flushes it to disk, keeps the old file's permissions (and owner, where
allowed) and then renames it over the target (``os.replace`` is atomic on
POSIX and Windows). An editor, the watcher or a crash never sees a truncated
note. Given the bytes it expects the file to hold, it also refuses to
overwrite a file that someone changed meanwhile.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path


class FileChanged(Exception):
    """The file on disk is no longer what the edit was computed from; nothing was written."""


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: str | os.PathLike[str], data: bytes, expected: bytes | None = None,
                 expected_stat: os.stat_result | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, creating parent folders as needed.

    With ``expected`` (and the ``expected_stat`` it was read with), refuse with
    :class:`FileChanged` if the file no longer holds exactly that, checked at
    the last moment before the rename. The new file keeps the permissions of
    the file it replaces (a new file gets ``0o666`` less the umask).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        old_stat: os.stat_result | None = expected_stat or os.stat(target)
    except FileNotFoundError:
        old_stat = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        try:
            _write_all(fd, data)
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
            os.fsync(fd)
        finally:
            os.close(fd)
        if expected is not None:
            try:
                now = os.stat(target)
                current = target.read_bytes()
            except OSError as exc:
                raise FileChanged(f"the file cannot be read again before writing ({exc.strerror or exc})") from None
            if current != expected or (expected_stat is not None and _stamp(now) != _stamp(expected_stat)):
                raise FileChanged("the file changed on disk while it was being edited; nothing was written, "
                                  "run the command again")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)


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


@lru_cache(maxsize=64)
def real_root(root: str) -> str:
    """The notebook root's real path (symlinks resolved), as the containment checks compare it."""
    return os.path.realpath(root)


def is_inside(real: str, root_real: str) -> bool:
    """True when the real path ``real`` is ``root_real`` or lies under it."""
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


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


def display_name(name: str) -> str:
    """A file name as text that can always be printed: undecodable bytes become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_clean_name(name: str) -> bool:
    """True when ``name`` came from valid UTF-8 bytes (``os.scandir`` keeps others as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
