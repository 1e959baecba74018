"""The note format, declared once as data.

:data:`KINDS` lists every field of every kind of note, with its type, whether
it is required and what it means. From this one declaration come the
front-matter checks (:func:`coerce`), the JSON Schema for editors
(:func:`json_schema`) and the format reference table (:func:`markdown_table`).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

from .diagnostics import Diagnostic, did_you_mean
from .parse import FrontMatter, Path, Quoted, Value

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION_RE = re.compile(r"^(\d+)\s*([dwmy])$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n", "true", "false"})
CHANNELS = ("call", "meeting", "email", "chat", "video", "letter", "event", "other")


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the format: its name, type, whether it is required, and what it means."""

    name: str
    type: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: tuple["Field", ...] = ()  # for "mapping" and "mappings"


@dataclass(frozen=True)
class Duration:
    """A keep-in-touch interval: ``14d``, ``2w``, ``3m`` (calendar months), ``1y``."""

    count: int
    unit: str  # d, w, m, y

    def after(self, day: dt.date) -> dt.date:
        if self.unit == "d":
            return day + dt.timedelta(days=self.count)
        if self.unit == "w":
            return day + dt.timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "y" else 1)
        year, month0 = divmod(day.month - 1 + months, 12)
        year += day.year
        month = month0 + 1
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, min(day.day, last))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


NEXT = (
    Field("turn", "turn", "whose move it is: `me`, `them` (the people in `with`) or a person slug", True),
    Field("by", "date", "when the next move is due"),
    Field("about", "string", "what the next move is"),
)
COMMITMENT = (
    Field("what", "string", "what was promised", True),
    Field("owner", "person", "who must act: a person slug or `me` (default `me`)"),
    Field("to", "person", "who it is owed to: a person slug or `me`"),
    Field("due", "date", "when it is due"),
    Field("done", "date", "when it was fulfilled"),
    Field("id", "slug", "an id unique across the notebook, so `closes` in a later conversation can close it"),
)
REFERRAL = (
    Field("recommends", "recommends", "a person or org slug, or free text for someone with no file yet", True),
    Field("for", "strings", "the need or topic, or a list of them", True),
    Field("by", "person", "who made the recommendation (default: the single person in `with`)"),
    Field("to", "person", "who received it (default `me`); anyone else makes it an introduction"),
    Field("note", "string", "anything worth remembering about it"),
)

KINDS: dict[str, tuple[Field, ...]] = {
    "person": (
        Field("name", "string", "display name", True),
        Field("org", "org", "where they work (an org slug)"),
        Field("role", "string", "their role"),
        Field("email", "strings", "email address, or a list of them"),
        Field("phone", "strings", "phone number, or a list of them"),
        Field("expertise", "list", "what they know about (\"who knows X\")"),
        Field("tags", "list", "free tags"),
        Field("aliases", "list", "other names they go by"),
        Field("cadence", "duration", "keep in touch at least this often: `14d`, `2w`, `3m`, `1y`"),
        Field("team", "bool", "a member of our own team"),
        Field("private", "bool", "never on the site"),
    ),
    "org": (
        Field("name", "string", "display name", True),
        Field("what", "string", "what the organization does"),
        Field("website", "string", "its website"),
        Field("tags", "list", "free tags"),
        Field("private", "bool", "never on the site"),
    ),
    "conversation": (
        Field("date", "datetime", "when it happened: `2026-11-18` or `2026-11-18T14:30`", True),
        Field("with", "people", "who we talked with: a person slug or a list of them", True),
        Field("title", "string", "defaults to the body's first `#` heading, else the slug"),
        Field("channel", "enum", "how it happened", choices=CHANNELS),
        Field("thread", "slug", "the ongoing conversation this belongs to"),
        Field("org", "org", "defaults to the org of the people in `with`"),
        Field("recorded_by", "person", "who on the team wrote it (default `me`)"),
        Field("tags", "list", "free tags"),
        Field("interests", "list", "what they care about, asked for or received"),
        Field("private", "bool", "never on the site"),
        Field("next", "mapping", "whose turn it is to speak next, and by when", fields=NEXT),
        Field("commitments", "mappings", "promises made in this conversation", fields=COMMITMENT),
        Field("closes", "ids", "ids of commitments fulfilled in this conversation"),
        Field("referrals", "mappings", "recommendations and introductions made in it", fields=REFERRAL),
    ),
}
KIND_OF_SUBFIELDS = {"next": NEXT, "commitments": COMMITMENT, "referrals": REFERRAL}


