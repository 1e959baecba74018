"""The public view of a notebook: the only thing the team site is built from.

:func:`public_view` returns a new :class:`~convo_notes.model.Notebook` holding
only the notes that :meth:`Notebook.is_private` calls public. Notes that could
not be read (``nb.unreadable``) are never in it. Every page, index, count,
dashboard, the search index, the sitemap, the calendar feed and the copied
attachments are computed from this view alone, with the ordinary queries
(``agenda``, ``referrals``, ``ics``), so privacy is decided once, here.

A public note may still *name* a private (or unreadable) person, org or
conversation: ``with: [dana-reyes, vesna-marlowe]``. In the view such a
reference is replaced by a stand-in slug (``someone-private-<keyed hash>``, one
per hidden slug so threads and recommenders stay distinct) that carries
nothing of the original; :meth:`PublicNotebook.display` shows every stand-in as
``someone (private)``. ``closes`` keeps only ids of public commitments, so a
private conversation's promises and closings never count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from ..fsutil import NOTE_LIMIT, Refused, read_notebook_file, real_root
from ..loader import note_kind
from ..model import Commitment, Config, Conversation, NextTurn, Notebook, Org, Person, Referral

PRIVATE_LABEL = "someone (private)"
_STAND_IN = "someone-private"

T = TypeVar("T", Person, Org, Conversation, NextTurn, Commitment, Referral)  # a record


class PublicNotebook(Notebook):
    """A notebook of public notes only; stand-ins for hidden notes display as ``someone (private)``."""

    stand_ins: frozenset[str] = frozenset()

    def is_reader(self, slug: str | None) -> bool:
        """Nobody: the site is read by the whole team, so it names whose turn it is (never "my turn")."""
        return False

    def display(self, slug: str | None) -> str:
        if slug is not None and (self.canon(slug) or slug) in self.stand_ins and not (
                slug == "me" or self.is_me(slug)):
            return PRIVATE_LABEL
        if slug is not None and self.is_me(slug) and (self.canon(slug) or slug) not in self.people:
            return "me"
        return Notebook.display(self, slug)


@dataclass(frozen=True)
class PublicView:
    """The public notebook plus what the build may say about what was left out (counts only)."""

    nb: PublicNotebook
    hidden: frozenset[str]  # slugs of left-out notes: used only to render "someone (private)"
    stand_ins: frozenset[str]
    private_count: int  # readable notes left out as private
    unreadable_count: int  # notes left out because they could not be read
    # what :func:`public_view` made of each conversation (by the record's id: (record, its public record)),
    # and under which references; a later view reuses a record made from the very same one
    made: dict[int, tuple[Conversation, Conversation]] = dataclasses.field(default_factory=dict, compare=False,
                                                                            repr=False)
    made_under: tuple[object, ...] = dataclasses.field(default=(), compare=False, repr=False)

    def is_hidden(self, slug: str | None) -> bool:
        """True for a stand-in or the slug of a left-out note that no public note owns."""
        if slug is None:
            return False
        return slug in self.stand_ins or (slug in self.hidden and slug not in self.nb.slugs)


def _secret_key(nb: Notebook, paths: list[str]) -> bytes:
    """A key made from the bytes of the notes the site leaves out.

    Only someone holding those private files can compute it, so a stand-in
    reveals nothing of the slug it stands for; yet it is the same from build to
    build (calendar UIDs stay put) until a hidden note itself changes.
    """
    digest = hashlib.blake2b(digest_size=32)
    for rel in sorted(paths):
        digest.update(rel.encode("utf-8") + b"\0")
        try:  # a skipped entry (FIFO, symlink out of the notebook...) is refused here too, never read
            digest.update(read_notebook_file(real_root(str(nb.root)), os.path.join(nb.root, rel), NOTE_LIMIT, "note"))
        except Refused:
            digest.update(b"\1unreadable")
    return digest.digest()


def _tag(slug: str, key: bytes) -> str:
    """A stand-in suffix: stable for a slug under one key, unrelated to it for anyone without the key."""
    return hashlib.blake2b(slug.encode("utf-8"), key=key, digest_size=6).hexdigest()


def _slug_of(rel: str) -> str:
    return rel.rsplit("/", 1)[-1][:-3]


def public_view(nb: Notebook, previous: PublicView | None = None) -> PublicView:
    """The notebook as the site may show it (see the module docstring).

    ``previous``: an earlier view (``convo site serve``); a conversation record that is the very
    object it was made from, under the same references (the same public people and orgs, stand-ins
    and public commitment ids), is not made again: records are frozen, so it would come out the same.
    """
    hidden_people = {s for s, p in nb.people.items() if nb.is_private(p)}
    hidden_orgs = {s for s, o in nb.orgs.items() if nb.is_private(o)}
    hidden_convs = {c.slug for c in nb.conversations if nb.is_private(c)}
    for rel in nb.unreadable:
        {"person": hidden_people, "org": hidden_orgs}.get(note_kind(rel), hidden_convs).add(_slug_of(rel))
    people = {s: p for s, p in nb.people.items() if s not in hidden_people}
    orgs = {s: o for s, o in nb.orgs.items() if s not in hidden_orgs}
    convs = [c for c in nb.conversations if not nb.is_private(c)]
    public_slugs = set(people) | set(orgs) | {c.slug for c in convs}
    hidden = (hidden_people | hidden_orgs | hidden_convs) - public_slugs

    prefix = _STAND_IN
    while any(s.startswith(prefix + "-") for s in nb.slugs | public_slugs):
        prefix += "-x"
    every: list[Person | Org | Conversation] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations]
    hidden_paths = [n.path for n in every if nb.is_private(n)] + sorted(nb.unreadable)
    key = _secret_key(nb, hidden_paths) if hidden else b""
    stand_in = {slug: f"{prefix}-{_tag(slug, key)}" for slug in sorted(hidden)}
    me = nb.config.me
    if me in hidden:
        me = stand_in[me]

    def ref(slug: str | None) -> str | None:
        """A person/org reference as the view holds it."""
        if slug is None or slug == "me" or slug in people or slug in orgs:
            return slug
        return stand_in.get(slug, slug)

    public_ids = {c.id for conv in convs for c in conv.commitments if c.id}
    under = (stand_in, frozenset(people), frozenset(orgs), frozenset(public_ids))
    earlier = previous.made if previous is not None and previous.made_under == under else {}
    made: dict[int, tuple[Conversation, Conversation]] = {}
    new_convs = []
    for conv in convs:
        hit = earlier.get(id(conv))
        public = hit[1] if hit is not None and hit[0] is conv else _public_conversation(conv, ref, public_ids)
        made[id(conv)] = (conv, public)
        new_convs.append(public)
    new_people = {s: _replace(p, org=ref(p.org)) for s, p in people.items()}
    config = Config(me=me, site_title=nb.config.site_title, private_by_default=False,
                    topic_aliases=dict(nb.config.topic_aliases), raw=nb.config.raw)
    files = sorted([p.path for p in new_people.values()] + [o.path for o in orgs.values()]
                   + [c.path for c in new_convs])
    view_nb = PublicNotebook(nb.root, config, new_people, dict(orgs), new_convs, [], set(), files)
    view_nb.stand_ins = frozenset(stand_in.values())
    readable_private = (len(nb.people) - len(people)) + (len(nb.orgs) - len(orgs)) \
        + (len(nb.conversations) - len(convs))
    return PublicView(view_nb, frozenset(hidden), frozenset(stand_in.values()), readable_private,
                      len(nb.unreadable), made, under)


def _replace(record: T, **changes: Any) -> T:
    """``record._replace(**changes)`` only when something changes (records are shared, keep them)."""
    if all(getattr(record, k) == v for k, v in changes.items()):
        return record
    return record._replace(**changes)


def _public_conversation(conv: Conversation, ref: Callable[[str | None], str | None],
                         public_ids: set[str]) -> Conversation:
    nxt = conv.next
    if nxt is not None and nxt.turn not in ("me", "them"):
        nxt = _replace(nxt, turn=ref(nxt.turn))
    commitments = tuple(_replace(c, owner=ref(c.owner), to=ref(c.to)) for c in conv.commitments)
    referrals = tuple(_replace(r, recommends=ref(r.recommends), by=ref(r.by), to=ref(r.to))
                      for r in conv.referrals)
    with_ = tuple(dict.fromkeys(ref(s) or s for s in conv.with_))
    return _replace(
        conv, with_=with_, org=ref(conv.org), recorded_by=ref(conv.recorded_by), next=nxt,
        commitments=commitments, referrals=referrals,
        closes=tuple(i for i in conv.closes if i in public_ids),
    )
