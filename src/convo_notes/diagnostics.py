"""Diagnostics: errors as values, with the place in the file they are about.

Every problem convo-notes finds in a file is a :class:`Diagnostic`. Loaders
and checks return lists of them and carry on; nothing raises for bad input.
Each diagnostic has a stable code from :data:`CODES`; ``docs/errors.md`` is
generated from that table (a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple


class Code(NamedTuple):
    """One stable diagnostic code, documented with an example and a fix."""

    severity: str
    summary: str
    example: str
    fix: str


CODES: dict[str, Code] = {
    "not-utf8": Code(
        "error",
        "The file is not valid UTF-8 text.",
        "A note saved as Latin-1 with `café` in it.",
        "Re-save the file as UTF-8 in your editor.",
    ),
    "no-front-matter": Code(
        "error",
        "The note does not start with a `---` line opening its YAML front matter.",
        "A file whose first line is `# Call with Dana`.",
        "Add `---`, the fields, and a closing `---` at the top of the file.",
    ),
    "unclosed-front-matter": Code(
        "error",
        "The front matter opens with `---` but never closes.",
        "`---` then `date: 2026-11-18` and the body, with no second `---`.",
        "Add a line `---` after the last field.",
    ),
    "yaml-syntax": Code(
        "error",
        "The front matter is not valid YAML.",
        "`with: [dana-reyes` (an unclosed bracket).",
        "Fix the YAML at the reported line; quote values that contain `: ` or start with `[`, `{`, `*`, `&`, `!`.",
    ),
    "yaml-tag": Code(
        "error",
        "A YAML tag such as `!!python/object` is used; tags are refused and never run.",
        "`title: !!python/object/apply:os.system [echo hi]`",
        "Remove the tag; write the value as plain text.",
    ),
    "yaml-too-large": Code(
        "error",
        "The front matter is too large, too deeply nested, or expands aliases too far.",
        "50,000 nested `[` brackets, or an alias 'billion laughs' bomb.",
        "Keep front matter to plain fields; move long text to the note's body.",
    ),
    "not-a-mapping": Code(
        "error",
        "The front matter is not a mapping of `field: value` lines.",
        "Front matter that is a list (`- a`) or a single string.",
        "Write one `field: value` per line.",
    ),
    "duplicate-key": Code(
        "error",
        "The same field appears twice in one mapping; YAML would silently keep the last.",
        "Two `date:` lines in one note.",
        "Delete or merge one of them.",
    ),
    "missing-field": Code(
        "error",
        "A required field is missing or empty.",
        "A conversation with no `date`, or a commitment with no `what`.",
        "Add the field; `convo schema` lists what each kind requires.",
    ),
    "wrong-type": Code(
        "error",
        "A field has the wrong type of value.",
        "`tags: urgent` where a list is expected is fine, but `next: tomorrow` (a mapping is expected) is not.",
        "Write the value in the shape the format asks for (see the format reference).",
    ),
    "bad-date": Code(
        "error",
        "A date is not a real calendar date in `YYYY-MM-DD` form.",
        "`due: 2024-02-30` or `due: next friday`.",
        "Write a real date such as `2026-11-20` (or a date-time `2026-11-20T14:30` for `date`).",
    ),
    "bad-boolean": Code(
        "error",
        "A yes/no field is not `true` or `false`.",
        "`private: yes`",
        "Write `true` or `false`.",
    ),
    "empty-private": Code(
        "error",
        "`private` is there but has no value (empty, `~` or `null`); the note is kept off the site.",
        "`private:` with nothing after it, or `private: ~`.",
        "Write `private: true` or `private: false`.",
    ),
    "misspelled-private": Code(
        "error",
        "A field differs from `private` only by case or a small misspelling; the note is kept off the site.",
        "`Private: true`, `privtae: true` or `privat: false`.",
        "Spell it `private` and give it `true` or `false`.",
    ),
    "bad-value": Code(
        "error",
        "A value is not one of those allowed.",
        "`channel: phone` (allowed: call, meeting, email, chat, video, letter, event, other) or `turn: no`.",
        "Use one of the listed values.",
    ),
    "bad-slug": Code(
        "error",
        "A slug is malformed: slugs are lowercase letters, digits and hyphens.",
        "`with: ../dana` or `thread: Harbor Renewal`, or a file named `Dana Reyes.md`.",
        "Use the slug form, e.g. `dana-reyes`, and rename the file to match.",
    ),
    "bad-duration": Code(
        "error",
        "A duration is not a number followed by d, w, m or y.",
        "`cadence: fortnightly`",
        "Write e.g. `14d`, `2w`, `3m` or `1y`.",
    ),
    "unknown-person": Code(
        "error",
        "A person slug does not match any file in `notes/people/`.",
        "`with: pat-le` when the file is `notes/people/pat-lee.md`.",
        "Fix the slug (a suggestion is given for near misses) or create the person with `convo new --create-people`.",
    ),
    "unknown-org": Code(
        "error",
        "An org slug does not match any file in `notes/orgs/`.",
        "`org: harbour-co` when the file is `notes/orgs/harbor-co.md`.",
        "Fix the slug or add the organization's file.",
    ),
    "unknown-recommendation": Code(
        "error",
        "A referral's slug-shaped `recommends` names no person or org.",
        "`recommends: luis-ortga`",
        "Fix the slug, or write the name as free text (`Luis Ortega`) if they have no file yet.",
    ),
    "duplicate-id": Code(
        "error",
        "Two commitments share an `id`; ids are unique across the notebook.",
        "`id: send-plan` in two conversations.",
        "Rename one of the ids (and any `closes` that mean it).",
    ),
    "unknown-id": Code(
        "error",
        "`closes` names a commitment id that no conversation defines.",
        "`closes: [send-plan]` with no commitment `id: send-plan`.",
        "Fix the id, or add `id:` to the commitment being closed.",
    ),
    "duplicate-slug": Code(
        "error",
        "Two conversations (or two people, or two orgs) have the same slug.",
        "`notes/2026/call.md` and `notes/archive/call.md`.",
        "Rename one of the files.",
    ),
    "referral-needs-by": Code(
        "error",
        "A referral in a conversation with several people must say who made it.",
        "`with: [dana-reyes, kim-nakamura]` and a referral without `by`.",
        "Add `by: dana-reyes` (or `by: me`).",
    ),
    "unknown-field": Code(
        "warning",
        "A field is not part of the format; it is kept but ignored.",
        "`comitments:` (a typo of `commitments`).",
        "Fix the spelling (a suggestion is given) or remove the field.",
    ),
    "broken-link": Code(
        "warning",
        "A `[[slug]]` wiki link in the body points to no person, org or conversation.",
        "`Talked to [[dana-reyess]] about it.`",
        "Fix the slug inside the brackets.",
    ),
    "bad-config": Code(
        "error",
        "`convo.yml` cannot be read or has a wrong value.",
        "`me: Sam` (not a slug) or `me: nobody` with no such person.",
        "Fix the setting; see the configuration reference.",
    ),
    "internal-error": Code(
        "error",
        "convo-notes itself failed while checking this file. This is a bug: please report it.",
        "(none: this should never happen)",
        "Report the file and the message; the rest of the notebook was still checked.",
    ),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem at one place: ``PATH:LINE:COL: severity[CODE]: message``."""

    path: str
    line: int
    column: int
    code: str
    message: str

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


# The file being read right now, so a failure nobody foresaw can still name it.
CURRENT_FILE: dict[str, str] = {}


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``word``, if one is close enough."""
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` or the empty string."""
    hit = suggest(word, candidates)
    return f" (did you mean `{hit}`?)" if hit else ""
