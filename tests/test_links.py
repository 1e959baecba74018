"""`[[slug]]` wiki links in note bodies (as Obsidian and Foam write them) and `broken-link`."""

from __future__ import annotations

import json

FILES = {
    "notes/people/sam.md": "---\nname: Sam\n---\nWorks at [[acme]].\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\n---\n## Background\nMet at [[2026-11-02-call]].\n",
    "notes/orgs/acme.md": "---\nname: Acme\nwhat: Anvils\n---\nDana: [[dana|our buyer]], see [[dana#Background]].\n",
    "notes/2026-11-02-call.md": (
        "---\ndate: 2026-11-02\nwith: dana\n---\n"
        "Talked with [[dana]] and [[ dana ]] about [[acme]].\n"
        "Heading link: [[dana#Background|her background]].\n"
    ),
}


def _problems(cli, root) -> list[dict]:
    return json.loads(cli("-C", str(root), "validate", "--json").out)["errors"]


def test_every_link_form_resolves(cli, make_notebook):
    root = make_notebook(FILES)
    result = cli("-C", str(root), "validate")
    assert (result.code, result.out) == (0, "4 notes checked: 0 errors, 0 warnings\n")


def test_broken_links_are_warnings_with_their_place(cli, make_notebook):
    root = make_notebook({
        **FILES,
        "notes/2026-11-03-follow-up.md": (
            "---\ndate: 2026-11-03\nwith: dana\n---\n"
            "# Follow-up\n"
            "Ask [[dan]] and [[nobody|Somebody]] and [[acmee#Pricing]].\n"
        ),
    })
    result = cli("-C", str(root), "validate")
    assert result.code == 0  # warnings only
    assert result.out == (
        "notes/2026-11-03-follow-up.md:6:5: warning[broken-link]: `[[dan]]` links to no person, org or "
        "conversation (did you mean `dana`?)\n"
        "notes/2026-11-03-follow-up.md:6:17: warning[broken-link]: `[[nobody]]` links to no person, org or "
        "conversation\n"
        "notes/2026-11-03-follow-up.md:6:41: warning[broken-link]: `[[acmee]]` links to no person, org or "
        "conversation (did you mean `acme`?)\n"
        "5 notes checked: 0 errors, 3 warnings\n"
    )
    strict = cli("-C", str(root), "validate", "--strict")
    assert strict.code == 1


def test_did_you_mean_for_a_near_miss(cli, make_notebook):
    root = make_notebook({**FILES, "notes/people/sam.md": "---\nname: Sam\n---\nSee [[dana-reyes]] and [[danna]].\n"})
    assert [(p["line"], p["column"], p["message"]) for p in _problems(cli, root)] == [
        (4, 5, "`[[dana-reyes]]` links to no person, org or conversation"),
        (4, 24, "`[[danna]]` links to no person, org or conversation (did you mean `dana`?)"),
    ]


def test_lines_are_counted_in_the_file_with_crlf(cli, make_notebook):
    text = "---\r\ndate: 2026-11-04\r\nwith: dana\r\ntitle: x\r\n---\r\n\r\nLine two [[ghost]].\r\n"
    root = make_notebook({**FILES, "notes/crlf.md": text.encode("utf-8")})
    assert [(p["path"], p["line"], p["column"], p["code"]) for p in _problems(cli, root)] == [
        ("notes/crlf.md", 7, 10, "broken-link")]


def test_sample_notebook_links_all_resolve(cli):
    from conftest import REPO

    problems = json.loads(cli("-C", str(REPO), "validate", "--json").out)["errors"]
    assert [p for p in problems if p["code"] == "broken-link"] == []
    text = (REPO / "notes/people/sam-okafor.md").read_text(encoding="utf-8")
    assert "[[okafor-consulting]]" in text
