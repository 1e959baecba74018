"""Diagnostics: errors as values, with the place in the file they are about.

Every problem convo-notes finds in a file is a :class:`Diagnostic`. Loaders
and checks return lists of them and carry on; nothing raises for bad input.
Each diagnostic has a stable code from :data:`CODES`; ``docs/errors.md`` is
generated from that table (a test keeps them in step).
"""

from __future__ import annotations

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
        "A YAML tag such as `!!python/object` is used (only YAML's standard tags are read); tags are never run.",
        "`title: !!python/object/apply:os.system [echo hi]`, or `with: !!str [a, b]` (a tag that does not fit)",
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
    "out-of-range": Code(
        "error",
        "A date lies outside 1900-01-01 to 2999-12-31, or a duration is longer than 100 years.",
        "`due: 9999-12-31` or `cadence: 1000000000d`.",
        "Write a date between 1900-01-01 and 2999-12-31, and a duration of at most 36500d, 5200w, 1200m or 100y.",
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
    "unknown-author": Code(
        "warning",
        "In a notebook with several team members, a conversation uses `me` (or relies on a default such "
        "as a commitment's `owner`) but does not say who wrote it, so `me` falls back to `convo.yml`'s `me`.",
        "Jordan's note `owner: me` with no `recorded_by`, in a notebook whose `me` is Alex.",
        "Add `recorded_by: SLUG` (the team member who wrote it); `convo fix recorded-by` writes it into "
        "every such note from git history (the author of the commit that added the file).",
    ),
    "me-meaning-changed": Code(
        "warning",
        "A conversation recorded by someone other than `convo.yml`'s `me` uses `me`: in format v1 that "
        "`me` meant the notebook's `me`, since v1.1 it means the note's author (`recorded_by`).",
        "`recorded_by: jordan-lee` and `turn: me`, in a notebook whose `me` is `alex-kim`.",
        "Check what the note meant: write the slug (`turn: alex-kim`) where `me` meant the notebook's "
        "person; then add `format: 1.1` to `convo.yml` to say the notebook is written for v1.1.",
    ),
    "bad-config": Code(
        "error",
        "`convo.yml` cannot be read or has a wrong value.",
        "`me: Sam` (not a slug) or `me: nobody` with no such person.",
        "Fix the setting; docs/format-reference.md lists every `convo.yml` key.",
    ),
    "future-conversation": Code(
        "warning",
        "Lint: a conversation is dated after today.",
        "`date: 2027-11-18` in a note written on 2026-11-18.",
        "Fix the date; plan what comes next with `next:` or a commitment's `due:` instead.",
    ),
    "with-me": Code(
        "warning",
        "Lint: a conversation lists the notebook's own person in `with`.",
        "`with: [sam-okafor, dana-reyes]` in Sam's notebook.",
        "List only the people you talked with; who wrote it is `recorded_by`.",
    ),
    "org-without-what": Code(
        "warning",
        "Lint: an organization does not say what it does.",
        "`notes/orgs/harbor-logistics.md` with `name:` only.",
        "Add `what:` with one line about what they do, for whoever calls them next.",
    ),
    "client-without-org": Code(
        "warning",
        "Lint: a person tagged `client` or `customer` has no `org`.",
        "`tags: [client]` and no `org:`.",
        "Add `org:` with their organization's slug (create it with a note in notes/orgs/).",
    ),
    "long-wait": Code(
        "warning",
        "Lint: a thread has waited on someone else for more than 60 days.",
        "`next: {turn: them}` in a conversation of August, in November.",
        "Nudge them (and record it), or settle the thread by writing the latest conversation without `next`.",
    ),
    "deprecated-setting": Code(
        "warning",
        "A `convo.yml` setting uses an old spelling that still works but will not be documented.",
        "`site: {visibility: private}`.",
        "Write the setting the new way the message gives (`private_by_default: true`).",
    ),
    "note-too-large": Code(
        "error",
        "The note file is larger than 8 MiB; it is not read (at most the limit is ever read) and not published.",
        "A 200 MB log pasted into a note, or a note that is a symlink to a huge file.",
        "Move the bulk out of the note (link to an attachment) so the note stays under 8 MiB.",
    ),
    "not-a-file": Code(
        "error",
        "A `*.md` entry under `notes/` is a FIFO, device or socket (or a symlink to one); it is never opened.",
        "`notes/x.md` a symlink to `/dev/zero`, or a named pipe `notes/y.md` (`mkfifo`).",
        "Delete the entry, or replace it with a regular Markdown file.",
    ),
    "dangling-symlink": Code(
        "error",
        "A `*.md` entry or folder under `notes/` is a symlink whose target does not exist; it is skipped.",
        "`notes/people/dana.md -> ../../old/dana.md` after `old/` was deleted.",
        "Point the symlink at an existing note inside the notebook, or delete it.",
    ),
    "symlink-outside": Code(
        "error",
        "A note or folder under `notes/` is a symlink to a place outside the notebook; it is not read "
        "and never published.",
        "`notes/people/secret.md -> /home/me/secret.md`, or a folder `notes/shared -> /mnt/share`.",
        "Copy the file into the notebook instead of linking to it, or delete the symlink.",
    ),
    "symlink-loop": Code(
        "error",
        "A symlinked folder under `notes/` leads back to a folder already read (a loop, or a second way "
        "into the same folder); it is not followed.",
        "`notes/conversations/again -> ..` (the folder contains itself).",
        "Delete the symlink; each folder of notes should be reachable one way only.",
    ),
    "unreadable": Code(
        "error",
        "A note or folder under `notes/` cannot be read (permission denied, or it vanished); it is skipped "
        "and never published.",
        "A folder `notes/hr/` with mode `000`.",
        "Fix the permissions (`chmod u+rX`) or move the file out of `notes/`.",
    ),
    "bad-file-name": Code(
        "error",
        "A note or folder name under `notes/` is not valid UTF-8; it is skipped (shown with `\ufffd` for the "
        "bytes that do not decode) and never published.",
        "`notes/caf\xe9.md`, a Latin-1 name copied from an old system.",
        "Rename the file with a UTF-8 name (slugs are lowercase ASCII letters, digits and hyphens).",
    ),
    "mkdocs-config": Code(
        "error",
        "The notebook's `mkdocs.yml` uses a YAML tag that would construct a Python object or run code "
        "(only MkDocs' `!ENV` and `!relative`, and `!!python/name:` of `material.`, `pymdownx.` or `markdown.` "
        "objects are allowed), declares `hooks`, or cannot be read; the site is not built.",
        "`site_name: !!python/object/apply:os.system [touch /tmp/pwned]`",
        "Remove the tag or the `hooks:` setting; write the value as plain text.",
    ),
    "import-skipped": Code(
        "warning",
        "`convo import` could not use a message or event of the file it reads, and skipped it; the rest is imported.",
        "A message with no headers, no sender or no readable date in an mbox, or a chat line that is not a message.",
        "Nothing to do in the notebook; repair the source (or ignore the message) and import again: "
        "what was imported is not imported twice.",
    ),
    "import-caveat": Code(
        "warning",
        "`convo import` imported a message but not all of it as it was.",
        "A wrong charset (text decoded as well as it could be), a 50 MB attachment (named, not copied), "
        "a message that refers to itself in `References`.",
        "Check the note the message went to; the source file is left as it is.",
    ),
    "internal-error": Code(
        "error",
        "convo-notes itself failed while checking this file. This is a bug: please report it.",
        "(none: this should never happen)",
        "Report the file and the message; the rest of the notebook was still checked.",
    ),
}


class Diagnostic(NamedTuple):
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
