"""One case per diagnostic code: the exact message, line and column `convo validate` prints."""

from __future__ import annotations

import pytest

from convo_notes.diagnostics import CODES
from convo_notes.lints import LINTS

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
    "notes/people/pat-lee.md": "---\nname: Pat Lee\norg: acme\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\nwhat: Anvils\n---\n",
}

# code -> (files, the one expected line of output)
CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    "not-utf8": (
        {"notes/c.md": b"---\ndate: 2026-11-18\nwith: pat-lee\ntitle: caf\xe9\n---\n"},
        "notes/c.md:4:11: error[not-utf8]: not UTF-8 text: byte 0xe9 cannot be decoded",
    ),
    "no-front-matter": (
        {"notes/c.md": "# Call with Pat\n"},
        "notes/c.md:1:1: error[no-front-matter]: no front matter: a note starts with a line `---`",
    ),
    "unclosed-front-matter": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nbody\n"},
        "notes/c.md:1:1: error[unclosed-front-matter]: front matter opened with `---` on line 1 is never "
        "closed by a line `---`",
    ),
    "yaml-syntax": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: [pat-lee\n---\n"},
        "notes/c.md:4:1: error[yaml-syntax]: YAML syntax: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
    ),
    "yaml-tag": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ntitle: !!python/object/apply:os.system [echo hi]\n---\n"},
        "notes/c.md:4:8: error[yaml-tag]: YAML tag `!!python/object/apply:os.system` is not allowed "
        "(tags are never run)",
    ),
    "yaml-too-large": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ntags: " + "[" * 50_000 + "\n---\n"},
        "notes/c.md:4:47: error[yaml-too-large]: front matter nests deeper than 40 levels",
    ),
    "not-a-mapping": (
        {"notes/c.md": "---\n- date\n- with\n---\n"},
        "notes/c.md:2:1: error[not-a-mapping]: front matter must be a mapping of `field: value` lines",
    ),
    "duplicate-key": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ndate: 2026-11-19\n---\n"},
        "notes/c.md:4:1: error[duplicate-key]: field `date` appears twice (first on line 2)",
    ),
    "missing-field": (
        {"notes/c.md": "---\nwith: pat-lee\n---\n"},
        "notes/c.md:2:1: error[missing-field]: a conversation needs `date` (when it happened: "
        "`2026-11-18` or `2026-11-18T14:30`)",
    ),
    "wrong-type": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nnext: tomorrow\n---\n"},
        "notes/c.md:4:7: error[wrong-type]: `next` must be a mapping of fields (turn, by, about, snooze)",
    ),
    "bad-date": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ncommitments:\n  - what: Send it\n"
                       "    due: next friday\n---\n"},
        "notes/c.md:6:10: error[bad-date]: `due: next friday` is not a date in YYYY-MM-DD form",
    ),
    "bad-boolean": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nprivate: yes\n---\n"},
        "notes/c.md:4:10: error[bad-boolean]: `private` must be `true` or `false`, not `yes`",
    ),
    "empty-private": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nprivate:\n---\n"},
        "notes/c.md:4:1: error[empty-private]: `private` has no value (empty, `~` or `null`): the note is "
        "kept off the site until this is written `private: true` or `private: false`",
    ),
    "misspelled-private": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nprivtae: true\n---\n"},
        "notes/c.md:4:1: error[misspelled-private]: `privtae` is not `private`: the note is kept off the site "
        "until this is written `private: true` or `private: false`",
    ),
    "bad-value": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nnext:\n  turn: no\n---\n"},
        "notes/c.md:5:9: error[bad-value]: `turn: no` is not `me` or `them` or a person slug "
        "(older YAML would have read it as a yes/no value)",
    ),
    "bad-slug": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: ../pat-lee\n---\n"},
        "notes/c.md:3:7: error[bad-slug]: `../pat-lee` is not a slug (lowercase letters, digits and hyphens, "
        "e.g. `pat-lee`)",
    ),
    "bad-duration": (
        {"notes/people/kim.md": "---\nname: Kim\ncadence: fortnightly\n---\n"},
        "notes/people/kim.md:3:10: error[bad-duration]: `cadence: fortnightly` is not a duration like 14d, "
        "2w, 3m or 1y",
    ),
    "out-of-range": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ncommitments:\n  - what: Send it\n"
                       "    due: 9999-12-31\n---\n"},
        "notes/c.md:6:10: error[out-of-range]: `due: 9999-12-31` is outside the supported dates "
        "(1900-01-01 to 2999-12-31)",
    ),
    "unknown-person": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: [pat-le]\n---\n"},
        "notes/c.md:3:8: error[unknown-person]: `with`: no person `pat-le` in notes/people/ "
        "(did you mean `pat-lee`?)",
    ),
    "unknown-org": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\norg: acne\n---\n"},
        "notes/c.md:4:6: error[unknown-org]: `org`: no organization `acne` in notes/orgs/ "
        "(did you mean `acme`?)",
    ),
    "unknown-recommendation": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nreferrals:\n  - recommends: luis-ortga\n"
                       "    for: plumbing\n---\n"},
        "notes/c.md:5:17: error[unknown-recommendation]: `recommends: luis-ortga` names no person or org; "
        "write a name with capitals or spaces for someone with no file yet",
    ),
    "duplicate-id": (
        {"notes/a.md": "---\ndate: 2026-11-18\nwith: pat-lee\ncommitments:\n  - id: send-plan\n    what: A\n---\n",
         "notes/b.md": "---\ndate: 2026-11-19\nwith: pat-lee\ncommitments:\n  - id: send-plan\n    what: B\n---\n"},
        "notes/b.md:5:9: error[duplicate-id]: commitment id `send-plan` is also used in notes/a.md",
    ),
    "unknown-id": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ncloses: [send-plan]\n---\n"},
        "notes/c.md:4:10: error[unknown-id]: `closes`: no commitment has `id: send-plan`",
    ),
    "duplicate-slug": (
        {"notes/2025/call.md": "---\ndate: 2025-11-18\nwith: pat-lee\n---\n",
         "notes/2026/call.md": "---\ndate: 2026-11-18\nwith: pat-lee\n---\n"},
        "notes/2026/call.md:1:1: error[duplicate-slug]: conversation slug `call` is also used by "
        "notes/2025/call.md",
    ),
    "referral-needs-by": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: [pat-lee, sam]\nreferrals:\n  - recommends: Ace Plumbing\n"
                       "    for: plumbing\n---\n"},
        "notes/c.md:5:5: error[referral-needs-by]: this conversation is with 2 people: say who made the "
        "recommendation with `by:` (one of pat-lee, sam, or `me`)",
    ),
    "unknown-field": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\ncomitments: []\n---\n"},
        "notes/c.md:4:1: warning[unknown-field]: unknown field `comitments` in a conversation "
        "(did you mean `commitments`?)",
    ),
    "broken-link": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\n---\nTalked to [[pat-le]] about it.\n"},
        "notes/c.md:5:11: warning[broken-link]: `[[pat-le]]` links to no person, org or conversation "
        "(did you mean `pat-lee`?)",
    ),
    "unknown-author": (
        {"notes/people/kim.md": "---\nname: Kim\nteam: true\n---\n",
         "notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nnext:\n  turn: me\n---\n"},
        "notes/c.md:5:1: warning[unknown-author]: this note uses `me` (or a default owner) but has no "
        "`recorded_by`, so it is read as written by `sam`, the `me` of convo.yml; add `recorded_by: SLUG` "
        "(`convo fix recorded-by` writes it from git history)",
    ),
    "me-meaning-changed": (
        {"notes/people/kim.md": "---\nname: Kim\nteam: true\n---\n",
         "notes/c.md": "---\ndate: 2026-11-18\nwith: pat-lee\nrecorded_by: kim\ncommitments:\n"
                       "  - what: Call back\n---\n"},
        "notes/c.md:6:1: warning[me-meaning-changed]: `me` here is `kim` (the note's `recorded_by`) since "
        "format v1.1; in v1 it was `sam` (convo.yml's `me`): write `sam` where that was meant, then add "
        "`format: 1.1` to convo.yml",
    ),
    "bad-config": (
        {"convo.yml": "me: nobody\n"},
        "convo.yml:1:1: error[bad-config]: `me: nobody`: no person `nobody` in notes/people/",
    ),
    "deprecated-setting": (
        {"convo.yml": "me: pat-lee\nsite:\n  visibility: private\n"},
        "convo.yml:3:15: warning[deprecated-setting]: `site: visibility:` is an old spelling: write "
        "`private_by_default: true`",
    ),
    # lints (validate runs them by default; each has its own test in test_lints.py)
    "future-conversation": (
        {"notes/c.md": "---\ndate: 2027-01-05\nwith: pat-lee\n---\n"},
        "notes/c.md:2:7: warning[future-conversation]: dated 2027-01-05, after today (2026-11-22): a "
        "conversation records what happened (plan ahead with `next` or a commitment)",
    ),
    "with-me": (
        {"notes/c.md": "---\ndate: 2026-11-18\nwith: [pat-lee, me]\n---\n"},
        "notes/c.md:3:17: warning[with-me]: `with` names `me`, the notebook's own person: list the others you "
        "talked with",
    ),
    "org-without-what": (
        {"notes/orgs/acme.md": "---\nname: Acme\n---\n"},
        "notes/orgs/acme.md:2:7: warning[org-without-what]: `acme` does not say what it does: add `what:` (one "
        "line for the next caller)",
    ),
    "client-without-org": (
        {"notes/people/ana.md": "---\nname: Ana\ntags: [client]\n---\n"},
        "notes/people/ana.md:3:7: warning[client-without-org]: Ana is tagged as a client but has no `org:`",
    ),
    "long-wait": (
        {"notes/c.md": "---\ndate: 2026-09-01\nwith: pat-lee\nnext: {turn: them}\n---\n"},
        "notes/c.md:4:7: warning[long-wait]: thread `pat-lee` has waited on them for 82 days (since "
        "2026-09-01): nudge them, or settle it by removing `next`",
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code(code, make_notebook, cli):
    files, expected = CASES[code]
    root = make_notebook({**PEOPLE, **files})
    lint = "--lint" if code in LINTS else "--no-lint"
    result = cli("-C", str(root), "--today", "2026-11-22", "validate", lint)
    lines = result.out.splitlines()
    assert lines[:-1] == [expected], result.out
    severity = CODES[code].severity
    assert result.code == (1 if severity == "error" else 0)
    assert "Traceback" not in result.out + result.err


def test_every_code_has_a_case():
    from test_safe_read import FS_CASES  # codes about the file itself (symlinks, FIFOs...) are tested there

    # import-skipped and import-caveat are about the files `convo import` reads, not about notes:
    # tests/test_capture_mail.py::test_bad_input_is_one_warning_line_each_and_nothing_crashes has them.
    assert set(CODES) - set(CASES) - set(FS_CASES) == {"internal-error", "mkdocs-config", "import-skipped",
                                                       "import-caveat"}
    assert not set(CASES) & set(FS_CASES)


def test_internal_error_names_the_file_and_goes_on(make_notebook, cli, monkeypatch):
    from convo_notes import checks

    def broken(nb, note):
        if note.path == "notes/b.md":
            raise RuntimeError("boom")
        return iter(())

    monkeypatch.setattr(checks, "NOTE_CHECKS", [broken, *checks.NOTE_CHECKS])
    root = make_notebook({**PEOPLE, "notes/a.md": "---\ndate: 2026-11-18\nwith: pat-le\n---\n",
                          "notes/b.md": "---\ndate: 2026-11-18\nwith: pat-lee\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert result.out.splitlines()[:2] == [
        "notes/a.md:3:7: error[unknown-person]: `with`: no person `pat-le` in notes/people/ (did you mean `pat-lee`?)",
        "notes/b.md:1:1: error[internal-error]: internal error in broken (RuntimeError: boom); please report it",
    ]


def test_all_problems_in_one_run_sorted(make_notebook, cli):
    root = make_notebook({**PEOPLE,
                          "notes/b.md": "---\ndate: 2024-02-30\nwith: pat-lee\nchannel: phone\n---\n",
                          "notes/a.md": "---\nwith: nobody\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines() == [
        "notes/a.md:2:1: error[missing-field]: a conversation needs `date` (when it happened: "
        "`2026-11-18` or `2026-11-18T14:30`)",
        "notes/a.md:2:7: error[unknown-person]: `with`: no person `nobody` in notes/people/",
        "notes/b.md:2:7: error[bad-date]: `date: 2024-02-30` is not a real date",
        "notes/b.md:4:10: error[bad-value]: `channel: phone` is not one of call, meeting, email, chat, video, "
        "letter, event, other",
        "5 notes checked: 4 errors, 0 warnings",
    ]


def test_a_bad_date_hides_none_of_the_notes_other_problems(make_notebook, cli):
    root = make_notebook({**PEOPLE, "notes/c.md": "---\ndate: 2026-13-45\nwith: [pat-lee, nobody-here]\n---\n"
                                                  "Ask [[ghost-person]] about it.\n"})
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines() == [
        "notes/c.md:2:7: error[bad-date]: `date: 2026-13-45` is not a real date",
        "notes/c.md:3:17: error[unknown-person]: `with`: no person `nobody-here` in notes/people/",
        "notes/c.md:5:5: warning[broken-link]: `[[ghost-person]]` links to no person, org or conversation",
        "4 notes checked: 2 errors, 1 warning",
    ]


def test_a_refused_tag_hides_none_of_the_notes_other_problems(make_notebook, cli):
    from convo_notes.loader import load_notebook

    root = make_notebook({**PEOPLE, "notes/c.md": "---\ndate: 2026-02-30\nwith: [pat-lee, pat-le]\n"
                                                  "title: !!python/object/apply:os.system [echo hi]\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines() == [
        "notes/c.md:2:7: error[bad-date]: `date: 2026-02-30` is not a real date",
        "notes/c.md:3:17: error[unknown-person]: `with`: no person `pat-le` in notes/people/ "
        "(did you mean `pat-lee`?)",
        "notes/c.md:4:8: error[yaml-tag]: YAML tag `!!python/object/apply:os.system` is not allowed "
        "(tags are never run)",
        "4 notes checked: 3 errors, 0 warnings",
    ]
    assert "notes/c.md" in load_notebook(root).unreadable  # fails closed: never on the site