class _Checker:
    """Applies a field list to a parsed mapping, collecting diagnostics."""

    def __init__(self, path: str, fm: FrontMatter) -> None:
        self.path = path
        self.locs = fm.locs
        self.key_locs = fm.key_locs
        self.diagnostics: list[Diagnostic] = []

    def report(self, at: Path, code: str, message: str, key: bool = False) -> None:
        where = (self.key_locs.get(at) if key else None) or self.locs.get(at)
        probe = at
        while where is None and probe:
            probe = probe[:-1]
            where = self.locs.get(probe)
        line, col = where or (1, 1)
        self.diagnostics.append(Diagnostic(self.path, line, col, code, message))

    def mapping(self, fields: tuple[Field, ...], data: dict[str, Value], at: Path, what: str) -> dict[str, Any]:
        known = {f.name: f for f in fields}
        out: dict[str, Any] = {}
        has_private = "private" in known
        for key in data:
            if key not in known:
                if has_private and looks_like_private(key):
                    # Fails closed: whatever its value, a near-miss `private` keeps the note off the site.
                    self.report(at + (key,), "misspelled-private",
                                f"`{key}` is not `private`: the note is kept off the site until this is "
                                "written `private: true` or `private: false`", key=True)
                    out["private"] = True
                    continue
                self.report(at + (key,), "unknown-field",
                            f"unknown field `{key}` in {what}{did_you_mean(key, known)}", key=True)
        for spec in fields:
            raw = data.get(spec.name)
            if raw is None and spec.name == "private" and spec.name in data:
                self.report(at + (spec.name,), "empty-private",
                            "`private` has no value (empty, `~` or `null`): the note is kept off the site "
                            "until this is written `private: true` or `private: false`", key=True)
                out["private"] = True
                continue
            if raw is None or (isinstance(raw, (list, dict)) and not raw and spec.required):
                if spec.required:
                    self.report(at, "missing-field", f"{what} needs `{spec.name}` ({spec.description})")
                continue
            value = self.value(spec, raw, at + (spec.name,))
            if value is not None:
                out[spec.name] = (out.get("private") or value) if spec.name == "private" else value
        return out

    def value(self, spec: Field, raw: Value, at: Path) -> Any:
        handler = _HANDLERS[spec.type]
        return handler(self, spec, raw, at)


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


PRIVATE_NEAR_MISS = 2  # edits (insert, delete, replace, swap two neighbours) from `private`


def looks_like_private(key: str) -> bool:
    """True for a key that is not ``private`` but differs from it only by case, spacing or a near-miss
    spelling (``Private``, ``privtae``, ``privat``, ``pivate``): such a key makes the note private."""
    folded = "".join(key.split()).casefold().strip("_-")
    return key != "private" and _edit_distance(folded, "private") <= PRIVATE_NEAR_MISS


def _expect_text(checker: _Checker, spec: Field, raw: Value, at: Path, shape: str = "text") -> str | None:
    if isinstance(raw, str):
        return str(raw) if type(raw) is not str else raw  # records hold plain str, not Quoted
    got = "a list" if isinstance(raw, list) else "a mapping"
    checker.report(at, "wrong-type", f"`{spec.name}` must be {shape}, not {got}")
    return None


