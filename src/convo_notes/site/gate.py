"""The leak gate: a built site is published only if no output byte names a note the site leaves out.

``convo site build`` builds into a new folder beside the target, then
:func:`scan` reads every file in it (pages, the search index, the sitemap and
its ``.gz`` decompressed, ``calendar.ics``, copied attachments and assets) and
the build's log, looking for the *tokens* of every left-out note
(:func:`private_tokens`). Only when the build succeeded and the gate found
nothing does :func:`publish` swap the new folder in; otherwise the previous
site stays as it was. ``convo site serve`` scans what each update wrote.

The tokens of a left-out note (private, or unreadable) are its slug (which
is also its file name without ``.md``), and when the loader could build a
record of it, its title (conversations), its name and aliases (people and
orgs). A token is looked for only when it is *distinctive*:

- at least :data:`MIN_LENGTH` characters long;
- for a title, name or alias: at least one of its words is not a common
  English word or a word the site itself prints (:data:`COMMON_WORDS`), not
  a number, and not a word of the public values below (a private
  conversation titled "Call with Dana Reyes" says nothing a public note
  about Dana Reyes does not); for a slug: it has a hyphen
  (``vesna-marlowe``, ``2026-10-21-off-the-record``) or passes the same word
  test;
- it does not occur in the public notes' own values (the public view's
  names, aliases, titles, tags, commitments, referrals, next moves...) or the
  site's title: text the site publishes on purpose. (A public note that
  names a private person in a field publishes that name by its author's
  choice; the references the site makes itself are replaced by
  ``someone (private)`` before this.)

Matching ignores case and runs of whitespace, reads HTML character
references and JSON string escapes as the characters they stand for, and
requires the token to stand alone (no letter or digit right before or after
it). The report names output
files only, never a token: the build log may be public. A file that is a
byte-for-byte copy of a theme or plugin file (mkdocs-material's JavaScript, say)
holds nothing of the notebook and is not held against it (:func:`is_packaged`).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import gzip
import html
import html.entities
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Collection, Iterable

from ..errors import SiteError
from ..model import Conversation, Note, Notebook, Org, Person
from .public import PublicView

MIN_LENGTH = 4
CHUNK = 16 * 1024 * 1024  # output files are scanned in pieces of this size...
OVERLAP = 64 * 1024  # ...overlapping by this much (far more than any token, entities and spaces included)
LOG_NAME = "(build log)"
_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")

# Words too common to say anything alone: English function words and everyday nouns and verbs, and the
# words the site's own pages print (headings, labels, navigation).
COMMON_WORDS = frozenset("""
a about above after again against all also am an and any are as at back be because been before being
below between both but by can could day days did do does doing down during each few for from further
get go going good got had has have having he her here hers herself him himself his how i if in into is
it its itself just last let like made make many may me more most much must my myself new next no nor
not now of off on once one only or other our ours ourselves out over own per same say see she should
so some still such than that the their theirs them themselves then there these they this those
through to too two under until up upon us very want was way we week weeks well were what when where
which while who whom why will with would year years yes yet you your yours yourself yourselves
call calls chat email emails letter meeting meetings video event events other note notes plan plans
home people person persons org orgs organization organizations thread threads conversation
conversations commitment commitments referral referrals recommended recommends recommendation tag
tags timeline calendar feed overdue due today week upcoming open done closed closes close owner owed
turn turns mine theirs waiting private public someone nobody team member role phone expertise aliases
alias known keep touch contact last recorded interests channel date title name names search results
table contents skip content previous index page pages site notebook dashboard directory topic topics
first second third follow followup intro introduction review update sync check status pilot kickoff
project projects proposal contract renewal budget price pricing offer deal client clients customer
customers partner partners board lunch dinner coffee breakfast office visit trip notes misc general
""".split())


@dataclasses.dataclass(frozen=True)
class Finding:
    """One output file that names a left-out note (which token is never kept: the report may be public)."""

    file: str


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def _distinctive(token: str, slug: bool, public_words: Collection[str]) -> bool:
    if len(token) < MIN_LENGTH:
        return False
    if slug and "-" in token:
        return True
    return any(not word.isdigit() and word not in COMMON_WORDS and word not in public_words
               for word in _WORD.findall(token))


# Record fields that are not the note's own front-matter values: where it lives, and links found in its body.
_NOT_VALUES = frozenset({"root", "path", "src", "links", "sort_key"})


def _texts(value: Any) -> Iterable[str]:
    """Every string inside a record's value (tuples, nested records), paths and folders excepted."""
    if isinstance(value, str):
        yield value
    elif (fields := getattr(type(value), "_fields", None)) is not None:  # a record (a named tuple)
        for name in _value_fields(fields):  # its values, not where it lives
            yield from _texts(getattr(value, name))
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)


