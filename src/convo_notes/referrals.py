"""The network's memory: who was recommended for what, by whom, and who knows what.

A query module: it reads :class:`~convo_notes.model.Referral` records from a
loaded notebook and builds a *directory by need*. The CLI
(``convo referrals``) and the team site render the same records.

Topics are compared by a key (:func:`normalize_topic`):

1. lowercase; hyphens, underscores and runs of spaces become one space;
2. each word loses one plural ending (``-es`` after s/x/z/ch/sh, else ``-s``;
   never ``-ss``, ``-us``, ``-is``), then one of ``-ing`` / ``-er``, as long as
   at least three letters remain (``plumbers`` -> ``plumber`` -> ``plumb``);
3. the whole phrase is looked up in ``convo.yml`` ``topics: aliases:``
   (whose keys and values are normalized the same way), so
   ``accountant: accounting`` sends ``Accountants`` to ``accounting``.

A recommended party is a person or org slug, or free text. Free text is
compared case-insensitively with whitespace collapsed, so two
``Brightline Bookkeeping`` mentions are one party; free text that is exactly
the name of one person or org in the notebook is that person or org.

Parties are ranked by the number of *independent* recommenders (the same
recommender twice counts once; ``me`` and the notebook's own slug are one
person; an unknown recommender counts once per conversation), then by the
most recent recommendation, then by name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .model import Conversation, Notebook, Person, Referral

_SEPARATORS = re.compile(r"[\s\-_]+")
_KEEP_S = ("ss", "us", "is")
_MIN_STEM = 3


def _stem_word(word: str) -> str:
    """One word without one plural ending and then one of ``-ing`` / ``-er``."""
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")) and len(word) - 2 >= _MIN_STEM:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(_KEEP_S) and len(word) - 1 >= _MIN_STEM:
        word = word[:-1]
    for suffix in ("ing", "er"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=4096)
def topic_stem(text: str) -> str:
    """The topic key before aliases: lowercase, separators collapsed, each word stemmed."""
    words = _SEPARATORS.sub(" ", text.strip().lower()).split(" ")
    return " ".join(_stem_word(w) for w in words if w)


def topic_normalizer(aliases: dict[str, str] | None = None) -> Callable[[str], str]:
    """A function giving :func:`normalize_topic` keys, with the alias table built once."""
    table = {topic_stem(k): topic_stem(v) for k, v in (aliases or {}).items()}

    def normalize(text: str) -> str:
        key = topic_stem(text)
        seen = {key}
        while key in table and table[key] not in seen:
            key = table[key]
            seen.add(key)
        return key

    return normalize


def normalize_topic(text: str, aliases: dict[str, str] | None = None) -> str:
    """The key a topic is compared by: :func:`topic_stem`, then ``convo.yml`` aliases.

    ``plumber``, ``Plumbers`` and ``plumbing`` all give ``plumb``; with the
    alias ``accountant: accounting``, ``accountants`` gives ``account``.
    Aliases are followed until they stop (a cycle stops where it started).
    """
    return topic_normalizer(aliases)(text)


def _fold(text: str) -> str:
    """Free text compared case-insensitively with whitespace collapsed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommendation of a party for a topic, in the conversation where it was made."""

    referral: Referral
    conversation: Conversation
    by: str | None  # canonical person slug (``me`` resolved), None when unknown
    to: str  # canonical person slug (``me`` resolved)
    introduction: bool  # made to someone other than me
    private: bool  # from a private conversation

    @property
    def date(self) -> dt.date:
        return self.conversation.date

    @property
    def note(self) -> str | None:
        return self.referral.note

    @property
    def source(self) -> str:
        """``PATH:LINE`` of the referral in its conversation."""
        return f"{self.referral.path}:{self.referral.line}"

    @property
    def recommender_key(self) -> str:
        """Who counts as one independent recommender."""
        return self.by if self.by is not None else f"?{self.conversation.path}"


@dataclass(slots=True)
class Party:
    """Someone recommended for a topic: a person, an org, or free text with no file yet."""

    key: str  # the slug, or the folded free text
    kind: str  # "person", "org" or "text"
    name: str
    slug: str | None
    private: bool  # the person's or org's own note is private
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def recommenders(self) -> int:
        """The number of independent recommenders."""
        return len({r.recommender_key for r in self.recommendations})

    @property
    def latest(self) -> dt.date:
        return max(r.date for r in self.recommendations)

    def rank_key(self) -> tuple[int, int, str, str]:
        return (-self.recommenders, -self.latest.toordinal(), self.name.casefold(), self.key)


@dataclass(frozen=True, slots=True)
class Expert:
    """A person whose ``expertise`` matches a topic."""

    person: Person
    matched: tuple[str, ...]  # their expertise entries that match, as written
    private: bool


@dataclass(slots=True)
class TopicEntry:
    """One topic of the directory: its recommended parties, ranked, and who knows about it."""

    key: str
    label: str  # how the topic is shown: an alias target, else its most written form
    forms: list[str]  # every spelling seen, most used first
    parties: list[Party]
    experts: list[Expert] = field(default_factory=list)


@dataclass(slots=True)
class _Sighting:
    """Every spelling of every topic key seen, with how often, in notebook order."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, int] = field(default_factory=dict)

    def add(self, form: str) -> None:
        self.counts[form] += 1
        self.first.setdefault(form, len(self.first))

    def ordered(self) -> list[str]:
        return sorted(self.counts, key=lambda f: (-self.counts[f], self.first[f]))


