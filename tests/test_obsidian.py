"""Obsidian: `"[[slug]]"` links in properties are plain references; `init --obsidian`; `links: obsidian`."""

from __future__ import annotations

import json

import pytest

from convo_notes.loader import load_notebook
from test_init import make_git_env

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\norg: acme\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
}


def test_every_slug_field_takes_obsidian_links(make_notebook, cli):
    plain = (
        "---\ndate: 2026-03-01\nwith: [ana]\norg: acme\nrecorded_by: sam\nthread: t\n"
        "next: {turn: ana, by: 2026-03-20}\n"
        "commitments:\n  - {id: c1, what: Send, owner: me, to: ana, due: 2026-03-05}\n"
        "referrals:\n  - {recommends: acme, for: help, by: ana, to: sam}\n---\n"
    )
    linked = (
        "---\ndate: 2026-03-01\nwith: [\"[[ana|Ana Lima]]\"]\norg: \"[[acme]]\"\nrecorded_by: \"[[sam]]\"\n"
        "thread: t\nnext: {turn: \"[[ana]]\", by: 2026-03-20}\n"
        "commitments:\n  - {id: c1, what: Send, owner: me, to: \"[[ ana ]]\", due: 2026-03-05}\n"
        "referrals:\n  - {recommends: \"[[acme|Acme Inc]]\", for: help, by: \"[[ana]]\", to: \"[[sam]]\"}\n---\n"
    )
    a = make_notebook({**PEOPLE, "notes/conversations/c.md": plain})
    b = make_notebook({**PEOPLE, "notes/conversations/c.md": linked}, root=a.parent / "linked")
    na, nb = load_notebook(a), load_notebook(b)
    assert na.diagnostics == nb.diagnostics == []
    ca, cb = na.conversations[0], nb.conversations[0]
    assert (ca.with_, ca.org, ca.recorded_by, ca.next, ca.commitments[0].to, ca.referrals[0].recommends) == \
        (cb.with_, cb.org, cb.recorded_by, cb.next, cb.commitments[0].to, cb.referrals[0].recommends)
    for args in (("due", "--all"), ("brief", "ana"), ("threads",), ("show", "c")):
        ra = cli("-C", str(a), "--today", "2026-03-10", *args)
        rb = cli("-C", str(b), "--today", "2026-03-10", *args)
        assert (ra.code, ra.out.replace(str(a), "")) == (rb.code, rb.out.replace(str(b), "")), args


def test_a_broken_obsidian_link_is_still_a_diagnostic(make_notebook, cli):
    root = make_notebook({**PEOPLE, "notes/conversations/c.md":
                          "---\ndate: 2026-03-01\nwith: [\"[[anna]]\", \"[[ana#x]]\"]\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert "notes/conversations/c.md:3:8: error[unknown-person]: `with`: no person `anna` in notes/people/ " \
           "(did you mean `ana`?)" in result.out
    assert "notes/conversations/c.md:3:20: error[bad-slug]: `[[ana#x]]` is not a slug" in result.out


def test_init_obsidian_makes_a_vault_and_new_writes_links(cli, tmp_path):
    env = make_git_env(tmp_path)
    target = tmp_path / "vault"
    result = cli("--today", "2026-11-22", "init", "--obsidian", str(target), env=env)
    assert result.code == 0, result.err
    types = json.loads((target / ".obsidian/types.json").read_text())["types"]
    assert (types["date"], types["with"], types["tags"], types["aliases"]) == ("date", "multitext", "multitext",
                                                                               "aliases")
    app = json.loads((target / ".obsidian/app.json").read_text())
    assert app["newFileFolderPath"] == "notes/conversations"
    assert ".obsidian/workspace*.json" in (target / ".gitignore").read_text()
    assert "links: obsidian" in (target / "convo.yml").read_text()
    assert cli("-C", str(target), "validate").code == 0
    made = cli("-C", str(target), "--today", "2026-11-23", "new", "--with", "zoe-muller", "--title", "Call",
               "--no-edit", env=env)
    assert made.code == 0, made.err
    note = (target / "notes/conversations/2026/2026-11-23-call.md").read_text()
    assert 'with: ["[[zoe-muller]]"]\n' in note
    assert cli("-C", str(target), "validate").code == 0
    assert load_notebook(target).conversations[-1].with_ == ("zoe-muller",)


def test_links_setting_is_checked(make_notebook, cli):
    root = make_notebook({**PEOPLE, "convo.yml": "me: sam\nlinks: wiki\n"})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert "convo.yml:2:8: error[bad-config]: `links: wiki` is not one of plain, obsidian" in result.out


def test_the_json_schema_for_editors_accepts_obsidian_links_too():
    import jsonschema
    import yaml

    from convo_notes.schema import json_schema

    note = yaml.load(
        'date: 2026-03-01\nwith: ["[[ana|Ana Lima]]", pat]\norg: "[[acme]]"\nthread: t\ncloses: "[[c1]]"\n'
        'next: {turn: "[[ana]]"}\ncommitments: [{what: Send, to: "[[ana]]"}]\n', Loader=yaml.BaseLoader)
    jsonschema.validate(note, json_schema("conversation"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**note, "with": ["[[Ana Lima]]"]}, json_schema("conversation"))


def test_the_site_treats_both_spellings_alike_and_never_reads_obsidian_settings(make_notebook, cli, tmp_path):
    import datetime as dt

    from convo_notes.site.model import SiteModel
    from convo_notes.site.pages import PageSet, make_env
    from convo_notes.site.public import public_view

    def pages(root):
        nb = load_notebook(root)
        return dict(PageSet(SiteModel(public_view(nb), dt.date(2026, 3, 10)), make_env(None),
                            lambda n: n.body).pages())

    plain = make_notebook({**PEOPLE, "notes/conversations/c.md":
                           "---\ndate: 2026-03-01\nwith: [ana]\norg: acme\n---\nHello [[ana]].\n"})
    linked = make_notebook({**PEOPLE, "notes/conversations/c.md":
                            "---\ndate: 2026-03-01\nwith: [\"[[ana|Ana]]\"]\norg: \"[[acme]]\"\n---\nHello [[ana]].\n",
                            ".obsidian/app.json": '{"secret": "OBSIDIAN-SETTINGS"}\n',
                            "notes/.obsidian/types.json": '{"secret": "OBSIDIAN-SETTINGS"}\n'},
                           root=tmp_path / "linked")
    assert pages(plain) == pages(linked)
    out = tmp_path / "site"
    result = cli("-C", str(linked), "--today", "2026-03-10", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    built = [p for p in out.rglob("*") if p.is_file()]
    assert built and not any(".obsidian" in p.as_posix() for p in built)
    assert not any(b"OBSIDIAN-SETTINGS" in p.read_bytes() for p in built)