@functools.lru_cache(maxsize=None)
def _value_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in fields if name not in _NOT_VALUES)


def public_text(view: PublicView, extra: Iterable[str] = ()) -> str:
    """The public notes' own values and the site's title, normalized: text the site publishes on purpose."""
    nb = view.nb
    parts: list[str] = [nb.config.site_title or "", *extra]
    records: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    for record in records:
        parts.extend(_texts(record))
    return "\n".join(_norm(p) for p in parts if p)


def private_tokens(nb: Notebook, view: PublicView, extra_public: Iterable[str] = ()) -> frozenset[str]:
    """The distinctive tokens of every note the site leaves out (see the module docstring)."""
    public = public_text(view, extra_public)
    public_words = set(_WORD.findall(public))
    out = set()
    for token, is_slug in _candidates(nb):
        if not _distinctive(token, is_slug, public_words):
            continue
        if _occurs(public, token):
            continue
        out.add(token)
    return frozenset(out)


def _candidates(nb: Notebook) -> frozenset[tuple[str, bool]]:
    """(normalized text, is a slug) of every title, name, alias and slug of a note the site leaves out."""
    found: set[tuple[str, bool]] = set()
    for record in _all_records(nb):
        found |= _record_candidates(nb, record)
    return frozenset(found | _unreadable_candidates(nb))


def _all_records(nb: Notebook) -> list[Note]:
    return [*nb.people.values(), *nb.orgs.values(), *nb.conversations, *nb.incomplete]


def _record_candidates(nb: Notebook, record: Note) -> frozenset[tuple[str, bool]]:
    """A record's part of :func:`_candidates`: nothing for a public note."""
    if not nb.is_private(record) and record.path not in nb.unreadable:
        return frozenset()
    found = [(record.slug, True)]
    if isinstance(record, Conversation):
        found.append((record.title, False))
    elif isinstance(record, (Person, Org)):
        found.append((record.name, False))
        if isinstance(record, Person):
            found.extend((alias, False) for alias in record.aliases)
    return frozenset((_norm(text), is_slug) for text, is_slug in found)


def _unreadable_candidates(nb: Notebook) -> frozenset[tuple[str, bool]]:
    return frozenset((_norm(rel.rsplit("/", 1)[-1][:-3]), True) for rel in nb.unreadable)


def _record_text(record: Note) -> str:
    """One public record's own values, normalized, as :func:`public_text` joins them."""
    return "\n".join(_norm(p) for p in _texts(record) if p)


