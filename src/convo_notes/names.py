"""The one name resolver: what a person or org typed on the command line stands for.

Every option and argument that names a person or an org (``--with``, ``--owner``,
``--by``, ``--to``, ``brief``) goes through :func:`resolve`, so the same words
find the same record everywhere. In order, the first rule that gives exactly one
answer wins:

1. ``me`` (the person reading: ``--me``, ``CONVO_ME``, the user's config, else the notebook's ``me``);
2. the slug itself;
3. the slug in any case or spacing (``PRIYA-SHAH``, ``priya shah``, ``Priya  Shah``);
4. a display name or alias, ignoring case and repeated spaces;
5. a unique prefix of a slug, name or alias (``priya``), or a unique first name.

When a rule matches several records the answer is ambiguous: :class:`NotFound`
lists them. When nothing matches, :class:`NotFound` suggests the closest slugs,
never the input itself.
"""

from __future__ import annotations

import re
from typing import Iterable, Literal

from .diagnostics import did_you_mean
from .errors import NotFound
from .model import Notebook

Kind = Literal["person", "org"]
_SPACES = re.compile(r"[\s_]+")


def normalize(text: str) -> str:
    """Lowercase, with runs of spaces and underscores as one hyphen: the form of a slug."""
    return _SPACES.sub("-", text.strip().casefold()).strip("-")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def candidates(nb: Notebook, kinds: Iterable[Kind] = ("person", "org")) -> dict[str, list[str]]:
    """Each slug of the wanted kinds with the names it answers to (slug, name, aliases)."""
    out: dict[str, list[str]] = {}
    if "person" in kinds:
        for p in nb.people.values():
            out[p.slug] = [p.name, *p.aliases]
    if "org" in kinds:
        for o in nb.orgs.values():
            out.setdefault(o.slug, [o.name])
    return out


def lookup(nb: Notebook, text: str, kinds: Iterable[Kind] = ("person", "org"), prefix: bool = True) -> list[str]:
    """Every slug ``text`` may stand for, by the first rule that matches anything (see the module).

    ``prefix=False`` leaves out rule 5: for names read from files (a chat export), where
    only a whole name or alias may stand for a person.
    """
    kinds = tuple(kinds)
    if text.strip().casefold() == "me" and "person" in kinds:
        me = nb.viewer
        return [me] if me else ["me"]
    known = candidates(nb, kinds)
    if text in known:
        return [text]
    slug_form = normalize(text)
    if slug_form in known:
        return [slug_form]
    folded = _fold(text)
    by_name = sorted(s for s, labels in known.items() if folded in {_fold(n) for n in labels})
    if by_name:
        return by_name
    if not folded or not prefix:
        return []
    return sorted(s for s, labels in known.items()
                  if s.startswith(slug_form) or any(_fold(n).startswith(folded) for n in labels))


def phone_key(phone: str) -> str:
    """A phone number's comparable form: its last nine digits (``+1 (555) 010-2030`` ~ ``555-010-2030``)."""
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 7 else ""


def contact_index(nb: Notebook) -> tuple[dict[str, str], dict[str, str]]:
    """``({email address: slug}, {phone key: slug})`` of every person.

    Addresses are lowercased; an alias that is an address (``dana@old-employer.com``)
    counts as one. An address or number shared by two people is left out: it
    names neither for sure.
    """
    emails: dict[str, str | None] = {}
    phones: dict[str, str | None] = {}
    for person in nb.people.values():
        for addr in (*person.emails, *(a for a in person.aliases if "@" in a)):
            key = addr.strip().strip("<>").lower()
            emails[key] = person.slug if emails.get(key, person.slug) == person.slug else None
        for phone in person.phones:
            key = phone_key(phone)
            if key:
                phones[key] = person.slug if phones.get(key, person.slug) == person.slug else None
    return ({k: v for k, v in emails.items() if v}, {k: v for k, v in phones.items() if v})


def resolve(nb: Notebook, text: str, kinds: Iterable[Kind] = ("person", "org"), what: str = "person or org") -> str:
    """The one slug ``text`` stands for, or :class:`NotFound` with the ambiguity or a suggestion."""
    kinds = tuple(kinds)
    found = lookup(nb, text, kinds)
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(f"`{s}` ({nb.display(s)})" for s in found[:8])
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        raise NotFound(f"`{text}` could be {listed}{more}: give the slug")
    known = [s for s in candidates(nb, kinds) if s != text]
    folders: dict[tuple[Kind, ...], str] = {("person",): "in notes/people/", ("org",): "in notes/orgs/"}
    where = folders.get(kinds, "in this notebook")
    raise NotFound(f"no {what} `{text}` {where}{did_you_mean(normalize(text), known)}")


def resolve_optional(nb: Notebook, text: str | None, kinds: Iterable[Kind] = ("person",),
                     option: str = "", what: str = "person") -> str | None:
    """:func:`resolve` for an optional value; the error names the option it came from."""
    if text is None:
        return None
    try:
        return resolve(nb, text, kinds, what)
    except NotFound as exc:
        raise NotFound(f"{option}: {exc}" if option else str(exc)) from None
