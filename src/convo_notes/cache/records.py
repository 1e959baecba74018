"""A persistent cache of checked notes, keyed by each file's path, size, mtime, ctime and inode.

The cache lives in the user's cache directory (``$CONVO_CACHE_DIR``, else
``$XDG_CACHE_HOME/convo-notes``, else ``~/.cache/convo-notes``), one file per
notebook, never inside the notebook: a pickle that came with a cloned
repository could run code when loaded, one we wrote ourselves cannot.

Correctness comes first: an entry is used only when the file's size,
modification time (ns), status-change time (ns) and inode all match (the ctime
moves on every write, even when a tool puts the mtime back), and the CRC-32 of
its chunk (:data:`CHUNK` entries) holds; the whole cache is dropped when the package's code (every module, by its
size and time) or version changes. A cache, or an entry, that cannot be read
(corrupt, truncated, old format) is ignored and recomputed. Writes go to a
temporary file that is renamed over the old one, so two commands running at
once never leave a torn cache: the last one to finish wins.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import time
from binascii import crc32
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .. import __version__

try:  # the BLAKE2 module alone: `hashlib` also loads OpenSSL, a few ms every warm command pays
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

FORMAT = 3
# "Racily clean" files (as git calls them): a file changed within the timestamp granularity of
# the moment the cache read it could change again without its key moving. Such entries are
# read again rather than trusted: by mtime within 2 s (FAT's granularity); by ctime, which no
# tool can put back but the kernel sets from a clock that ticks every few ms, within 0.2 s.
RACY_NS = 2_000_000_000
RACY_CTIME_NS = 200_000_000


def racy(key: tuple[int, ...], since_ns: int) -> bool:
    """True when a file of ``key`` (size, mtime_ns, ctime_ns, ...) may have changed again after
    ``since_ns`` without its key moving (see :data:`RACY_NS`)."""
    return key[1] >= since_ns - RACY_NS or key[2] >= since_ns - RACY_CTIME_NS
PACKAGE_DIR = Path(__file__).parents[1]  # the code whose bytes the code stamp is derived from


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


def code_stamp(extra: tuple[str, ...] = ()) -> tuple[Any, ...]:  # noqa: ARG001 - kept for callers
    """What the cached data was computed by: the cache format, the version, Python's version and
    a digest of every module of the package (no hand-kept list to fall behind;
    ``extra`` is no longer needed and ignored)."""
    return (FORMAT, __version__, sys.version_info[:2], package_digest(str(PACKAGE_DIR)))


@lru_cache(maxsize=4)
def package_digest(where: str) -> str:
    """A digest of every ``.py`` file under ``where`` (its name, size and modification time in
    nanoseconds), once per process: the code a process runs is the code it imported, and Python
    itself trusts a module's compiled form while the source keeps its size and time (to the second)."""
    found: list[str] = []
    for folder, dirs, names in os.walk(where):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        found.extend(os.path.join(folder, name) for name in names if name.endswith(".py"))
    listed: list[tuple[str, int, int]] = []
    for path in sorted(found):
        try:
            st = os.stat(path)
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        listed.append((os.path.relpath(path, where).replace(os.sep, "/"), size, mtime))
    return blake2b(repr(listed).encode(), digest_size=16).hexdigest()


def _load(path: Path, stamp: tuple[Any, ...]) -> dict[str, Any]:
    """The entries of a cache file written by :func:`_save` from the same code, else ``{}``:
    ``{rel: (file key, value)}``. A chunk whose checksum fails is left out (its files are
    read again); so is everything after a chunk that cannot even be framed."""
    return _load_base(path, stamp)[0]


def _load_base(path: Path, stamp: tuple[Any, ...]) -> tuple[dict[str, Any], bool]:
    """:func:`_load`, and whether the file was whole (every chunk read and checked)."""
    whole = True
    entries: dict[str, Any] = {}
    gc_was_on = gc.isenabled()
    gc.disable()  # unpickling allocates many objects and no cycles: collection only slows it
    try:
        with open(path, "rb") as fh:
            head = pickle.load(fh)
            if not isinstance(head, dict) or head.get("stamp") != stamp or not isinstance(head.get("chunks"), int):
                return {}, False  # another version's cache: not even unpickled further
            written = int(head.get("written_ns", 0))
            for _ in range(head["chunks"]):
                try:
                    checksum, blob = pickle.load(fh)
                except Exception:  # noqa: BLE001 - the frame itself is damaged: the rest is lost
                    whole = False
                    break
                if type(blob) is not bytes or crc32(blob) != checksum:
                    whole = False
                    continue  # a damaged chunk: its files are read again
                try:
                    chunk = pickle.loads(blob)
                except Exception:  # noqa: BLE001 - cannot happen when the checksum holds, but never trusted
                    whole = False
                    continue
                if isinstance(chunk, dict):
                    entries.update(chunk)
    except Exception:  # noqa: BLE001 - an unreadable cache is simply recomputed
        return {}, False
    finally:
        if gc_was_on:
            gc.enable()
    return _trusted(entries, written), whole