class TokenIndex:
    """:func:`private_tokens`, kept up to date note by note (``convo site serve``).

    It keeps each public record's normalized values, how many records use each word, and for each
    candidate token (a left-out note's slug, title, name or alias) how many records name it. After
    a change, :meth:`update` reads again only the records that are not the ones it kept; when the
    left-out notes themselves changed (a privacy change, a private note edited, a note that stops
    reading) it computes everything again. :meth:`tokens` equals :func:`private_tokens` for the
    notebook and view last given.
    """

    def __init__(self, nb: Notebook, view: PublicView, extra_public: Iterable[str] = ()) -> None:
        self.extra = [view.nb.config.site_title or "", *extra_public]
        self._start(nb, view)

    def _start(self, nb: Notebook, view: PublicView) -> None:
        self.sources = _all_records(nb)  # the records the candidates were taken from...
        self.by_source = [_record_candidates(nb, r) for r in self.sources]  # ...and what each gave
        self.left_out = (frozenset(nb.unreadable), nb.config.private_by_default)
        self.candidates = frozenset().union(*self.by_source) | _unreadable_candidates(nb)
        self.records: dict[str, Note] = {r.path: r for r in _public_records(view)}
        self.texts: dict[str, str] = {path: _record_text(r) for path, r in self.records.items()}
        extra = "\n".join(_norm(p) for p in self.extra if p)
        self.texts[""] = extra  # the site's own texts: never a record's path
        self.words: dict[str, int] = {}
        for text in self.texts.values():
            for word in set(_WORD.findall(text)):
                self.words[word] = self.words.get(word, 0) + 1
        self.looked_for = sorted({text for text, _slug in self.candidates if len(text) >= MIN_LENGTH})
        order = list(self.texts)
        starts, at = [], 0
        for path in order:
            starts.append(at)
            at += len(self.texts[path]) + 1
        joined = "\n".join(self.texts[path] for path in order)
        self.named: dict[str, int] = {}
        for token in self.looked_for:
            holders = set()
            start = joined.find(token)
            while start != -1:
                end = start + len(token)
                if (start == 0 or not joined[start - 1].isalnum()) and (end == len(joined)
                                                                         or not joined[end].isalnum()):
                    holders.add(bisect.bisect_right(starts, start) - 1)
                start = joined.find(token, start + 1)
            self.named[token] = len(holders)

    def update(self, nb: Notebook, view: PublicView) -> None:
        """Bring the index to ``nb`` and its public ``view``."""
        if self._candidates_changed(nb):
            self._start(nb, view)
            return
        now = {r.path: r for r in _public_records(view)}
        for path in set(self.records) | set(now):
            old, new = self.records.get(path), now.get(path)
            if old is new or (old is not None and new is not None and old == new):
                continue
            if old is not None:
                self._count(self.texts.pop(path), -1)
            if new is not None:
                text = self.texts[path] = _record_text(new)
                self._count(text, 1)
        self.records = now

    def _candidates_changed(self, nb: Notebook) -> bool:
        """Whether :func:`_candidates` of ``nb`` differs from the kept one; only records that are not the
        very ones read last time are looked at (records are frozen; privacy depends on the record, the
        unreadable notes and the configuration's default)."""
        if (frozenset(nb.unreadable), nb.config.private_by_default) != self.left_out:
            return True
        records = _all_records(nb)
        if len(records) != len(self.sources):  # a note added or removed: computed again
            return True
        by_source = []
        for record, old, found in zip(records, self.sources, self.by_source):
            by_source.append(found if record is old else _record_candidates(nb, record))
        candidates = frozenset().union(*by_source) | _unreadable_candidates(nb)
        if candidates != self.candidates:
            return True
        self.sources, self.by_source = records, by_source
        return False

    def _count(self, text: str, step: int) -> None:
        for word in set(_WORD.findall(text)):
            self.words[word] = self.words.get(word, 0) + step
            if not self.words[word]:
                del self.words[word]
        for token in self.looked_for:
            if token in text and _occurs(text, token):
                self.named[token] += step

    def tokens(self) -> frozenset[str]:
        """The distinctive tokens of every note the site leaves out, as :func:`private_tokens` gives them."""
        words = self.words.keys()
        return frozenset(text for text, is_slug in self.candidates
                         if len(text) >= MIN_LENGTH and not self.named[text]
                         and _distinctive(text, is_slug, words))


def _public_records(view: PublicView) -> list[Note]:
    nb = view.nb
    return [*nb.people.values(), *nb.orgs.values(), *nb.conversations]


