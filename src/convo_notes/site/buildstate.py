"""What ``convo site build`` keeps between runs, so the next build re-renders only what changed.

The state of the last build of a notebook into an output folder is one file in
the user's cache directory (as :mod:`convo_notes.cache.records` picks it; never
in the notebook, whose files anyone with the repository can write). It holds:

- ``key``: a digest of everything a page's HTML depends on besides its own
  Markdown (the code and the versions of MkDocs, Material and Markdown, the
  MkDocs configuration as read, the notebook's templates and theme overrides,
  ``convo.yml``, the site's date and MkDocs' build date, the plugins): when it
  differs, the build is a full one;
- ``tokens``: a digest of the leak gate's token set: every file it lists passed
  the gate against exactly these tokens;
- ``output``: every output file with its size, mtime, ctime and inode as they
  were after the build (a file changed by anyone since, even with its mtime put
  back, has another ctime: the build is then a full one);
- the notes' file keys and records (to rebuild the previous site model and
  tell which pages a change reaches), the Markdown links of their bodies, each
  page's Markdown digest, attachments and warnings, the other staged files'
  digests, and where each page's entries lie in the search index.

A state file is trusted only whole: written to a temporary file and renamed
in, read back only when its format, its code stamp and its checksum hold.
Anything doubtful (no state, another version, a damaged file, a changed
output folder) makes a full build: privacy fails closed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

FORMAT = 1
OutputKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


@dataclass
class BuildState:
    """The previous build of one notebook into one output folder (see the module docstring)."""

    key: str
    tokens: str
    output: dict[str, OutputKey]
    started_ns: int  # when the build started: notes changed just before it are taken as changed
    notes: dict[str, tuple[int, ...]]  # note path -> file key (size, mtime_ns, ctime_ns, inode)
    records: dict[str, bytes]  # note path -> its pickled record (readable notes)
    git: dict[str, object]  # note path -> its last git change, as the pages show it
    links: dict[str, list[str | None]]  # note path -> its body's Markdown link targets
    pages: dict[str, bytes]  # staging path -> digest of its Markdown
    attachments: dict[str, dict[str, str]]  # page -> {staged attachment: notes-relative source}
    problems: dict[str, list[str]]  # page -> the warnings its generation gave
    extras: dict[str, bytes]  # staged file other than a page -> digest of its bytes
    search_head: int = 0  # bytes of the search index before its first entry
    search: dict[str, tuple[int, int]] = field(default_factory=dict)  # page URL -> its entries' span
    has_search: bool = False


def digest(data: bytes) -> bytes:
    """A short digest of some bytes (a page's Markdown, a staged file)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def state_file(root: Path, out_dir: Path) -> Path | None:
    """Where the state of building ``root`` into ``out_dir`` is kept, or None when caching is off."""
    from ..cache.records import cache_dir

    where = cache_dir()
    if where is None:
        return None
    name = hashlib.blake2b(f"{root.resolve()}\0{out_dir.absolute()}".encode(), digest_size=10).hexdigest()
    return where / f"site-{name}.pickle"


def _stamp() -> tuple[Any, ...]:
    from ..cache.records import code_stamp

    return (FORMAT, code_stamp())


def load(path: Path | None) -> BuildState | None:
    """The state kept at ``path``, or None when there is none or it is doubtful in any way."""
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            head = pickle.load(fh)
            if not isinstance(head, dict) or head.get("stamp") != _stamp():
                return None
            blob = fh.read()
        if hashlib.blake2b(blob, digest_size=16).hexdigest() != head.get("checksum"):
            return None
        state = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - a state that cannot be read is not used: a full build
        return None
    return state if isinstance(state, BuildState) else None


def save(path: Path | None, state: BuildState) -> None:
    """Keep ``state`` at ``path`` (a temporary file renamed in); a failure to write is not an error."""
    if path is None:
        return
    blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    head = {"stamp": _stamp(), "checksum": hashlib.blake2b(blob, digest_size=16).hexdigest()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(head, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.write(blob)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def forget(path: Path | None) -> None:
    """Remove the kept state (before a build that may leave the output folder half way)."""
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass


def output_keys(folder: Path) -> dict[str, OutputKey]:
    """Every file under ``folder`` (relative posix path) with its size, mtime, ctime and inode;
    symlinks and other non-regular files are listed with a key that never matches."""
    found: dict[str, OutputKey] = {}
    stack = [("", str(folder))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    found[rel] = (-1, -1, -1, -1)
                    continue
                st = entry.stat(follow_symlinks=False)
                found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return found


def tree_key(folder: Path) -> list[tuple[str, int, int, int]]:
    """Names, sizes, mtimes and ctimes of every file under ``folder`` (templates, theme overrides)."""
    out: list[tuple[str, int, int, int]] = []
    if not folder.is_dir():
        return out
    for dirpath, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except OSError:
                out.append((full, -1, -1, -1))
                continue
            out.append((os.path.relpath(full, folder), st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return out


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def versions() -> list[str]:
    """The versions of what renders the pages besides convo-notes itself."""
    from importlib import metadata

    out = [".".join(map(str, sys.version_info[:3]))]
    for name in ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2", "pygments"):
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=none")
    return out


def make_key(parts: Iterable[Any]) -> str:
    """A digest of the ``repr`` of each part (object addresses left out: they change every run)."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        text = _ADDRESS.sub("", repr(part))
        h.update(len(text).to_bytes(8, "little") + text.encode("utf-8", errors="surrogateescape"))
    return h.hexdigest()


def token_digest(tokens: Iterable[str]) -> str:
    """A digest of the leak gate's token set."""
    return make_key(sorted(tokens))
