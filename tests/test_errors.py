"""One case per diagnostic code: the exact message, line and column `convo validate` prints."""

from __future__ import annotations

import pytest

from convo_notes.diagnostics import CODES

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
    "notes/people/pat-lee.md": "---\nname: Pat Lee\norg: acme\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
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
        "notes/c.md:4:7: error[wrong-type]: `next` must be a mapping of fields (turn, by, about)",
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
    "bad-config": (
        {"convo.yml": "me: nobody\n"},
        "convo.yml:1:1: error[bad-config]: `me: nobody`: no person `nobody` in notes/people/",
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code(code, make_notebook, cli):
    files, expected = CASES[code]
    root = make_notebook({**PEOPLE, **files})
    result = cli("-C", str(root), "validate")
    lines = result.out.splitlines()
    assert lines[:-1] == [expected], result.out
    severity = CODES[code].severity
    assert result.code == (1 if severity == "error" else 0)
    assert "Traceback" not in result.out + result.err


def test_every_code_has_a_case():
    assert set(CODES) - set(CASES) == {"internal-error"}


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