def _trusted(entries: dict[str, Any], written_ns: int) -> dict[str, Any]:
    """The well-formed entries not racily clean as of ``written_ns`` (when their reads began)."""
    return {rel: entry for rel, entry in entries.items()
            if type(entry) is tuple and len(entry) == 2 and type(entry[0]) is tuple
            and len(entry[0]) == 4 and not racy(entry[0], written_ns)}


# --- the append log: what changed since the base file was written --------------------------
#
# After an edit, rewriting every entry of a large notebook cost more than the edit
# path's whole budget (0.25 s at 10,000 notes). So the entries read again are
# *appended* to a log beside the base file, one frame per command: 8 bytes of
# length, 4 of CRC-32, then a pickle of (code stamp, when the reads began,
# {rel: (file key, value)}), written with one `write` to a file opened with
# O_APPEND (so two commands appending at once each add a whole frame). A reader
# replays the frames over the base, later frames winning; a frame that fails its
# length or checksum ends the replay (its entries and any after it are read
# again) and makes the next write a compaction. When the log holds more than
# LOG_SHARE of the notebook's notes (or the base file leaves out that many that
# are gone), the base is rewritten whole and the log removed.

LOG_FRAME = 12
LOG_SHARE = 8  # compact once the log (or the dead entries) exceed 1/LOG_SHARE of the notes (at least CHUNK)


def log_file(target: Path) -> Path:
    """The append log next to a base cache file."""
    return target.with_suffix(".log")