def _visible(nb: Notebook, slug: str | None) -> bool:
    """False for a private person or org (kept off the site)."""
    note = nb.people.get(slug or "") or nb.orgs.get(slug or "")
    return note is None or not nb.is_private(note)


def names_index(nb: Notebook) -> dict[str, list[str]]:
    """Folded display name -> the person and org slugs that carry it."""
    index: dict[str, list[str]] = {}
    for slug, person in nb.people.items():
        index.setdefault(_fold(person.name), []).append(slug)
    for slug, org in nb.orgs.items():
        index.setdefault(_fold(org.name), []).append(slug)
    return index


def _party_for(nb: Notebook, recommends: str, names: dict[str, list[str]] | None = None,
               ) -> tuple[str, str, str, str | None, bool]:
    """``(key, kind, name, slug, private)`` for a referral's ``recommends``.

    Free text that is exactly one person's or org's name counts as them (``names``: see
    :func:`names_index`, built once per directory).
    """
    slug = nb.canon(recommends) or recommends
    if slug in nb.people:
        return slug, "person", nb.people[slug].name, slug, nb.is_private(nb.people[slug])
    if slug in nb.orgs:
        return slug, "org", nb.orgs[slug].name, slug, nb.is_private(nb.orgs[slug])
    folded = _fold(recommends)
    named = (names if names is not None else names_index(nb)).get(folded, [])
    if len(named) == 1:
        return _party_for(nb, named[0])
    return folded, "text", " ".join(recommends.split()), None, False


def recommended(nb: Notebook, recommends: str, names: dict[str, list[str]] | None = None) -> str | None:
    """The person or org slug a referral's ``recommends`` stands for (``me`` resolved; free text that
    is exactly one person's or org's name counts as them), or None for someone with no file.

    ``convo brief``, ``convo referrals`` and the site all ask this, so they agree on who was recommended.
    """
    return _party_for(nb, recommends, names)[3]


def recommendations(nb: Notebook, include_private: bool = True) -> Iterable[tuple[Recommendation, str]]:
    """Every ``(recommendation, topic as written)`` in notebook order.

    With ``include_private=False`` (the site), recommendations from private
    conversations, or made by or to a private person, are left out.
    """
    for conv in nb.conversations:
        conv_private = nb.is_private(conv)
        if conv_private and not include_private:
            continue
        for ref in conv.referrals:
            by = nb.canon(ref.by) if ref.by is not None else None
            to = nb.canon(ref.to) or ref.to
            if not include_private and not (_visible(nb, by) and _visible(nb, to)):
                continue
            rec = Recommendation(ref, conv, by, to, not nb.is_ours(to), conv_private)
            for topic in ref.topics:
                yield rec, topic


def experts(nb: Notebook, topic: str, include_private: bool = True) -> list[Expert]:
    """People whose ``expertise`` matches ``topic`` (by :func:`normalize_topic`), by name."""
    return experts_by_topic(nb, include_private).get(topic_normalizer(nb.config.topic_aliases)(topic), [])


def experts_by_topic(nb: Notebook, include_private: bool = True) -> dict[str, list[Expert]]:
    """:func:`experts` of every topic key at once (one pass over the people), each list by name."""
    norm = topic_normalizer(nb.config.topic_aliases)
    found: dict[str, list[Expert]] = {}
    for person in nb.people.values():
        if not person.expertise:
            continue
        private = nb.is_private(person)
        if private and not include_private:
            continue
        matched: dict[str, list[str]] = {}
        for item in person.expertise:
            matched.setdefault(norm(item), []).append(item)
        for key, items in matched.items():
            found.setdefault(key, []).append(Expert(person, tuple(items), private))
    for people in found.values():
        people.sort(key=lambda e: (e.person.name.casefold(), e.person.slug))
    return found


