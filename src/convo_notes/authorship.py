"""Who wrote each note: the migration of a team notebook to format v1.1 (``convo fix recorded-by``).

Since v1.1 a note's ``me`` is its author (``recorded_by``, else ``convo.yml``'s
``me``). A team notebook written under v1, where several people's notes rely on
``me``, becomes unambiguous when each such note says who wrote it; git knows:
the author of the commit that added the file, matched to a team member by email,
then by name or alias. Each note gets one line, ``recorded_by: SLUG``, at the end
of its front matter; no other byte of any file changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .gitinfo import Added, added_by, member_for
from .model import OVERLAY, Conversation, Notebook


@dataclass(frozen=True, slots=True)
class Authorship:
    """One note the migration looked at: the member found (``slug``), or why there is none."""

    path: str
    slug: str | None
    added: Added | None
    problem: str | None = None
    raw: bytes = b""


def needs_author(nb: Notebook, conv: Conversation, team_size: int | None = None, every: bool = False) -> bool:
    """True for a team-notebook note that uses ``me`` (or a default owner) and has no ``recorded_by``
    (``every``: any note without ``recorded_by``; ``team_size``: ``len(nb.team)``, when the caller
    asks for many notes)."""
    return ((len(nb.team) if team_size is None else team_size) > 1 and (every or conv.me_line > 0)
            and conv.recorded_by in (None, "me") and not conv.path.startswith(OVERLAY))


def plan_authors(nb: Notebook, every: bool = False) -> list[Authorship]:
    """For every note :func:`needs_author` picks, the team member who added it in git (or why not)."""
    size = len(nb.team)
    wanted = [c for c in [*nb.conversations, *nb.incomplete] if needs_author(nb, c, size, every)]
    if not wanted:
        return []
    history = added_by(nb.root)
    out = []
    for conv in sorted(wanted, key=lambda c: c.path):
        errors = [d for d in nb.diagnostics if d.path == conv.path and d.severity == "error"]
        added = history.get(conv.path)
        try:
            raw = (Path(nb.root) / conv.path).read_bytes()
        except OSError as exc:
            out.append(Authorship(conv.path, None, added, f"cannot read the file ({exc.strerror or exc})"))
            continue
        if errors:
            out.append(Authorship(conv.path, None, added, f"has errors; fix them first ({errors[0].format()})"))
        elif not history:
            out.append(Authorship(conv.path, None, None, "no git history here (not a git repository?)"))
        elif added is None:
            out.append(Authorship(conv.path, None, None, "never committed: add `recorded_by` yourself"))
        else:
            slug = member_for(nb, added)
            problem = None if slug else (f"added by {added.author} <{added.email}>, who matches no single team "
                                         "member (by email, name or alias): add `recorded_by` yourself")
            out.append(Authorship(conv.path, slug, added, problem, raw))
    return out