def _string(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    return _expect_text(checker, spec, raw, at)


def _string_list(checker: _Checker, spec: Field, raw: Value, at: Path) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        where = at + (i,) if isinstance(raw, list) else at
        if item is None:
            continue
        if not isinstance(item, str):
            checker.report(where, "wrong-type", f"each entry of `{spec.name}` must be text")
            continue
        out.append(item)
    return tuple(out)


def parse_date(text: str) -> dt.date | None:
    """A real calendar date from ``YYYY-MM-DD``, else None."""
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_datetime(text: str) -> dt.datetime | None:
    """A date-time from ``YYYY-MM-DDTHH:MM[:SS]`` (offset ignored for ordering), else None."""
    match = _DATETIME_RE.match(text.strip())
    if not match:
        return None
    try:
        return dt.datetime(int(match[1]), int(match[2]), int(match[3]), int(match[4]), int(match[5]),
                           int(match[6] or 0))
    except ValueError:
        return None


def _date(checker: _Checker, spec: Field, raw: Value, at: Path) -> dt.date | None:
    text = _expect_text(checker, spec, raw, at, "a date")
    if text is None:
        return None
    day = parse_date(text)
    if day is None:
        why = "not a real date" if _DATE_RE.match(text.strip()) else "not a date in YYYY-MM-DD form"
        checker.report(at, "bad-date", f"`{spec.name}: {text}` is {why}")
    return day


def _datetime(checker: _Checker, spec: Field, raw: Value, at: Path) -> dt.date | dt.datetime | None:
    text = _expect_text(checker, spec, raw, at, "a date")
    if text is None:
        return None
    day = parse_date(text)
    if day is not None:
        return day
    moment = parse_datetime(text)
    if moment is None:
        shaped = _DATE_RE.match(text.strip()) or _DATETIME_RE.match(text.strip())
        why = "not a real date" if shaped else "not a date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDTHH:MM`)"
        checker.report(at, "bad-date", f"`{spec.name}: {text}` is {why}")
    return moment


def _bool(checker: _Checker, spec: Field, raw: Value, at: Path) -> bool | None:
    if isinstance(raw, str) and not isinstance(raw, Quoted):
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
    shown = raw if isinstance(raw, str) else "a list or mapping"
    checker.report(at, "bad-boolean", f"`{spec.name}` must be `true` or `false`, not `{shown}`")
    # An unreadable `private` fails closed: the note is treated as private.
    return True if spec.name == "private" else None


def _slug(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    text = _expect_text(checker, spec, raw, at, "a slug")
    if text is None:
        return None
    if not SLUG_RE.match(text):
        checker.report(at, "bad-slug",
                       f"`{text}` is not a slug (lowercase letters, digits and hyphens, "
                       f"e.g. `{slugify(text) or 'dana-reyes'}`)")
        return None
    return sys.intern(text)  # slugs repeat across notes: one object each, stored once in the cache


def _person(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    return _slug(checker, spec, raw, at)


def _people(checker: _Checker, spec: Field, raw: Value, at: Path) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for i, item in enumerate(items):
        if item is None:
            continue
        slug = _slug(checker, spec, item, at + (i,) if isinstance(raw, list) else at)
        if slug is not None and slug not in out:
            out.append(slug)
    if not out:
        if all(item is None for item in items):
            checker.report(at, "missing-field", f"`{spec.name}` needs at least one person slug")
        return None
    return tuple(out)


def _turn(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    return _slug(checker, spec, raw, at)


def _enum(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    text = _expect_text(checker, spec, raw, at)
    if text is None:
        return None
    if text not in spec.choices:
        checker.report(at, "bad-value", f"`{spec.name}: {text}` is not one of {', '.join(spec.choices)}"
                       + did_you_mean(text, spec.choices))
        return None
    return text


def _duration(checker: _Checker, spec: Field, raw: Value, at: Path) -> Duration | None:
    text = _expect_text(checker, spec, raw, at, "a duration")
    if text is None:
        return None
    match = _DURATION_RE.match(text.strip())
    if not match or int(match[1]) == 0:
        checker.report(at, "bad-duration", f"`{spec.name}: {text}` is not a duration like 14d, 2w, 3m or 1y")
        return None
    return Duration(int(match[1]), match[2])


def _ids(checker: _Checker, spec: Field, raw: Value, at: Path) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        slug = _slug(checker, spec, item, at + (i,) if isinstance(raw, list) else at)
        if slug:
            out.append(slug)
    return tuple(out)


def _recommends(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    text = _expect_text(checker, spec, raw, at)
    if text is not None and not text.strip():
        return None
    return text.strip() if text is not None else None


def _mapping(checker: _Checker, spec: Field, raw: Value, at: Path) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        checker.report(at, "wrong-type", f"`{spec.name}` must be a mapping of fields "
                       f"({', '.join(f.name for f in spec.fields)})")
        return None
    return checker.mapping(spec.fields, raw, at, f"`{spec.name}`")


def _mappings(checker: _Checker, spec: Field, raw: Value, at: Path) -> tuple[tuple[int, dict[str, Any]], ...] | None:
    if not isinstance(raw, list):
        checker.report(at, "wrong-type", f"`{spec.name}` must be a list of entries starting with `- `")
        return None
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            checker.report(at + (i,), "wrong-type", f"each entry of `{spec.name}` must be a mapping of fields "
                           f"({', '.join(f.name for f in spec.fields)})")
            continue
        out.append((i, checker.mapping(spec.fields, item, at + (i,), f"this entry of `{spec.name}`")))
    return tuple(out)


_HANDLERS: dict[str, Callable[[_Checker, Field, Value, Path], Any]] = {
    "string": _string,
    "strings": _string_list,
    "list": _string_list,
    "date": _date,
    "datetime": _datetime,
    "bool": _bool,
    "slug": _slug,
    "person": _person,
    "people": _people,
    "turn": _turn,
    "org": _slug,
    "enum": _enum,
    "duration": _duration,
    "ids": _ids,
    "recommends": _recommends,
    "mapping": _mapping,
    "mappings": _mappings,
}


def coerce(kind: str, path: str, fm: FrontMatter) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Check parsed front matter against the declaration of ``kind``; normalized values + problems."""
    checker = _Checker(path, fm)
    assert fm.data is not None
    values = checker.mapping(KINDS[kind], fm.data, (), f"a {kind}")
    return values, checker.diagnostics


_SLUGIFY_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, limit: int = 60) -> str:
    """A slug from free text: ``"Supplier choice: fit"`` -> ``supplier-choice-fit``."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _SLUGIFY_DROP.sub("-", ascii_text).strip("-")
    return slug[:limit].rstrip("-")


# --- generated artefacts -------------------------------------------------------------

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "strings": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "list": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    # A date (checked as a real date by editors that assert `format`), or a date-time.
    "datetime": {"type": "string", "anyOf": [
        {"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        {"pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"},
    ]},
    "bool": {"type": "boolean"},
    "slug": {"type": "string", "pattern": SLUG_RE.pattern},
    "person": {"type": "string", "pattern": SLUG_RE.pattern},
    "people": {"oneOf": [{"type": "string", "pattern": SLUG_RE.pattern},
                         {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": SLUG_RE.pattern}}]},
    "turn": {"type": "string", "pattern": SLUG_RE.pattern},
    "org": {"type": "string", "pattern": SLUG_RE.pattern},
    "duration": {"type": "string", "pattern": r"^0*[1-9]\d*\s*[dwmy]$"},
    "ids": {"oneOf": [{"type": "string", "pattern": SLUG_RE.pattern},
                      {"type": "array", "items": {"type": "string", "pattern": SLUG_RE.pattern}}]},
    "recommends": {"type": "string", "minLength": 1},
}


def _json_object(fields: tuple[Field, ...]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for spec in fields:
        if spec.type == "enum":
            prop: dict[str, Any] = {"enum": list(spec.choices)}
        elif spec.type == "mapping":
            prop = _json_object(spec.fields)
        elif spec.type == "mappings":
            prop = {"type": "array", "items": _json_object(spec.fields)}
        else:
            prop = dict(_JSON_TYPES[spec.type])
        props[spec.name] = {"description": spec.description, **prop}
    required = [f.name for f in fields if f.required]
    obj: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        obj["required"] = required
    return obj


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind's front matter, for editors."""
    body = _json_object(KINDS[kind])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://convo-notes.invalid/schema/v1/{kind}.json",
        "title": f"convo-notes {kind} front matter (format v1)",
        **body,
    }


TYPE_LABELS = {
    "string": "text",
    "strings": "text, or a list of text",
    "list": "list of text",
    "date": "date `YYYY-MM-DD`",
    "datetime": "date, or date-time `YYYY-MM-DDTHH:MM`",
    "bool": "`true` or `false`",
    "slug": "slug",
    "person": "person slug or `me`",
    "people": "person slug, or a list of them",
    "turn": "`me`, `them` or a person slug",
    "org": "org slug",
    "duration": "duration (`14d`, `2w`, `3m`, `1y`)",
    "ids": "list of commitment ids",
    "recommends": "person or org slug, or free text",
    "mapping": "mapping",
    "mappings": "list of mappings",
}


def markdown_table(kind: str) -> str:
    """The format reference table of one kind, as Markdown."""
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]

    def add(fields: tuple[Field, ...], prefix: str) -> None:
        for spec in fields:
            kind_text = TYPE_LABELS.get(spec.type, spec.type) if not spec.choices else \
                " \\| ".join(f"`{c}`" for c in spec.choices)
            rows.append(f"| `{prefix}{spec.name}` | {kind_text} | {'yes' if spec.required else 'no'} "
                        f"| {spec.description} |")
            if spec.fields:
                add(spec.fields, prefix + spec.name + ("[]." if spec.type == "mappings" else "."))

    add(KINDS[kind], "")
    return "\n".join(rows)