def directory(nb: Notebook, topic: str | None = None, by: str | None = None, to: str | None = None,
              include_private: bool = True) -> list[TopicEntry]:
    """The directory by need: every topic (or the one matching ``topic``) with its parties ranked.

    ``by`` / ``to`` (person slugs or ``me``) keep only recommendations made by /
    received by that person. Topics are sorted by label; each topic's experts
    are filled in (not when filtering by ``by`` / ``to``). Without ``topic``,
    topics left with no party after filtering are dropped. A ``topic`` that
    matches no recommendation gives an entry with no parties when someone has
    that expertise, else an empty list (see :func:`suggest_topics`).
    ``include_private=False`` is the site's view: see :func:`recommendations`;
    private recommended people/orgs and private experts are left out too.
    """
    aliases = nb.config.topic_aliases
    norm = topic_normalizer(aliases)
    want = norm(topic) if topic is not None else None
    by_c = nb.canon(by) if by else None
    to_c = nb.canon(to) if to else None
    parties: dict[str, dict[str, Party]] = {}
    forms: dict[str, _Sighting] = {}
    names = names_index(nb)
    for rec, written in recommendations(nb, include_private):
        key = norm(written)
        if want is not None and key != want:
            continue
        sighting = forms.get(key)
        if sighting is None:  # (made only when new: a tally for every recommendation would cost a fifth)
            sighting = forms[key] = _Sighting()
        sighting.add(written.strip())
        if (by_c and rec.by != by_c) or (to_c and rec.to != to_c):
            continue
        pkey, kind, name, slug, private = _party_for(nb, rec.referral.recommends, names)
        if private and not include_private:
            continue
        of_topic = parties.setdefault(key, {})
        party = of_topic.get(pkey)
        if party is None:
            party = of_topic[pkey] = Party(pkey, kind, name, slug, private)
        if not any(r is rec for r in party.recommendations):  # `for: [plumber, plumbing]` counts once
            party.recommendations.append(rec)
    known_by_topic = {} if (by_c or to_c) and (want is None or want in forms) else \
        experts_by_topic(nb, include_private)
    if want is not None and want not in forms:
        found = known_by_topic.get(want, [])
        if not found:
            return []
        spelled = sorted({e for x in found for e in x.matched})
        forms[want] = _Sighting()
        for form in spelled:
            forms[want].add(form)
    targets = {norm(v): v for v in aliases.values()}
    entries = []
    for key, sighting in forms.items():
        ordered = sighting.ordered()
        label = targets.get(key) or ordered[0]
        ranked = sorted(parties.get(key, {}).values(), key=Party.rank_key)
        if not ranked and want is None:  # filtered away by `by` / `to` or privacy
            continue
        known = [] if (by_c or to_c) else known_by_topic.get(norm(label), [])
        entries.append(TopicEntry(key, label, ordered, ranked, known))
    return sorted(entries, key=lambda e: (e.label.casefold(), e.key))


def known_topics(nb: Notebook, include_private: bool = True) -> dict[str, str]:
    """Every topic key in the notebook (recommendations and expertise) with a label."""
    aliases = nb.config.topic_aliases
    norm = topic_normalizer(aliases)
    labels: dict[str, str] = {}
    for _rec, written in recommendations(nb, include_private):
        labels.setdefault(norm(written), written.strip())
    for person in nb.people.values():
        if include_private or not nb.is_private(person):
            for item in person.expertise:
                labels.setdefault(norm(item), item.strip())
    for target in aliases.values():
        key = norm(target)
        if key in labels:
            labels[key] = target
    return labels


def suggest_topics(nb: Notebook, topic: str, n: int = 3, include_private: bool = True) -> list[str]:
    """The closest existing topics to an unknown one (difflib), best first, as labels."""
    labels = known_topics(nb, include_private)
    key = normalize_topic(topic, nb.config.topic_aliases)
    by_key = difflib.get_close_matches(key, list(labels), n=n, cutoff=0.6)
    by_label = {lab.casefold(): lab for lab in labels.values()}
    by_text = [by_label[m] for m in difflib.get_close_matches(topic.casefold(), list(by_label), n=n, cutoff=0.6)]
    out: list[str] = []
    for label in [labels[k] for k in by_key] + by_text:
        if label not in out:
            out.append(label)
    return out[:n]