def _occurs(text: str, token: str) -> bool:
    start = text.find(token)
    while start != -1:
        end = start + len(token)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(token, start + 1)
    return False


# Bytes to words, fast: ASCII punctuation and controls to spaces, ASCII letters lowercased.
_PUNCT = bytes(c for c in range(128) if not chr(c).isalnum())
_BYTE_WORDS = bytes.maketrans(_PUNCT + bytes(range(65, 91)), b" " * len(_PUNCT) + bytes(range(97, 123)))
_JSON_ESCAPE = re.compile(rb"\\u[0-9a-fA-F]{4}|\\.")
_SPACE_RUN = r"(?:\s|\\[nrt]|&nbsp;|&#0*160;|&#x0*a0;)+"
# A token stands alone: no letter or digit after it, nor before it (checked by :func:`_alone`, so that a
# pattern starts with a literal and is searched for fast).
_AFTER = r"(?![^\W_])"
_ESCAPED_BEFORE = re.compile(r"\\(?:[nrt]|u[0-9a-f]{4})$")


def _alone(text: str, start: int) -> bool:
    """No letter or digit right before ``start`` (a JSON escape such as ``\\n`` or ``\\u2019`` is not one)."""
    return start == 0 or not text[start - 1].isalnum() or \
        _ESCAPED_BEFORE.search(text, max(0, start - 6), start) is not None


def token_pattern(token: str) -> re.Pattern[str]:
    """A normalized token as it can appear in a lowercased output file: any run of whitespace, and each
    other character as itself, an HTML character reference or a JSON escape."""
    parts = []
    for ch in token:
        if ch == " ":
            parts.append(_SPACE_RUN)
        elif ch.isascii() and ch.isalnum():
            parts.append(re.escape(ch))
        else:
            code = ord(ch)
            alts = [re.escape(ch), f"&#0*{code};", f"&#x0*{code:x};"]
            name = "apos" if ch == "'" else html.entities.codepoint2name.get(code)
            if name:
                alts.append(f"&{name};")
            if code < 0x10000:
                alts.append(re.escape(f"\\u{code:04x}"))
            if ch in "\"\\/":
                alts.append(re.escape("\\" + ch))
            parts.append("(?:" + "|".join(alts) + ")")
    return re.compile("".join(parts) + _AFTER)


