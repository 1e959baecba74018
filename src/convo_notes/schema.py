"""The note format, declared once as data.

:data:`KINDS` lists every field of every kind of note, with its type, whether
it is required and what it means. From this one declaration come the
front-matter checks (:func:`coerce`), the JSON Schema for editors
(:func:`json_schema`) and the format reference table (:func:`markdown_table`).
:data:`CONFIG` declares ``convo.yml`` the same way (:func:`coerce_config`).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any, Callable, NamedTuple, cast

from .dates import (  # noqa: F401 - Duration and Repeat are read from here too
    _DATE_RE,
    MAX_DURATION,
    MAX_DURATION_YEARS,
    Duration,
    Repeat,
    add_days,
    add_months,
    in_range,
    parse_date,
    range_text,
)
from .diagnostics import Diagnostic, did_you_mean
from .parse import FrontMatter, Path, Quoted, Value

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION_RE = re.compile(r"^(\d+)\s*([dwmy])$")
_CADENCE_RE = re.compile(r"^(\d+)\s*([dwmy])(?:\s*\.\.\s*(\d+)\s*([dwmy]))?$")
_REPEAT_RE = re.compile(r"^(\.?\+)?(\d+)\s*([dwmy])$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n", "true", "false"})
# Obsidian writes a link in a property as `"[[dana-reyes]]"` or `"[[dana-reyes|Dana]]"`: wherever
# the format expects a slug, both spellings name the same note as the bare slug (:func:`unwrap_link`).
WIKI_REF = re.compile(r"^\[\[[ \t]*([^\]|#\s]+)[ \t]*(?:\|[^\]]*)?\]\]$")
CHANNELS = ("call", "meeting", "email", "chat", "video", "letter", "event", "other")


class Field(NamedTuple):
    """One field of the format: its name, type, whether it is required, and what it means."""

    name: str
    type: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: tuple["Field", ...] = ()  # for "mapping" and "mappings"




NEXT = (
    Field("turn", "turn", "whose move it is: `me`, `them` (the people in `with`) or a person slug", True),
    Field("by", "date", "when the next move is due"),
    Field("about", "string", "what the next move is"),
    Field("snooze", "date", "hidden from `convo due` until this date (`convo snooze`); shown again on it"),
)
COMMITMENT = (
    Field("what", "string", "what was promised", True),
    Field("owner", "person", "who must act: a person slug or `me` (default `me`)"),
    Field("to", "person", "who it is owed to: a person slug or `me`"),
    Field("due", "date", "when it is due (for a recurring commitment: its next occurrence)"),
    Field("done", "date", "when it was fulfilled (on a recurring commitment: the series ended)"),
    Field("id", "slug", "an id unique across the notebook, so `closes` in a later conversation can close it"),
    Field("snooze", "date", "hidden from `convo due` until this date (`convo snooze`); shown again on it"),
    Field("every", "repeat", "repeats: `1w` (or `+1w`) counts from the previous `due`, `.+1w` from the day "
          "it was done; `convo done` then moves `due` to the next occurrence"),
    Field("last_done", "date", "when a recurring commitment was last done (written by `convo done`)"),
    Field("warn", "duration", "list it this long before it is due, whatever the agenda's window (`3d`)"),
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
        Field("cadence", "cadence", "keep in touch at least this often: `14d`, `2w`, `3m`, `1y`; or a window "
              "`2w..4w` (due after the first, overdue after the second); wins over `keep_in_touch` in convo.yml"),
        Field("snooze", "date", "no keep-in-touch reminder until this date (`convo snooze`)"),
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
        Field("thread", "thread", "the ongoing conversation this belongs to: a slug, or the key `convo threads` "
              "shows for a thread of a `with` set (`ben-ito+marta-kowal`)"),
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

# `convo.yml`, declared like the notes: checked with located errors, documented and given a JSON Schema
# from this one declaration.
SITE = (
    Field("title", "string", "the site's title (default `Conversations`)"),
    Field("private_by_default", "bool",
          "`true`: only notes that say `private: false` are published (privacy by default)"),
    Field("visibility", "enum", "deprecated spelling: `visibility: private` is `private_by_default: true`",
          choices=("private", "public")),
)
TOPICS = (
    Field("aliases", "text-map", "other words for a topic, each mapped to the topic it means "
          "(`plumber: plumbing`)"),
)
LINT = (
    Field("off", "list", "lint codes `convo validate` does not run (`long-wait`, `org-without-what`, ...)"),
)
AGENDA = (
    Field("follow_up", "duration", "how long someone else's move (or a commitment owed to us) may go "
          "without a date before it is listed as a stale wait (default `7d`)"),
    Field("warn", "duration", "list every commitment this long before it is due, whatever the window "
          "(a commitment's own `warn` wins)"),
)
CONFIG = (
    Field("me", "slug", "the notebook's own person: the author of notes without `recorded_by` (a reader sets "
          "whose view it is with `--me` or `CONVO_ME`)"),
    Field("links", "enum", "how `convo new` writes references to people: `plain` slugs, or `obsidian` "
          "links (`\"[[dana-reyes]]\"`)", choices=("plain", "obsidian")),
    Field("lint", "mapping", "which lints `convo validate` runs (see docs/validate.md)", fields=LINT),
    Field("agenda", "mapping", "how `convo due` finds stale waits and warns early", fields=AGENDA),
    Field("keep_in_touch", "cadence-map", "a cadence for people by tag (`clients: 2w`, "
          "`neighbours: 3m..6m`); a person's own `cadence` wins, else the first of their tags given a cadence here"),
    Field("site", "mapping", "options of the team site", fields=SITE),
    Field("topics", "mapping", "how `convo referrals` matches topics", fields=TOPICS),
)


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
        known, steps, index, required = _plan(fields)
        out: dict[str, Any] = {}
        has_private = "private" in known
        picked: list[int] = []  # the declared fields the data holds (the others have nothing to check)
        for key in data:
            pos = index.get(key)
            if pos is not None:
                picked.append(pos)
            else:
                if has_private and looks_like_private(key):
                    # Fails closed: whatever its value, a near-miss `private` keeps the note off the site.
                    self.report(at + (key,), "misspelled-private",
                                f"`{key}` is not `private`: the note is kept off the site until this is "
                                "written `private: true` or `private: false`", key=True)
                    out["private"] = True
                    continue
                self.report(at + (key,), "unknown-field",
                            f"unknown field `{key}` in {what}{did_you_mean(key, known)}", key=True)
        get = data.get
        for pos in sorted({*picked, *required}) if required else sorted(picked):  # in their declared order
            name, spec, handler, needed = steps[pos]
            raw = get(name)
            if raw is None:
                if name == "private" and name in data:
                    self.report(at + (name,), "empty-private",
                                "`private` has no value (empty, `~` or `null`): the note is kept off the site "
                                "until this is written `private: true` or `private: false`", key=True)
                    out["private"] = True
                elif needed:
                    self.report(at, "missing-field", f"{what} needs `{name}` ({spec.description})")
                continue
            if needed and not raw and isinstance(raw, (list, dict)):
                self.report(at, "missing-field", f"{what} needs `{name}` ({spec.description})")
                continue
            value = handler(self, spec, raw, at + (name,))
            if value is not None:
                out[name] = (out.get("private") or value) if name == "private" else value
        return out

    def value(self, spec: Field, raw: Value, at: Path) -> Any:
        handler = _HANDLERS[spec.type]
        return handler(self, spec, raw, at)


Step = tuple[str, "Field", Callable[["_Checker", "Field", Value, Path], Any], bool]
Plan = tuple[dict[str, "Field"], tuple[Step, ...], dict[str, int], tuple[int, ...]]
_PLANS: dict[int, tuple[tuple["Field", ...], Plan]] = {}


def _plan(fields: tuple[Field, ...]) -> Plan:
    """The fields by name; each field's name, handler and whether it is required, in order; each
    name's place in that order; the places of the required fields. Made once per declaration
    (the declarations are module constants), not once per note."""
    made = _PLANS.get(id(fields))
    if made is None or made[0] is not fields:
        made = (fields, ({f.name: f for f in fields},
                         tuple((f.name, f, _HANDLERS[f.type], f.required) for f in fields),
                         {f.name: i for i, f in enumerate(fields)},
                         tuple(i for i, f in enumerate(fields) if f.required)))
        _PLANS[id(fields)] = made
    return made[1]


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
    if type(raw) is list and all(type(item) is str for item in raw):
        return tuple(cast("list[str]", raw))  # the usual case: plain text each (the loop keeps them as they are)
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


# Texts already read as a valid date (or date-time), and what they read as: a notebook repeats
# the same few thousand dates and slugs across its notes. Only plain text that passed every
# check is kept (its answer depends on the text alone), and at most _MEMO_MAX of each.
_DAYS: dict[str, dt.date] = {}
_MOMENTS: dict[str, dt.date | dt.datetime] = {}
_SLUGS: dict[str, str] = {}
_THREADS: dict[str, str] = {}
_MEMO_MAX = 20_000


def _remember(memo: dict[str, Any], raw: Value, value: Any) -> Any:
    if value is not None and type(raw) is str and len(memo) < _MEMO_MAX:
        memo[raw] = value
    return value


def _date(checker: _Checker, spec: Field, raw: Value, at: Path) -> dt.date | None:
    if type(raw) is str:
        known = _DAYS.get(raw)
        if known is not None:
            return known
    text = _expect_text(checker, spec, raw, at, "a date")
    if text is None:
        return None
    day = parse_date(text)
    if day is None:
        why = "not a real date" if _DATE_RE.match(text.strip()) else "not a date in YYYY-MM-DD form"
        checker.report(at, "bad-date", f"`{spec.name}: {text}` is {why}")
    return _remember(_DAYS, raw, _in_range(checker, spec, text, day, at))


def _in_range(checker: _Checker, spec: Field, text: str, day: dt.date | None, at: Path) -> Any:
    """``day`` when it lies in the supported range of dates, else None and an ``out-of-range`` error."""
    if day is None or in_range(day):
        return day
    checker.report(at, "out-of-range", f"`{spec.name}: {text}` is outside the supported dates ({range_text()})")
    return None


def _datetime(checker: _Checker, spec: Field, raw: Value, at: Path) -> dt.date | dt.datetime | None:
    if type(raw) is str:
        known = _MOMENTS.get(raw)
        if known is not None:
            return known
    text = _expect_text(checker, spec, raw, at, "a date")
    if text is None:
        return None
    day = parse_date(text)
    if day is not None:
        return _remember(_MOMENTS, raw, _in_range(checker, spec, text, day, at))
    moment = parse_datetime(text)
    if moment is None:
        shaped = _DATE_RE.match(text.strip()) or _DATETIME_RE.match(text.strip())
        why = "not a real date" if shaped else "not a date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDTHH:MM`)"
        checker.report(at, "bad-date", f"`{spec.name}: {text}` is {why}")
    return _remember(_MOMENTS, raw, _in_range(checker, spec, text, moment, at))


def _bool(checker: _Checker, spec: Field, raw: Value, at: Path) -> bool | None:
    if isinstance(raw, str) and not isinstance(raw, Quoted):
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
    shown = raw if isinstance(raw, str) else "a list or mapping"
    checker.report(at, "bad-boolean", f"`{spec.name}` must be `true` or `false`, not `{shown}`")
    # An unreadable `private` (or `private_by_default`) fails closed: the note is treated as private.
    return True if spec.name in ("private", "private_by_default") else None


def unwrap_link(text: str) -> str:
    """The slug in an Obsidian-style link ``[[slug]]`` or ``[[slug|Label]]``; other text as it is.

    The one place that makes both spellings the same reference: every field that holds a
    slug goes through it, so every command and the site treat them alike.
    """
    if text.startswith("[["):
        match = WIKI_REF.match(text.strip())
        if match:
            return match.group(1)
    return text


def _slug(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    if type(raw) is str:  # the usual case: a plain slug as it is
        known = _SLUGS.get(raw)
        if known is not None:
            return known
        if SLUG_RE.match(raw):
            return _remember(_SLUGS, raw, sys.intern(raw))
    text = _expect_text(checker, spec, raw, at, "a slug")
    if text is None:
        return None
    text = unwrap_link(text)
    if not SLUG_RE.match(text):
        checker.report(at, "bad-slug",
                       f"`{text}` is not a slug (lowercase letters, digits and hyphens, "
                       f"e.g. `{slugify(text) or 'dana-reyes'}`)")
        return None
    return sys.intern(text)  # slugs repeat across notes: one object each, stored once in the cache


THREAD_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\+[a-z0-9]+(?:-[a-z0-9]+)*)*$")


def _thread(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    """A thread slug, or slugs joined by ``+`` (the key of a thread made of a ``with`` set)."""
    if type(raw) is str:
        known = _THREADS.get(raw)
        if known is not None:
            return known
    return _remember(_THREADS, raw, _thread_text(checker, spec, raw, at))


def _thread_text(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    text = _expect_text(checker, spec, raw, at, "a slug")
    if text is None:
        return None
    if not THREAD_RE.match(text):
        checker.report(at, "bad-slug",
                       f"`{text}` is not a thread slug (lowercase letters, digits and hyphens, or the slugs "
                       f"of a `with` set joined by `+`; e.g. `{slugify(text) or 'harbor-renewal'}`)")
        return None
    if "+" in text:  # one key whatever the order the slugs were written in
        text = "+".join(sorted(set(text.split("+"))))
    return sys.intern(text)


def _person(checker: _Checker, spec: Field, raw: Value, at: Path) -> str | None:
    return _slug(checker, spec, raw, at)


def _people(checker: _Checker, spec: Field, raw: Value, at: Path) -> tuple[str, ...] | None:
    if type(raw) is list and raw:  # the usual case: slugs already read, each once
        known = tuple(_SLUGS.get(item) for item in raw if type(item) is str)
        if len(known) == len(raw) and None not in known and len(set(known)) == len(known):
            return known  # type: ignore[return-value]
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


def _count(digits: str, unit: str) -> int:
    """A duration's count from its digits; a count of thousands of digits is never converted (int()
    refuses such strings): it stands for "too long"."""
    digits = digits.lstrip("0")
    return int(digits) if 0 < len(digits) <= 9 else MAX_DURATION[unit] + 1 if digits else 0


def _too_long(checker: _Checker, name: str, text: str, at: Path, *parts: tuple[int, str]) -> bool:
    """Report (``out-of-range``) a duration of more than :data:`MAX_DURATION_YEARS` years."""
    if all(count <= MAX_DURATION[unit] for count, unit in parts):
        return False
    longest = ", ".join(f"{n}{u}" for u, n in MAX_DURATION.items())
    checker.report(at, "out-of-range", f"`{name}: {text}` is longer than {MAX_DURATION_YEARS} years "
                   f"(at most {longest})")
    return True


def _duration(checker: _Checker, spec: Field, raw: Value, at: Path) -> Duration | None:
    text = _expect_text(checker, spec, raw, at, "a duration")
    if text is None:
        return None
    match = _DURATION_RE.match(text.strip())
    unit = match[2] if match else "d"
    count = _count(match[1], unit) if match else 0
    if count == 0:
        checker.report(at, "bad-duration", f"`{spec.name}: {text}` is not a duration like 14d, 2w, 3m or 1y")
        return None
    if _too_long(checker, spec.name, text, at, (count, unit)):
        return None
    return Duration(count, unit)


def _cadence(checker: _Checker, spec: Field, raw: Value, at: Path) -> Duration | None:
    text = _expect_text(checker, spec, raw, at, "a duration")
    if text is None:
        return None
    return _cadence_text(checker, spec.name, text, at)


def _cadence_text(checker: _Checker, name: str, text: str, at: Path) -> Duration | None:
    match = _CADENCE_RE.match(text.strip())
    first = _count(match[1], match[2]) if match else 0
    second = _count(match[3], match[4]) if match and match[3] is not None else None
    if match and first > 0 and second != 0:
        if _too_long(checker, name, text, at, (first, match[2]), *([(second, match[4])] if second else [])):
            return None
        ideal = Duration(first, match[2])
        if second is None:
            return ideal
        maximum = Duration(second, match[4])
        probe = dt.date(2001, 1, 31)
        if maximum.after(probe) >= ideal.after(probe):
            return Duration(ideal.count, ideal.unit, maximum)
    window = ", or a window like 2w..4w (the second no shorter than the first)" if ".." in text else ""
    checker.report(at, "bad-duration", f"`{name}: {text}` is not a duration like 14d, 2w, 3m or 1y{window}")
    return None


def _cadence_map(checker: _Checker, spec: Field, raw: Value, at: Path) -> dict[str, Duration] | None:
    if not isinstance(raw, dict):
        checker.report(at, "wrong-type", f"`{spec.name}` must be a mapping of `tag: cadence` lines")
        return None
    out: dict[str, Duration] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            checker.report(at + (key,), "wrong-type", f"`{spec.name}: {key}` must be a duration like 2w")
            continue
        found = _cadence_text(checker, str(key), value, at + (key,))
        if found is not None:
            out[str(key).casefold()] = found
    return out


def _repeat(checker: _Checker, spec: Field, raw: Value, at: Path) -> Repeat | None:
    text = _expect_text(checker, spec, raw, at, "a repeat")
    if text is None:
        return None
    match = _REPEAT_RE.match(text.strip())
    count = _count(match[2], match[3]) if match else 0
    if not match or count == 0:
        checker.report(at, "bad-duration", f"`{spec.name}: {text}` is not a repeat like 1w, +1w (from the "
                       "previous due date) or .+1w (from the day it was done)")
        return None
    if _too_long(checker, spec.name, text, at, (count, match[3])):
        return None
    return Repeat(Duration(count, match[3]), match[1] == ".+")


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
    return unwrap_link(text.strip()) if text is not None else None


def _text_map(checker: _Checker, spec: Field, raw: Value, at: Path) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        checker.report(at, "wrong-type", f"`{spec.name}` must be a mapping of `word: meaning` lines")
        return None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            checker.report(at + (key,), "wrong-type", f"`{spec.name}: {key}` must be text")
            continue
        out[str(key)] = str(value)
    return out


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
    "thread": _thread,
    "person": _person,
    "people": _people,
    "turn": _turn,
    "org": _slug,
    "enum": _enum,
    "duration": _duration,
    "cadence": _cadence,
    "cadence-map": _cadence_map,
    "repeat": _repeat,
    "ids": _ids,
    "recommends": _recommends,
    "text-map": _text_map,
    "mapping": _mapping,
    "mappings": _mappings,
}


def coerce(kind: str, path: str, fm: FrontMatter) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Check parsed front matter against the declaration of ``kind``; normalized values + problems."""
    checker = _Checker(path, fm)
    assert fm.data is not None
    values = checker.mapping(KINDS[kind], fm.data, (), f"a {kind}")
    return values, checker.diagnostics


