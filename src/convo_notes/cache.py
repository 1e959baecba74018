"""A persistent cache of checked notes, keyed by each file's path, size, mtime and inode.

The cache lives in the user's cache directory (``$CONVO_CACHE_DIR``, else
``$XDG_CACHE_HOME/convo-notes``, else ``~/.cache/convo-notes``), one file per
notebook, never inside the notebook: a pickle that came with a cloned
repository could run code when loaded, one we wrote ourselves cannot.

Correctness comes first: an entry is used only when the file's size,
modification time (ns) and inode all match, and the whole cache is dropped
when the loader's code or version changes. A cache that cannot be read
(corrupt, truncated, old format) is ignored and rebuilt. Writes go to a
temporary file that is renamed over the old one, so two commands running at
once never leave a torn cache: the last one to finish wins.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any, Callable

from . import __version__

try:  # the BLAKE2 module alone: `hashlib` also loads OpenSSL, a few ms every warm command pays
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

FORMAT = 2
RACY_NS = 2_000_000_000  # entries for files modified this close to the cache write are re-read
_MODULES = ("parse.py", "schema.py", "loader.py", "model.py", "diagnostics.py", "cache.py")


def cache_dir() -> Path | None:
    """Where caches are kept, or None when caching is turned off (``CONVO_CACHE_DIR=off``)."""
    explicit = os.environ.get("CONVO_CACHE_DIR")
    if explicit:
        return None if explicit in ("off", "0", "none") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "convo-notes"


def cache_file(root: Path) -> Path | None:
    """The cache file of one notebook."""
    where = cache_dir()
    if where is None:
        return None
    digest = blake2b(str(root.resolve()).encode(), digest_size=10).hexdigest()
    return where / f"notebook-{digest}.pickle"


def code_stamp(extra: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """What the cached data was computed by: format, version, and each module's size and mtime
    (``extra``: more modules of this package, for data derived by them)."""
    here = Path(__file__).parent
    stamps: list[Any] = [FORMAT, __version__, sys.version_info[:2]]
    for name in (*_MODULES, *extra):
        try:
            st = (here / name).stat()
            stamps.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((name, None))
    return tuple(stamps)


def _load(path: Path, stamp: tuple[Any, ...]) -> dict[str, Any]:
    """The entries of a cache file written by :func:`_save` from the same code, else ``{}``."""
    gc_was_on = gc.isenabled()
    gc.disable()  # unpickling allocates many objects and no cycles: collection only slows it
    try:
        with open(path, "rb") as fh:
            head = pickle.load(fh)
            if not isinstance(head, dict) or head.get("stamp") != stamp or not isinstance(head.get("chunks"), int):
                return {}  # another version's cache: not even unpickled further
            entries: dict[str, Any] = {}
            for _ in range(head["chunks"]):
                chunk = pickle.load(fh)
                if not isinstance(chunk, dict):
                    return {}
                entries.update(chunk)
    except Exception:  # noqa: BLE001 - any unreadable cache is simply rebuilt
        return {}
    finally:
        if gc_was_on:
            gc.enable()
    # "Racily clean" entries (as git calls them): a file modified within the timestamp
    # granularity of the cache's own writing could change again without its mtime moving.
    # Such entries are read again rather than trusted.
    racy_after = int(head.get("written_ns", 0)) - RACY_NS
    return {rel: entry for rel, entry in entries.items() if entry[0][1] < racy_after}


CHUNK = 4_096  # entries per pickle: the pickler's memo of a whole large notebook would double its memory


def _save(path: Path, stamp: tuple[Any, ...], entries: dict[str, Any], read_from_ns: int) -> None:
    """A head (code stamp, when the reads began, how many chunks), then the entries in chunks."""
    items = list(entries.items())
    starts = range(0, len(items), CHUNK)

    def write(fh: Any) -> None:
        # `written_ns` is when the reads began: a file modified after that is never trusted later
        pickle.dump({"stamp": stamp, "written_ns": read_from_ns, "chunks": len(starts)}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
        for at in starts:
            pickle.dump(dict(items[at:at + CHUNK]), fh, protocol=pickle.HIGHEST_PROTOCOL)

    write_atomic(path, write)


def _dump(path: Path, data: Any) -> None:
    """Write a pickle atomically (temp file + rename); failure only costs speed."""
    write_atomic(path, lambda fh: pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL))


def write_atomic(path: Path, write: Callable[[Any], None]) -> None:
    """``write(binary file)`` to a temporary file renamed over ``path`` when complete, so a
    reader sees the old file or the new one, never a torn one; failure only costs speed."""
    import tempfile  # only a command that writes a cache needs it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001 - a cache we cannot write is only slower
        return


def cached_read(root: Path, files: dict[str, tuple[int, int, int]],
                read_many: Callable[[Path, list[str]], dict[str, Any]]) -> dict[str, Any]:
    """``read_many(root, files)``, reading only the files whose cache entry is stale.

    ``files`` maps each relative path to its (size, mtime_ns, inode) as scanned just now.
    """
    target = cache_file(root)
    if target is None:
        return read_many(root, list(files))
    started = time.time_ns()  # before any file is read
    stamp = code_stamp()
    old = _load(target, stamp)
    entries: dict[str, Any] = {}
    results: dict[str, Any] = {}
    misses: list[str] = []
    for rel, key in files.items():
        hit = old.get(rel)
        if hit is not None and hit[0] == key:
            results[rel] = hit[1]
            entries[rel] = hit
        else:
            misses.append(rel)
    if misses:
        fresh = read_many(root, misses)
        results.update(fresh)
        for rel, result in fresh.items():
            entries[rel] = (files[rel], result)
    if misses or len(old) != len(entries):
        _save(target, stamp, entries, started)
    return results


def cached_file(root: Path, rel: str, read: Callable[[Path], Any]) -> Any:
    """``read(root)`` for one small file (``convo.yml``), memoized by its size, mtime and inode."""
    target = cache_file(root)
    try:
        st = os.stat(os.path.join(root, rel))
        key: Any = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        key = None
    if target is None or key is None or st.st_mtime_ns > time.time_ns() - RACY_NS:
        return read(root)
    memo = target.with_name(target.stem + "-" + rel.replace("/", "_") + ".pickle")
    stamp = code_stamp()
    try:
        with open(memo, "rb") as fh:
            data = pickle.load(fh)
        if data["stamp"] == stamp and data["key"] == key:
            return data["value"]
    except Exception:  # noqa: BLE001 - missing or unreadable: read the file
        pass
    value = read(root)
    _dump(memo, {"stamp": stamp, "key": key, "value": value})
    return value
