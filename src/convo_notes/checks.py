"""Checks across notes: references resolve, ids are unique, closes close something.

Each check is a small function ``(notebook, note) -> diagnostics``, run by one
driver (:func:`run_checks`) over every note. A check that fails with an
exception becomes one ``internal-error`` naming the file; the others still run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator

from .diagnostics import Diagnostic, did_you_mean
from .model import Conversation, Note, Notebook, Person
from .parse import Path
from .schema import SLUG_RE, YAML11_BOOLS


def _at(note: Note, at: Path) -> tuple[int, int]:
    probe = at
    while probe:
        if probe in note.locs:
            return note.locs[probe]
        probe = probe[:-1]
    return note.locs.get((), (1, 1))


# The two reference checks return a tuple, not a generator: they run for every slug of every
# note, and nearly always find nothing.
def _person_ref(nb: Notebook, note: Note, slug: str | None, at: Path, field: str,
                allow: tuple[str, ...] = ("me",)) -> tuple[Diagnostic, ...]:
    if slug is None or slug in allow or slug in nb.people:
        return ()
    line, col = _at(note, at)
    if slug in YAML11_BOOLS:
        return (Diagnostic(note.path, line, col, "bad-value",
                           f"`{field}: {slug}` is not {' or '.join(f'`{a}`' for a in allow)} or a person slug "
                           "(older YAML would have read it as a yes/no value)"),)
    return (Diagnostic(note.path, line, col, "unknown-person",
                       f"`{field}`: no person `{slug}` in notes/people/{did_you_mean(slug, nb.people)}"),)


def _org_ref(nb: Notebook, note: Note, slug: str | None, at: Path) -> tuple[Diagnostic, ...]:
    if slug is None or slug in nb.orgs:
        return ()
    line, col = _at(note, at)
    return (Diagnostic(note.path, line, col, "unknown-org",
                       f"`org`: no organization `{slug}` in notes/orgs/{did_you_mean(slug, nb.orgs)}"),)


def check_person(nb: Notebook, note: Note) -> Iterable[Diagnostic]:
    return _org_ref(nb, note, note.org, ("org",)) if isinstance(note, Person) else ()


def check_conversation_refs(nb: Notebook, note: Note) -> Iterator[Diagnostic]:
    if not isinstance(note, Conversation):
        return
    for i, slug in enumerate(note.with_):
        yield from _person_ref(nb, note, slug, ("with", i), "with")
    yield from _org_ref(nb, note, note.org, ("org",))
    yield from _person_ref(nb, note, note.recorded_by, ("recorded_by",), "recorded_by")
    if note.next:
        yield from _person_ref(nb, note, note.next.turn, ("next", "turn"), "turn", ("me", "them"))
    for c in note.commitments:
        yield from _person_ref(nb, note, c.owner, ("commitments", c.index, "owner"), "owner")
        yield from _person_ref(nb, note, c.to, ("commitments", c.index, "to"), "to")


def check_referrals(nb: Notebook, note: Note) -> Iterable[Diagnostic]:
    if not isinstance(note, Conversation) or not note.referrals:
        return ()
    return _referral_problems(nb, note)


def _referral_problems(nb: Notebook, note: Conversation) -> Iterator[Diagnostic]:
    for r in note.referrals:
        at: Path = ("referrals", r.index)
        if r.by is None and note.with_:
            line, col = _at(note, at)
            yield Diagnostic(note.path, line, col, "referral-needs-by",
                             f"this conversation is with {len(note.with_)} people: say who made the "
                             f"recommendation with `by:` (one of {', '.join(note.with_)}, or `me`)")
        else:
            yield from _person_ref(nb, note, r.by, at + ("by",), "by")
        yield from _person_ref(nb, note, r.to, at + ("to",), "to")
        if SLUG_RE.match(r.recommends) and r.recommends not in nb.people and r.recommends not in nb.orgs \
                and r.recommends != "me":
            line, col = _at(note, at + ("recommends",))
            known = list(nb.people) + list(nb.orgs)
            yield Diagnostic(note.path, line, col, "unknown-recommendation",
                             f"`recommends: {r.recommends}` names no person or org{did_you_mean(r.recommends, known)}; "
                             "write a name with capitals or spaces for someone with no file yet")


def check_wiki_links(nb: Notebook, note: Note) -> Iterable[Diagnostic]:
    return [Diagnostic(note.path, line, col, "broken-link",
                       f"`[[{target}]]` links to no person, org or conversation{did_you_mean(target, nb.slugs)}")
            for target, line, col in note.links if target not in nb.slugs] if note.links else ()


NOTE_CHECKS: list[Callable[[Notebook, Note], Iterable[Diagnostic]]] = [
    check_person,
    check_conversation_refs,
    check_referrals,
    check_wiki_links,
]


def check_unique(nb: Notebook) -> Iterator[Diagnostic]:
    """Conversation slugs and commitment ids are unique across the notebook."""
    return (problem for _paths, problem in unique_problems(nb))


def unique_problems(nb: Notebook) -> Iterator[tuple[tuple[str, ...], Diagnostic]]:
    """:func:`check_unique`'s problems, each with the paths of every conversation it depends on
    (those sharing the slug or id, or the one whose ``closes`` names no id): a note in none of
    them can change without changing these problems as long as its slug, ids and ``closes`` stay."""
    by_slug: dict[str, list[Conversation]] = defaultdict(list)
    by_id: dict[str, list[tuple[Conversation, int]]] = defaultdict(list)
    for conv in nb.conversations:
        by_slug[conv.slug].append(conv)
        for c in conv.commitments:
            if c.id:
                by_id[c.id].append((conv, c.index))
    for slug, convs in by_slug.items():
        for conv in convs[1:]:
            others = ", ".join(c.path for c in convs if c is not conv)
            yield tuple(c.path for c in convs), Diagnostic(conv.path, 1, 1, "duplicate-slug",
                                                           f"conversation slug `{slug}` is also used by {others}")
    for ident, places in by_id.items():
        if len(places) < 2:
            continue
        first = places[0]
        for conv, index in places[1:]:
            line, col = _at(conv, ("commitments", index, "id"))
            yield tuple(c.path for c, _ in places), Diagnostic(
                conv.path, line, col, "duplicate-id", f"commitment id `{ident}` is also used in {first[0].path}")
    for conv in nb.conversations:
        for i, ident in enumerate(conv.closes):
            if ident not in by_id:
                line, col = _at(conv, ("closes", i))
                yield (conv.path,), Diagnostic(conv.path, line, col, "unknown-id",
                                               f"`closes`: no commitment has `id: {ident}`{did_you_mean(ident, by_id)}")


def check_config(nb: Notebook) -> Iterator[Diagnostic]:
    me = nb.config.me
    if me and me not in nb.people and nb.files:
        yield Diagnostic("convo.yml", 1, 1, "bad-config",
                         f"`me: {me}`: no person `{me}` in notes/people/{did_you_mean(me, nb.people)}")


def check_authors(nb: Notebook, only: Iterable[Conversation] | None = None) -> Iterator[Diagnostic]:
    """In a team notebook, a note's `me` must have an author (format v1.1): warnings with the fix.

    Each conversation's warning depends on it alone (and on the team and ``convo.yml``):
    ``only`` checks those conversations (:func:`note_problems`)."""
    from .model import OVERLAY

    if len(nb.team) < 2:
        return
    owner = nb.config.me
    written_for_v11 = str(nb.config.raw.get("format", "")).strip() in ("1.1", "v1.1")
    who = f"`{owner}`, the `me` of convo.yml" if owner else "nobody (convo.yml names no `me`)"
    unknown = (f"this note uses `me` (or a default owner) but has no `recorded_by`, so it is read as written "
               f"by {who}; add `recorded_by: SLUG` (`convo fix recorded-by` writes it from git history)")
    for conv in [*nb.conversations, *nb.incomplete] if only is None else only:
        if not conv.me_line or conv.path.startswith(OVERLAY):
            continue
        author = conv.recorded_by if conv.recorded_by != "me" else None
        if author is None:  # one message for them all: a notebook can have thousands
            yield Diagnostic(conv.path, conv.me_line, 1, "unknown-author", unknown)
        elif owner and author != owner and not written_for_v11:
            yield Diagnostic(conv.path, conv.me_line, 1, "me-meaning-changed",
                             f"`me` here is `{author}` (the note's `recorded_by`) since format v1.1; in v1 it "
                             f"was `{owner}` (convo.yml's `me`): write `{owner}` where that was meant, then "
                             "add `format: 1.1` to convo.yml")


NOTEBOOK_CHECKS: list[Callable[[Notebook], Iterable[Diagnostic]]] = [check_unique, check_config, check_authors]


def run_checks(nb: Notebook, only: Iterable[Note] | None = None, whole: bool = True) -> list[Diagnostic]:
    """Run every check; a failing check is reported as an internal error, never raised.

    ``only``: run the per-note checks on these notes alone (the language server's open
    buffers); the checks over the whole notebook run unless ``whole`` is off (a snapshot
    that keeps their problems, :mod:`.cache.views`).
    """
    out: list[Diagnostic] = []
    notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations, *nb.incomplete] \
        if only is None else list(only)
    for note in notes:
        for check in NOTE_CHECKS:
            try:
                out.extend(check(nb, note))
            except Exception as exc:  # noqa: BLE001 - reported, never raised
                out.append(Diagnostic(note.path, 1, 1, "internal-error",
                                      f"internal error in {check.__name__} ({type(exc).__name__}: {exc}); "
                                      "please report it"))
    for check_all in NOTEBOOK_CHECKS if whole else ():
        try:
            out.extend(check_all(nb))
        except Exception as exc:  # noqa: BLE001
            out.append(Diagnostic("convo.yml", 1, 1, "internal-error",
                                  f"internal error in {check_all.__name__} ({type(exc).__name__}: {exc}); "
                                  "please report it"))
    return out


def note_problems(nb: Notebook, conversations: list[Conversation]) -> list[Diagnostic]:
    """What the checks find in these conversations themselves, against every person and org of
    ``nb`` and ``nb.slugs``: all but the problems between notes (:func:`unique_problems`, each
    with the paths it depends on) and those of ``convo.yml`` (:func:`check_config`). The agenda
    snapshot (:mod:`.cache.views`) keeps the others and asks this of the notes that changed."""
    return [*run_checks(nb, conversations, whole=False), *check_authors(nb, conversations)]
