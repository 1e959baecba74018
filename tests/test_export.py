"""`convo export`: JSON, CSV and SQLite from the same rows; private notes only when asked."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from conftest import SAMPLE_PRIVATE_WORDS

TODAY = "2026-11-22"



def test_json_holds_every_table(cli, notebook):
    result = cli("-C", str(notebook), "--today", TODAY, "export")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert {k: len(v) for k, v in doc.items()} == {
        "conversations": 37, "commitments": 22, "referrals": 9, "people": 18, "orgs": 5, "participants": 50}
    sla = next(c for c in doc["commitments"] if c["id"] == "harbor-sla-pricing")
    assert sla == {
        "key": "harbor-sla-pricing", "id": "harbor-sla-pricing",
        "conversation": "2026-11-13-pilot-sign-off-and-pricing-questions",
        "what": "Send revised SLA pricing with the volume tiers", "owner": "sam-okafor", "to": "dana-reyes",
        "due": "2026-11-19", "done": None, "closed_by": None, "state": "overdue",
        "source": "notes/conversations/2026/2026-11-13-pilot-sign-off-and-pricing-questions.md:9"}
    plan = next(c for c in doc["commitments"] if c["id"] == "harbor-pilot-plan")
    assert (plan["state"], plan["closed_by"]) == ("closed", "2026-10-09-pilot-plan-sent")
    brightline = next(r for r in doc["referrals"] if r["recommends"] == "Brightline Bookkeeping")
    assert (brightline["recommends_person"], brightline["for"], brightline["by"]) == \
        (None, ["bookkeeping", "accountant"], "kim-nakamura")
    for word in SAMPLE_PRIVATE_WORDS:
        assert word not in result.out
    assert json.loads(cli("-C", str(notebook), "--today", TODAY, "export", "--format", "json").out) == doc


def test_private_only_when_asked(cli, notebook):
    everything = cli("-C", str(notebook), "--today", TODAY, "export", "--include-private")
    doc = json.loads(everything.out)
    assert {k: len(v) for k, v in doc.items()} == {
        "conversations": 39, "commitments": 23, "referrals": 9, "people": 19, "orgs": 5, "participants": 52}
    assert "Tidewater" in everything.out


def test_csv_one_table(cli, notebook):
    result = cli("-C", str(notebook), "--today", TODAY, "export", "--format", "csv", "--table", "commitments")
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.out.splitlines()[0] == "key,id,conversation,what,owner,to,due,done,closed_by,state,source"
    assert len(rows) == 22
    assert sum(r["state"] == "overdue" for r in rows) == 2
    people = list(csv.DictReader(io.StringIO(
        cli("-C", str(notebook), "export", "--format", "csv", "--table", "people").out)))
    dana = next(p for p in people if p["slug"] == "dana-reyes")
    assert dana["email"] == "dana.reyes@harborlogistics.example; dreyes.procurement@harborlogistics.example"
    assert (dana["team"], dana["private"]) == ("false", "false")
    default = cli("-C", str(notebook), "export", "--format", "csv").out
    assert default.startswith("slug,date,time,title,with,")


def test_sqlite_has_keys_and_opens_with_stdlib(cli, notebook, tmp_path):
    target = tmp_path / "out" / "notebook.db"
    result = cli("-C", str(notebook), "--today", TODAY, "export", "--format", "sqlite", "-o", str(target))
    assert result.code == 0, result.err
    assert result.out == (f"wrote {target} (tables: conversations, commitments, referrals, people, orgs, "
                          "participants)\n")
    db = sqlite3.connect(target)
    tables = sorted(r[0] for r in db.execute("select name from sqlite_master where type = 'table'"))
    assert tables == ["commitments", "conversations", "orgs", "participants", "people", "referrals"]
    assert db.execute("pragma foreign_key_check").fetchall() == []
    fks = {(t, row[3], row[2]) for t in tables for row in db.execute(f"pragma foreign_key_list({t})")}
    assert {("commitments", "owner", "people"), ("commitments", "conversation", "conversations"),
            ("participants", "person", "people"), ("people", "org", "orgs"),
            ("referrals", "recommends_person", "people")} <= fks
    pks = {t: [row[1] for row in db.execute(f"pragma table_info({t})") if row[5]] for t in tables}
    assert pks == {"commitments": ["key"], "conversations": ["slug"], "orgs": ["slug"],
                   "participants": ["conversation", "person"], "people": ["slug"], "referrals": ["key"]}
    overdue = db.execute("select p.name, c.what from commitments c join people p on p.slug = c.owner "
                         "where c.state = 'overdue' order by c.due").fetchall()
    assert overdue == [("Jonah Feld", "Export Q3 POS data for all six stores"),
                       ("Sam Okafor", "Send revised SLA pricing with the volume tiers")]
    tags = db.execute("select tags from people where slug = 'dana-reyes'").fetchone()[0]
    assert json.loads(tags) == ["client", "decision-maker"]
    db.close()
    # a second export replaces the file
    again = cli("-C", str(notebook), "--today", TODAY, "export", "--format", "sqlite", "-o", str(target))
    assert again.code == 0
    assert sqlite3.connect(target).execute("select count(*) from conversations").fetchone() == (37,)


def test_usage_errors(cli, notebook):
    assert cli("-C", str(notebook), "export", "--format", "sqlite").err == \
        "convo: --format sqlite needs -o FILE (for example -o notebook.db)\n"
    wrong_table = cli("-C", str(notebook), "export", "--table", "people")
    assert (wrong_table.code, wrong_table.err) == (
        2, "convo: --table goes with --format csv (json and sqlite hold every table)\n")
    misplaced = cli("-C", str(notebook), "export", "--include-private", "vcard")
    assert (misplaced.code, misplaced.err) == (
        2, "convo: put options after the subcommand: convo export vcard [OPTIONS]\n")
    assert cli("-C", str(notebook), "export", "--format", "xml").code == 2


def test_notebook_with_errors_is_exported_and_exits_1_with_the_count(cli, make_notebook, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/a.md": "---\ndate: 2026-01-02\nwith: sam\ncommitments:\n  - {id: x, what: one}\n---\n",
        "notes/b.md": "---\ndate: 2026-01-03\nwith: [sam, ghost]\ncommitments:\n  - {id: x, what: two}\n---\n",
    })
    result = cli("-C", str(root), "export", "--format", "sqlite", "-o", str(tmp_path / "x.db"))
    assert result.code == 1  # one policy for every command: the answer, then the errors and their count
    assert result.err.endswith("convo: 2 errors in the notebook; this answer may be incomplete "
                               "(run `convo validate`)\n")
    assert result.err.count("error[") == 2
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("select key, id, what from commitments order by key").fetchall() == [
        ("b#0", "x", "two"), ("x", "x", "one")]
    assert db.execute("select person from participants where conversation = 'b'").fetchall() == [("sam",)]
