"""Writing files safely: a note is either its old bytes or its new bytes, never half of each.

:func:`atomic_write` writes to a temporary file in the same directory,
flushes it to disk, keeps the old file's permissions (and owner, where
allowed) and then renames it over the target (``os.replace`` is atomic on
POSIX and Windows). An editor, the watcher or a crash never sees a truncated
note. Given the bytes it expects the file to hold, it also refuses to
overwrite a file that someone changed meanwhile.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import EditRefused


class FileChanged(EditRefused):
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
                 expected_stat: os.stat_result | None = None, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, creating parent folders as needed.

    With ``expected`` (and the ``expected_stat`` it was read with), refuse with
    :class:`FileChanged` if the file no longer holds exactly that, checked at
    the last moment before the rename. The new file keeps the permissions of
    the file it replaces (a new file gets ``0o666`` less the umask).

    ``sync=False`` skips the two ``fsync`` calls, for a batch of thousands of files
    that the caller makes durable at once (``os.sync()``) before recording them.
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
            if sync:
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
    if sync:
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
