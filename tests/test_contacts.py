"""`convo people` and `convo orgs`: the contact list, sorted and filtered."""

from __future__ import annotations

import json

import pytest

TODAY = "2026-11-22"
NOTES = {
    "notes/people/sam.md": "---\nname: Sam Stone\nteam: true\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\norg: acme\ncadence: 2w\ntags: [client]\n---\n",
    "notes/people/ben.md": "---\nname: Ben Ode\norg: acme\ntags: [client, vip]\n---\n",
    "notes/people/cy.md": "---\nname: Cy Park\ncadence: 1m\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\nwhat: Anvils\n---\n",
    "notes/c1.md": ("---\ndate: 2026-10-01\nwith: ana\ncommitments:\n  - {what: Send deck, to: ana}\n"
                    "  - {what: Send numbers, owner: ana}\nnext: {turn: me}\n---\n"),
    "notes/c2.md": "---\ndate: 2026-11-20\nwith: ben\nnext: {turn: them}\n---\n",
}


@pytest.fixture
def nb(make_notebook):
    return make_notebook(NOTES)


def people(cli, nb, *args):
    result = cli("-C", str(nb), "--today", TODAY, "people", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["people"]


def test_each_row_has_what_stands_open(cli, nb):
    rows = {r["slug"]: r for r in people(cli, nb)}
    assert set(rows) == {"ana", "ben", "cy"}  # not the notebook's own person
    ana = rows["ana"]
    assert ana["last_contact"]["date"] == "2026-10-01" and ana["days_since_contact"] == 52
    assert ana["next_contact"] == "2026-10-15"
    assert (ana["they_owe"], ana["we_owe"], ana["our_turn"], ana["their_turn"]) == (1, 1, 1, 0)
    assert rows["ben"]["their_turn"] == 1 and rows["ben"]["next_contact"] is None
    assert rows["cy"]["last_contact"] is None and rows["cy"]["next_contact"] == TODAY  # never contacted: due today


def test_sorts(cli, nb):
    assert [r["slug"] for r in people(cli, nb)] == ["ana", "ben", "cy"]
    assert [r["slug"] for r in people(cli, nb, "--sort", "last-contact")] == ["cy", "ana", "ben"]
    assert [r["slug"] for r in people(cli, nb, "--sort", "open")][0] == "ana"
    assert [r["slug"] for r in people(cli, nb, "--sort", "keep-in-touch")] == ["ana", "cy", "ben"]


def test_filters(cli, nb):
    assert [r["slug"] for r in people(cli, nb, "--tag", "client")] == ["ana", "ben"]
    assert [r["slug"] for r in people(cli, nb, "--tag", "client", "--tag", "VIP")] == ["ben"]
    assert [r["slug"] for r in people(cli, nb, "--org", "Acme")] == ["ana", "ben"]
    assert [r["slug"] for r in people(cli, nb, "--losing-touch")] == ["ana"]  # 38 days late; cy is due today


def test_unknown_org_is_a_usage_error(cli, nb):
    result = cli("-C", str(nb), "people", "--org", "acne")
    assert result.code == 2 and "did you mean `acme`" in result.err


def test_orgs_gather_their_people(cli, nb):
    result = cli("-C", str(nb), "--today", TODAY, "orgs", "--json")
    (acme,) = json.loads(result.out)["orgs"]
    assert acme["slug"] == "acme" and acme["last_contact"]["date"] == "2026-11-20"
    assert (acme["they_owe"], acme["we_owe"], acme["our_turn"], acme["their_turn"]) == (1, 1, 1, 1)


def test_text_output(cli, nb):
    result = cli("-C", str(nb), "--today", TODAY, "people", "--losing-touch")
    assert result.out == ("Ana Lima  ana  Acme\n"
                          "          last 2026-10-01 (52 days ago) · keep in touch 2026-10-15 (38d late) · "
                          "open: they owe 1, we owe 1 · our move in 1 thread\n\n1 person\n")