def coerce_config(path: str, fm: FrontMatter) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Check ``convo.yml`` against :data:`CONFIG`: normalized values and located problems.

    Unknown keys are warnings (a later version, or another tool, may use them); every
    other problem is an error of code ``bad-config`` at the value's line and column.
    """
    checker = _Checker(path, fm)
    values = checker.mapping(CONFIG, fm.data or {}, (), "convo.yml") if isinstance(fm.data, dict) else {}
    problems = [d if d.severity != "error" else Diagnostic(d.path, d.line, d.column, "bad-config", d.message)
                for d in checker.diagnostics]
    return values, problems


_SLUGIFY_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, limit: int = 60) -> str:
    """A slug from free text: ``"Supplier choice: fit"`` -> ``supplier-choice-fit``."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _SLUGIFY_DROP.sub("-", ascii_text).strip("-")
    return slug[:limit].rstrip("-")


# --- generated artefacts -------------------------------------------------------------

# The years of :data:`.dates.MIN_DATE` to :data:`.dates.MAX_DATE`, and a count of 1 up to
# :data:`.dates.MAX_DURATION` in each unit, as regular expressions for editors' JSON Schema.
_YEAR = r"(?:19\d{2}|2\d{3})"
_COUNTS = {
    "d": r"[1-9]\d{0,3}|[12]\d{4}|3[0-5]\d{3}|36[0-4]\d{2}|36500",
    "w": r"[1-9]\d{0,2}|[1-4]\d{3}|5[01]\d{2}|5200",
    "m": r"[1-9]\d{0,2}|1[01]\d{2}|1200",
    "y": r"[1-9]\d?|100",
}
DURATION_PATTERN = "^0*(?:" + "|".join(f"(?:{n})\\s*{u}" for u, n in _COUNTS.items()) + ")$"
_DURATION_CORE = DURATION_PATTERN[1:-1]
CADENCE_PATTERN = f"^{_DURATION_CORE}(?:\\s*\\.\\.\\s*{_DURATION_CORE})?$"
REPEAT_PATTERN = f"^(?:\\.?\\+)?{_DURATION_CORE}$"
# A slug, or the same slug as an Obsidian link (what :func:`unwrap_link` accepts), for editors.
_SLUG_CORE = SLUG_RE.pattern[1:-1]
SLUG_OR_LINK = rf"^(?:{_SLUG_CORE}|\[\[[ \t]*{_SLUG_CORE}[ \t]*(?:\|[^\]]*)?\]\])$"

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "strings": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "list": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "date": {"type": "string", "format": "date", "pattern": rf"^{_YEAR}-\d{{2}}-\d{{2}}$"},
    # A date (checked as a real date by editors that assert `format`), or a date-time.
    "datetime": {"type": "string", "anyOf": [
        {"format": "date", "pattern": rf"^{_YEAR}-\d{{2}}-\d{{2}}$"},
        {"pattern": rf"^{_YEAR}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}(:\d{{2}}(\.\d+)?)?\s*(Z|[+-]\d{{2}}:?\d{{2}})?$"},
    ]},
    "bool": {"type": "boolean"},
    "slug": {"type": "string", "pattern": SLUG_OR_LINK},
    "thread": {"type": "string", "pattern": THREAD_RE.pattern},
    "person": {"type": "string", "pattern": SLUG_OR_LINK},
    "people": {"oneOf": [{"type": "string", "pattern": SLUG_OR_LINK},
                         {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": SLUG_OR_LINK}}]},
    "turn": {"type": "string", "pattern": SLUG_OR_LINK},
    "org": {"type": "string", "pattern": SLUG_OR_LINK},
    "duration": {"type": "string", "pattern": DURATION_PATTERN},
    "ids": {"oneOf": [{"type": "string", "pattern": SLUG_OR_LINK},
                      {"type": "array", "items": {"type": "string", "pattern": SLUG_OR_LINK}}]},
    "cadence": {"type": "string", "pattern": CADENCE_PATTERN},
    "cadence-map": {"type": "object", "additionalProperties": {"type": "string", "pattern": CADENCE_PATTERN}},
    "repeat": {"type": "string", "pattern": REPEAT_PATTERN},
    "recommends": {"type": "string", "minLength": 1},
    "text-map": {"type": "object", "additionalProperties": {"type": "string"}},
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
    """The JSON Schema (draft 2020-12) of one kind's front matter, or of ``convo.yml`` (``config``)."""
    body = _json_object(CONFIG if kind == "config" else KINDS[kind])
    title = "convo-notes convo.yml settings" if kind == "config" else f"convo-notes {kind} front matter (format v1)"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://convo-notes.invalid/schema/v1/{kind}.json",
        "title": title,
        **body,
    }


TYPE_LABELS = {
    "string": "text",
    "strings": "text, or a list of text",
    "list": "list of text",
    "date": f"date `YYYY-MM-DD`, {range_text()}",
    "datetime": f"date, or date-time `YYYY-MM-DDTHH:MM`, {range_text()}",
    "bool": "`true` or `false`",
    "slug": "slug",
    "thread": "slug, or slugs joined by `+`",
    "person": "person slug or `me`",
    "people": "person slug, or a list of them",
    "turn": "`me`, `them` or a person slug",
    "org": "org slug",
    "duration": f"duration (`14d`, `2w`, `3m`, `1y`), at most {MAX_DURATION_YEARS} years",
    "cadence": "duration, or a window `2w..4w`",
    "cadence-map": "mapping of tag to cadence",
    "repeat": "repeat (`1w`, `+1w`, `.+1w`)",
    "ids": "list of commitment ids",
    "recommends": "person or org slug, or free text",
    "text-map": "mapping of text to text",
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

    add(CONFIG if kind == "config" else KINDS[kind], "")
    return "\n".join(rows)