class Scanner:
    """Looks for a set of tokens in output files, quickly.

    A file's words are found by a byte-level split (about the cost of reading
    it; JSON escapes count as spaces); a token is searched for in the
    lowercased file (any whitespace, characters as HTML references or JSON
    escapes: :func:`token_pattern`) only when the file's words include every
    ASCII word of the token. Tokens without an ASCII word are searched for in
    every file.
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens: list[tuple[frozenset[bytes], re.Pattern[str]]] = []
        self.by_anchor: dict[bytes, list[int]] = {}
        self.always: list[re.Pattern[str]] = []
        for token in tokens:
            words = frozenset(w.encode() for w in _WORD.findall(token) if w.isascii())
            if words:
                self.by_anchor.setdefault(max(words, key=lambda w: (len(w), w)), []).append(len(self.tokens))
                self.tokens.append((words, token_pattern(token)))
            else:
                self.always.append(token_pattern(token))

    def __bool__(self) -> bool:
        return bool(self.tokens or self.always)

    def names_any(self, text: str | bytes) -> bool:
        """True when ``text`` holds one of the tokens (see :func:`token_pattern`)."""
        if not self:
            return False
        data = text.encode("utf-8", errors="replace") if isinstance(text, str) else text
        plain = _JSON_ESCAPE.sub(b" ", data) if b"\\" in data else data
        words = set(plain.translate(_BYTE_WORDS).split())
        candidates = list(self.always)
        for anchor in words & self.by_anchor.keys():
            for index in self.by_anchor[anchor]:
                needed, pattern = self.tokens[index]
                if needed <= words:
                    candidates.append(pattern)
        if not candidates:
            return False
        low = (text if isinstance(text, str) else text.decode("utf-8", errors="replace")).lower()
        return any(_alone(low, m.start()) for pattern in candidates for m in pattern.finditer(low))


def file_texts(path: Path) -> Iterable[bytes]:
    """What a reader could get out of one output file (decompressed, for ``.gz``), in pieces of at most
    :data:`CHUNK` bytes that overlap by :data:`OVERLAP`, so a token across a piece's end is still whole
    in the next one."""
    try:
        raw = open(path, "rb")
    except OSError:
        return
    with raw:
        stream: Any = raw
        if path.suffix == ".gz":
            stream = gzip.GzipFile(fileobj=raw)
        tail = b""
        while True:
            try:
                piece = stream.read(CHUNK)
            except (OSError, EOFError):  # not gzip after all, or truncated: read it as it is
                if stream is raw:
                    return
                raw.seek(0)
                stream, tail = raw, b""
                continue
            if not piece:
                return
            yield tail + piece
            tail = piece[-OVERLAP:]


PROBE = 512  # bytes of a changed page looked for in its old version, to find a part that stayed the same


def _common_prefix(a: bytes, b: bytes) -> int:
    low, high = 0, min(len(a), len(b))  # a[:low] == b[:low] holds; beyond high it fails
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: bytes, b: bytes, most: int) -> int:
    low, high = 0, min(len(a), len(b), most)
    while low < high:
        mid = (low + high + 1) // 2
        if a[len(a) - mid:len(a) - low] == b[len(b) - mid:len(b) - low]:
            low = mid
        else:
            high = mid - 1
    return low


def _same_blocks(old: bytes, new: bytes, span: tuple[int, int, int, int], out: list[tuple[int, int]],
                 budget: list[int]) -> None:
    """Add to ``out`` parts ``(start, end)`` of ``new[n0:n1]`` that are byte for byte a part of ``old[o0:o1]``
    (what a row moved to another place in a page leaves between its two changes)."""
    n0, n1, o0, o1 = span
    if n1 - n0 < 4 * OVERLAP or o1 - o0 < 4 * OVERLAP or budget[0] <= 0:
        return
    for share in (2, 4, 4 / 3):
        budget[0] -= 1
        probe_at = n0 + int((n1 - n0) / share)
        at = old.find(new[probe_at:probe_at + PROBE], o0, o1)
        if at == -1:
            continue
        back = _common_suffix(old[o0:at], new[n0:probe_at], min(at - o0, probe_at - n0))
        ahead = _common_prefix(old[at:o1], new[probe_at:n1])
        start, end = probe_at - back, probe_at + ahead
        if end - start < 2 * OVERLAP:
            continue
        out.append((start, end))
        _same_blocks(old, new, (n0, start, o0, at - back), out, budget)
        _same_blocks(old, new, (end, n1, at + ahead, o1), out, budget)
        return


def changed_parts(old: bytes, new: bytes) -> list[bytes]:
    """The parts of ``new`` a scan must read when ``old`` (the same file as it was) passed the gate with
    the same tokens or more: everything but the parts that are byte for byte parts of ``old`` (its
    beginning and end that stayed, and large blocks found in both), each such part narrowed by
    :data:`OVERLAP` bytes at both ends. A match lying inside one of the parts left out would have been
    in ``old`` too, with the same bytes around it; one that touches a changed byte, or whose neighbours
    changed, is whole in a part returned (as in :func:`file_texts`, a match is taken to be shorter than
    :data:`OVERLAP`). Nothing when nothing changed."""
    if old == new:
        return []
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    same = [(0, prefix), (len(new) - suffix, len(new))]
    _same_blocks(old, new, (prefix, len(new) - suffix, prefix, len(old) - suffix), same, [24])
    parts, at = [], 0
    for start, end in sorted(same):
        start, end = (start + OVERLAP if start > 0 else 0), (end - OVERLAP if end < len(new) else len(new))
        if end <= start:
            continue
        if start > at:
            parts.append(new[at:start])
        at = max(at, end)
    if at < len(new):
        parts.append(new[at:])
    return parts


PARALLEL_FILES = 400  # from this many output files on, ``scan(jobs=N)`` splits the work over processes


@functools.lru_cache(maxsize=1)
def packaged_dirs() -> tuple[Path, ...]:
    """The folders MkDocs copies theme and plugin files from into every site (mkdocs-material's
    templates, MkDocs' own search plugin): files that hold nothing of any notebook."""
    import importlib.util

    found = []
    for module, sub in (("material", "templates"), ("mkdocs.contrib.search", "templates")):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            folder = Path(spec.origin).parent / sub
            if folder.is_dir():
                found.append(folder)
    return tuple(found)


def is_packaged(rel: str, path: Path) -> bool:
    """Whether an output file is a byte-for-byte copy of a theme or plugin file of the same path
    (a JavaScript bundle holds plenty of words; none of them can come from a note)."""
    for base in packaged_dirs():
        source = base / rel
        try:
            if source.is_file() and source.stat().st_size == path.stat().st_size \
                    and source.read_bytes() == path.read_bytes():
                return True
        except OSError:
            continue
    return False


def _offending(folder: Path, tokens: Scanner, paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        if tokens.names_any(rel):
            found.append(rel)
        elif any(tokens.names_any(text) for text in file_texts(path)) and not is_packaged(rel, path):
            found.append(rel)
    return found


def scan(folder: Path, tokens: Scanner, log: Iterable[str] = (), only: Iterable[Path] | None = None,
         jobs: int = 1) -> list[str]:
    """Output files (relative posix paths, sorted) under ``folder`` that name a token; :data:`LOG_NAME`
    when one of the ``log`` lines does. ``only``: scan just these files (an incremental update's).
    ``jobs``: processes to scan a large site with (forked; only from a process without other threads).

    (``convo site build`` does not scan its log here: it holds back the lines that name a token,
    ``build.held_back``, instead of refusing the site for a message.)"""
    if not tokens:
        return []
    paths = sorted(p for p in folder.rglob("*") if p.is_file()) if only is None else sorted(set(only))
    if jobs > 1 and len(paths) >= PARALLEL_FILES and hasattr(os, "fork"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = [paths[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_offending, folder, tokens, chunk) for chunk in chunks[1:]]
            found = _offending(folder, tokens, chunks[0])
            for future in futures:
                found.extend(future.result())
        found.sort()
    else:
        found = _offending(folder, tokens, paths)
    if any(tokens.names_any(line) for line in log):
        found.append(LOG_NAME)
    return found


def refuse(found: list[str], tokens: Scanner | None = None) -> SiteError:
    """The error a failing gate raises: the offending output files, never what they hold (a file whose
    own path names a token is shown without it)."""
    names = []
    for rel in found:
        if tokens is None or not tokens.names_any(rel):
            names.append(rel)
            continue
        top = rel.split("/", 1)[0]
        names.append(f"(a file whose path names a left-out note, under {top}/)"
                     if "/" in rel and not tokens.names_any(top) else "(a file whose path names a left-out note)")
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return SiteError(f"leak gate: {len(found)} output file{'s' * (len(found) != 1)} would name a private "
                     f"or unreadable note: {shown}; nothing was published (the previous site is untouched). "
                     "Run `convo validate`, and look for links, names or titles of private notes in the "
                     "public notes that make these pages")


def new_folder_beside(target: Path) -> Path:
    """An empty folder next to ``target`` (same file system, so :func:`publish` can rename it in)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))


def publish(built: Path, target: Path) -> None:
    """Replace ``target`` by ``built``: the old folder renamed aside, the new one renamed in, the old removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
    try:
        os.rename(built, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        if old.is_symlink():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)