def _load_log(path: Path, stamp: tuple[Any, ...], entries: dict[str, Any]) -> tuple[int, bool]:
    """Replay the log at ``path`` over ``entries``; (entries replayed, every frame whole)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return 0, True  # no log: nothing changed since the base
    count, at, end = 0, 0, len(data)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        while at < end:
            if end - at < LOG_FRAME:
                return count, False
            size = int.from_bytes(data[at:at + 8], "little")
            checksum = int.from_bytes(data[at + 8:at + 12], "little")
            blob = data[at + LOG_FRAME:at + LOG_FRAME + size]
            if len(blob) != size or crc32(blob) != checksum:
                return count, False  # torn or damaged: the rest is not trusted
            at += LOG_FRAME + size
            try:
                frame_stamp, written, changed = pickle.loads(blob)
            except Exception:  # noqa: BLE001 - cannot happen when the checksum holds, but never trusted
                return count, False
            if frame_stamp != stamp or not isinstance(changed, dict):
                return count, False  # written by other code: compact it away
            fresh = _trusted(changed, int(written))
            entries.update(fresh)
            count += len(changed)
    finally:
        if gc_was_on:
            gc.enable()
    return count, True


def _append(path: Path, stamp: tuple[Any, ...], changed: dict[str, Any], read_from_ns: int) -> bool:
    """Append one frame of ``changed`` entries to the log; False when it could not be written."""
    blob = pickle.dumps((stamp, read_from_ns, changed), protocol=pickle.HIGHEST_PROTOCOL)
    frame = len(blob).to_bytes(8, "little") + crc32(blob).to_bytes(4, "little") + blob
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        return os.write(fd, frame) == len(frame)
    except OSError:
        return False
    finally:
        os.close(fd)


# Entries per chunk: each chunk is pickled alone with its CRC-32, so a damaged byte costs
# the re-reading of at most this many files (and a whole large notebook's pickler memo is
# never held at once); per-entry pickles would make a warm load of 10,000 notes about half
# as fast again (every record's classes looked up one entry at a time).
CHUNK = 256


def _save(path: Path, stamp: tuple[Any, ...], entries: dict[str, Any], read_from_ns: int,
          packed: list[tuple[int, bytes, list[str]]] | None = None) -> None:
    """A head (code stamp, when the reads began, how many chunks), then the entries in chunks,
    each framed as (CRC-32, pickled chunk).

    ``packed``: chunks already pickled, as worker processes sent them (``(CRC-32, pickle of
    {rel: (file key, value)}, their paths)``, see :class:`.loader.ReadResults`): written as
    they are, the other entries pickled here."""
    pieces = [(checksum, blob) for checksum, blob, _rels in packed or ()]
    done = {rel for _checksum, _blob, rels in packed or () for rel in rels}
    items = [item for item in entries.items() if item[0] not in done] if done else list(entries.items())
    starts = range(0, len(items), CHUNK)

    def write(fh: Any) -> None:
        # `written_ns` is when the reads began: a file modified after that is never trusted later
        protocol = pickle.HIGHEST_PROTOCOL
        pickle.dump({"stamp": stamp, "written_ns": read_from_ns, "chunks": len(pieces) + len(starts)}, fh,
                    protocol=protocol)
        for piece in pieces:
            pickle.dump(piece, fh, protocol=protocol)
        for at in starts:
            blob = pickle.dumps(dict(items[at:at + CHUNK]), protocol=protocol)
            pickle.dump((crc32(blob), blob), fh, protocol=protocol)

    write_atomic(path, write)


def _dump(path: Path, data: Any) -> None:
    """Write a pickle atomically (temp file + rename); failure only costs speed."""
    write_atomic(path, lambda fh: pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL))


def write_atomic(path: Path, write: Callable[[Any], None]) -> None:
    """``write(binary file)`` to a temporary file renamed over ``path`` when complete, so a
    reader sees the old file or the new one, never a torn one; failure only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of its own (`tempfile` would cost every writing command its imports: random, shutil...)
        tmp = str(path.parent / f".cache-{os.getpid()}-{os.urandom(6).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001 - a cache we cannot write is only slower
        return


def cached_read(root: Path, files: dict[str, tuple[int, int, int, int]],
                read_many: Callable[[Path, list[str]], dict[str, Any]]) -> dict[str, Any]:
    """``read_many(root, files)``, reading only the files whose cache entry is stale or damaged.

    ``files`` maps each relative path to its (size, mtime_ns, ctime_ns, inode) as scanned just now.
    When what ``read_many`` returns carries ``packed`` chunks (:class:`.loader.ReadResults`: the
    entries of those files pickled already, under these keys), a rewrite of the cache writes them
    as they are.
    """
    target = cache_file(root)
    if target is None:
        return read_many(root, list(files))
    started = time.time_ns()  # before any file is read
    stamp = code_stamp()
    old, base_whole = _load_base(target, stamp)
    log = log_file(target)
    logged, log_whole = _load_log(log, stamp, old) if base_whole else (0, False)
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
    changed: dict[str, Any] = {}
    packed: list[tuple[int, bytes, list[str]]] = []
    if misses:
        fresh = read_many(root, misses)
        results.update(fresh)
        for rel, result in fresh.items():
            entries[rel] = changed[rel] = (files[rel], result)
        packed = [piece for piece in getattr(fresh, "packed", ()) if _same(piece[2], entries, fresh)]
    dead = len(old) - (len(entries) - sum(1 for rel in misses if rel not in old))  # entries of files gone
    bound = max(CHUNK, len(files) // LOG_SHARE)
    if base_whole and log_whole and logged + len(changed) <= bound and dead <= bound:
        if changed and not _append(log, stamp, changed, started):
            _compact(target, log, stamp, entries, started, packed)
    elif misses or dead or logged or not log_whole:
        _compact(target, log, stamp, entries, started, packed)
    return results


def _same(rels: list[str], entries: dict[str, Any], fresh: dict[str, Any]) -> bool:
    """A piece a worker pickled may be written as it is: every entry of it is still the one kept
    (read just now, under the key scanned now)."""
    return all(rel in fresh and rel in entries and entries[rel][1] is fresh[rel] for rel in rels)


def remember(root: Path, changed: dict[str, Any], read_from_ns: int) -> None:
    """Add entries read outside :func:`cached_read` (``{rel: (file key, value)}``, read from
    ``read_from_ns`` on) to the notebook's cache, as one frame of its append log."""
    target = cache_file(root)
    if target is not None and changed:
        _append(log_file(target), code_stamp(), changed, read_from_ns)


def _compact(target: Path, log: Path, stamp: tuple[Any, ...], entries: dict[str, Any], started: int,
             packed: list[tuple[int, bytes, list[str]]] | None = None) -> None:
    """The base file rewritten with every current entry, and the log removed (in that order:
    a reader in between replays an old log over the new base, which keys make harmless);
    ``packed``: entries already pickled (see :func:`_save`)."""
    _save(target, stamp, entries, started, packed)
    try:
        os.unlink(log)
    except OSError:
        pass


def cached_file(root: Path, rel: str, read: Callable[[Path], Any]) -> Any:
    """``read(root)`` for one small file (``convo.yml``), memoized by its size, mtime, ctime and
    inode, with a checksum (a damaged memo is read again)."""
    target = cache_file(root)
    try:
        st = os.stat(os.path.join(root, rel))
        key: Any = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    except OSError:
        key = None
    if target is None or key is None or racy(key, time.time_ns()):
        return read(root)
    memo = target.with_name(target.stem + "-" + rel.replace("/", "_") + ".pickle")
    stamp = code_stamp()
    try:
        with open(memo, "rb") as fh:
            data = pickle.load(fh)
        blob = data["blob"]
        if data["stamp"] == stamp and data["key"] == key and crc32(blob) == data["checksum"]:
            return pickle.loads(blob)
    except Exception:  # noqa: BLE001 - missing or unreadable: read the file
        pass
    value = read(root)
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    _dump(memo, {"stamp": stamp, "key": key, "checksum": crc32(blob), "blob": blob})
    return value
