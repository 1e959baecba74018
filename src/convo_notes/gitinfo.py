"""What git knows about a notebook: when each note last changed, and who changed it.

One ``git log`` run reads the whole history (newest first); the first commit
that names a file is its last change. A notebook that is not a git repository,
or a machine without git, simply has no history: every function returns empty.

That run reads every commit, so its cost grows with the history (0.4 s for 200
commits over 10,000 notes), and ``convo brief`` and ``site build`` ask it each time.
The answer depends only on the commit ``HEAD`` names (and on whether the clone is
shallow), so :func:`last_changes` keeps it in the user's cache folder keyed by
those: asking again costs one ``git rev-parse`` until the next commit.
"""

from __future__ import annotations

import datetime as dt
import marshal
import subprocess
import unicodedata
from pathlib import Path
from typing import NamedTuple

from .model import Notebook

_RECORD = "\x1e"  # starts each commit in the log output
_FIELD = "\x1f"  # separates the fields of a commit header
_FORMAT = f"{_RECORD}%aI{_FIELD}%an"


class Change(NamedTuple):
    """A note's last change: ``(date, author)``, the date an ISO 8601 date-time with offset."""

    date: str
    author: str


class Edit(NamedTuple):
    """Who last edited any of a person's notes, and in which file."""

    path: str
    date: str
    author: str
    team_member: str | None  # the slug of the team person whose name matches the author, if any


def last_changes(root: Path | str, timeout: float = 30.0) -> dict[str, Change]:
    """``{notebook-relative posix path: Change(iso date, author)}`` from one ``git log`` run
    (or the answer kept for the same ``HEAD``, see the module's notes).

    Paths are relative to the notebook root even when the notebook is a folder
    inside a larger repository. Files never committed are absent. Returns ``{}``
    when ``root`` is not in a git work tree, has no commit yet, or git is not installed.
    """
    head = _head(root, timeout)
    if head is None:
        return {}
    kept = _kept_file(root)
    if kept is not None:
        found = _read_kept(kept, head)
        if found is not None:
            return found
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(root), "log", "-z", "--name-only",
             "--no-renames", "--relative", f"--format={_FORMAT}", head[0]],
            capture_output=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    changes = parse_log(proc.stdout.decode("utf-8", errors="replace"))
    if kept is not None:
        from .cache.records import write_atomic

        data = marshal.dumps((_KEPT, *head, {name: tuple(change) for name, change in changes.items()}))
        write_atomic(kept, lambda fh: fh.write(data))
    return changes


_KEPT = "convo-gitlog 1"  # the kept answer's format


def _head(root: Path | str, timeout: float) -> tuple[str, str] | None:
    """The commit ``HEAD`` names and whether the clone is shallow (``"true"``/``"false"``), or
    None when ``root`` is in no git work tree, the repository has no commit, or git is missing."""
    try:
        proc = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-shallow-repository", "HEAD"],
                              capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = proc.stdout.decode("ascii", errors="replace").split()
    if proc.returncode != 0 or len(lines) != 2 or lines[0] not in ("true", "false"):
        return None
    return lines[1], lines[0]


def _kept_file(root: Path | str) -> Path | None:
    """Where :func:`last_changes` keeps its answer for this notebook (None: caching is off)."""
    from .cache.records import cache_file

    target = cache_file(Path(root))
    return None if target is None else target.with_name(f"{target.stem}-gitlog.marshal")


def _read_kept(path: Path, head: tuple[str, str]) -> dict[str, Change] | None:
    """The kept answer when it was made for ``head``; None when it was not, or cannot be read."""
    try:
        kept = marshal.loads(path.read_bytes())
        magic, commit, shallow, changes = kept
        if (magic, commit, shallow) != (_KEPT, *head) or not isinstance(changes, dict):
            return None
        return {name: Change(*change) for name, change in changes.items()}
    except (OSError, EOFError, ValueError, TypeError):
        return None


def parse_log(output: str) -> dict[str, Change]:
    """Parse ``git log -z --name-only --format=<_FORMAT>`` output (newest commit first)."""
    return {name: Change(*fields) for name, fields in _newest_per_file(output).items()}


def _newest_per_file(output: str) -> dict[str, tuple[str, str]]:
    """``git log -z --name-only`` output with a two-field header (``<_RECORD>A<_FIELD>B``, newest
    commit first): each file's header fields from the first commit that names it."""
    found: dict[str, tuple[str, str]] = {}
    for record in output.split(_RECORD):
        if not record:
            continue
        header, _, names = record.partition("\0")
        first, _, second = header.partition(_FIELD)
        for name in names.split("\0"):
            name = name.strip("\n")
            if name and name not in found:
                found[name] = (first, second)
    return found


def _fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, for matching a git author to a person."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def _moment(iso: str) -> dt.datetime:
    """An ISO date-time as an aware datetime, so offsets compare correctly."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def team_member(nb: Notebook, author: str) -> str | None:
    """The slug of the team person (``team: true``) whose name or alias is the git author's name."""
    wanted = _fold(author)
    for person in nb.people.values():
        if person.team and wanted in {_fold(person.name), *(_fold(a) for a in person.aliases)}:
            return person.slug
    return None


def last_edit_of(nb: Notebook, changes: dict[str, Change], slug: str) -> Edit | None:
    """Who last edited a person's notes: their own file or any conversation with them.

    ``changes`` comes from :func:`last_changes`; call it once per command, not per person.
    """
    slug = nb.canon(slug) or slug
    paths: list[str] = []
    if slug in nb.people:
        paths.append(nb.people[slug].path)
    if slug in nb.orgs:
        paths.append(nb.orgs[slug].path)
    paths += [c.path for c in nb.conversations if slug in {nb.canon(s) or s for s in c.with_}]
    dated = [(_moment(changes[p].date), p) for p in paths if p in changes]
    if not dated:
        return None
    _, path = max(dated)
    change = changes[path]
    return Edit(path, change.date, change.author, team_member(nb, change.author))


class Added(NamedTuple):
    """The commit that added a file: its author's name and email."""

    author: str
    email: str


def added_by(root: Path | str, timeout: float = 60.0) -> dict[str, Added]:
    """``{notebook-relative posix path: Added(author, email)}``: who committed each file's addition
    (the latest addition, for a file deleted and added again), from one ``git log`` run.
    ``{}`` when ``root`` is not in a git work tree or git is not installed."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(root), "log", "-z", "--name-only", "--no-renames",
             "--diff-filter=A", "--relative", f"--format={_RECORD}%an{_FIELD}%ae"],
            capture_output=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    output = proc.stdout.decode("utf-8", errors="replace")
    return {name: Added(*fields) for name, fields in _newest_per_file(output).items()}


def member_for(nb: Notebook, added: Added) -> str | None:
    """The team member (``team: true``, or the notebook's ``me``) a commit author is: by email
    first, then by name or alias; None when no one, or several, match."""
    team = [nb.people[s] for s in nb.team if s in nb.people]
    email = added.email.strip().casefold()
    by_email = [p.slug for p in team if email and email in {e.strip().casefold() for e in p.emails}]
    if len(by_email) == 1:
        return by_email[0]
    wanted = _fold(added.author)
    by_name = [p.slug for p in team if wanted in {_fold(p.name), *(_fold(a) for a in p.aliases)}]
    return by_name[0] if len(by_name) == 1 else None
