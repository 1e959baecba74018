"""A notebook two team members share (issue 13): every reader gets the same facts.

Alex Kim and Jordan Lee both keep one notebook (``convo.yml`` says ``me: alex-kim``);
each has a personal overlay of notes outside the repository, named in their own
config file. The notes mix ``me`` and explicit slugs, with and without
``recorded_by``. ``due``, ``threads``, ``brief`` and ``referrals`` must tell both
readers the same facts, differing only in "your" wording and ``--mine``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import write_notebook

TODAY = "2026-11-20"
PEOPLE = {
    "notes/people/alex-kim.md": "---\nname: Alex Kim\nteam: true\norg: northwind\nemail: alex@northwind.test\n---\n",
    "notes/people/jordan-lee.md": ("---\nname: Jordan Lee\nteam: true\norg: northwind\naliases: [Jordan]\n"
                                   "email: jordan@northwind.test\n---\n"),
    "notes/people/priya-shah.md": "---\nname: Priya Shah\norg: harbor\ncadence: 2w\n---\n",
    "notes/people/omar-haddad.md": "---\nname: Omar Haddad\norg: harbor\n---\n",
    "notes/people/ben-ito.md": "---\nname: Ben Ito\n---\n",
    "notes/people/marta-kowal.md": "---\nname: Marta Kowal\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor Co\nwhat: Shipping\n---\n",
    "notes/orgs/northwind.md": "---\nname: Northwind\nwhat: Trading\n---\n",
    "notes/orgs/rico-s-plumbing.md": "---\nname: Rico's Plumbing\nwhat: Plumbing\n---\n",
}
NOTES = {
    # Alex's, v1 style: no recorded_by, `me` is the notebook's me (Alex)
    "notes/c/2026-11-02-alex-call.md": (
        "---\ndate: 2026-11-02\nwith: priya-shah\nthread: harbor-renewal\ncommitments:\n"
        "  - what: Send the pricing\n    to: priya-shah\n    due: 2026-11-18\n"
        "next:\n  turn: me\n  by: 2026-11-19\n  about: Call Priya about the pilot\n---\nAlex called Priya.\n"),
    # Jordan's, with recorded_by: `me` is Jordan
    "notes/c/2026-11-05-jordan-lunch.md": (
        "---\ndate: 2026-11-05\nwith: [priya-shah]\nrecorded_by: jordan-lee\ncommitments:\n"
        "  - what: Introduce Priya to our CFO\n    to: priya-shah\n    due: 2026-11-19\n"
        "  - owner: priya-shah\n    to: me\n    what: Send the org chart\n    due: 2026-11-17\n"
        "referrals:\n  - recommends: Rico's Plumbing\n    for: plumbing\n"
        "  - recommends: me\n    for: logistics\n    to: omar-haddad\n"
        "next:\n  turn: me\n  by: 2026-11-25\n  about: Book the CFO lunch\n---\nJordan had lunch with Priya.\n"),
    # Alex's meeting with two customers and Jordan: `them` is Priya and Omar only
    "notes/c/2026-11-10-harbor-meeting.md": (
        "---\ndate: 2026-11-10\nwith: [priya-shah, omar-haddad, jordan-lee]\nrecorded_by: alex-kim\n"
        "thread: harbor-meeting\nnext:\n  turn: them\n  by: 2026-11-15\n  about: Countersign the pilot\n---\n"),
    # Jordan's, explicit slugs: a Ben+Marta thread continued with Ben alone through its key
    "notes/c/2026-10-01-ladder.md": (
        "---\ndate: 2026-10-01\nwith: [ben-ito, marta-kowal]\nrecorded_by: jordan-lee\n"
        "next:\n  turn: jordan-lee\n  by: 2026-10-10\n  about: Return the ladder\n---\n"),
    "notes/c/2026-10-12-ladder-back.md": (
        "---\ndate: 2026-10-12\nwith: ben-ito\nrecorded_by: jordan-lee\nthread: marta-kowal+ben-ito\n---\n"),
    # a note with Jordan and Priya: filed under Harbor, not under our own company
    "notes/c/2026-11-12-jordan-and-priya.md": (
        "---\ndate: 2026-11-12\nwith: [jordan-lee, priya-shah]\nrecorded_by: alex-kim\n---\n"),
}
SECRET = {"alex": "Halloway", "jordan": "Quasimodo"}


def overlay_note(word: str, who: str) -> str:
    return (f"---\ndate: 2026-11-13\nwith: priya-shah\ntitle: {word} follow-up\ncommitments:\n"
            f"  - what: {word} personal follow-up\n    to: priya-shah\n    due: 2026-11-16\n---\n{word} by {who}.\n")


@pytest.fixture
def team(tmp_path: Path) -> dict[str, object]:
    """The shared notebook, and for each reader an environment naming them and their overlay."""
    root = write_notebook(tmp_path / "shared", {**PEOPLE, **NOTES}, me="alex-kim")
    envs = {}
    for reader, slug in (("alex", "alex-kim"), ("jordan", "jordan-lee")):
        personal = tmp_path / f"{reader}-personal"
        (personal / "notes/mine").mkdir(parents=True)
        (personal / "notes/mine/follow-up.md").write_text(overlay_note(SECRET[reader], reader), encoding="utf-8")
        config = tmp_path / f"{reader}-config"
        (config / "convo-notes").mkdir(parents=True)
        (config / "convo-notes/config.yml").write_text(f"me: {slug}\noverlay: {personal}\n", encoding="utf-8")
        envs[reader] = {"XDG_CONFIG_HOME": str(config)}
    return {"root": root, "envs": envs}


def run_json(cli, root: Path, env: dict[str, str], *args: str) -> dict:
    result = cli("-C", str(root), "--today", TODAY, *args, "--json", env=env)
    assert result.code == 0, result.err
    return json.loads(result.out)


def shared(items: list[dict]) -> list[dict]:
    """The team's facts: everything but the reader's wording and personal notes."""
    out = []
    for item in items:
        if str(item.get("source", item.get("latest", ""))).startswith("overlay:"):
            continue
        out.append({k: v for k, v in item.items() if k not in ("yours", "label")})
    return out


# --- the same facts for every reader ----------------------------------------------------------

def test_due_threads_brief_referrals_give_every_reader_the_same_facts(cli, team):
    root, envs = team["root"], team["envs"]
    views = {}
    for reader, env in envs.items():
        views[reader] = {
            "due": run_json(cli, root, env, "due", "--all")["items"],
            "threads": run_json(cli, root, env, "threads")["threads"],
            "brief": run_json(cli, root, env, "brief", "priya-shah"),
            "referrals": run_json(cli, root, env, "referrals"),
        }
    alex, jordan = views["alex"], views["jordan"]
    assert shared(alex["due"]) == shared(jordan["due"])
    assert shared(alex["threads"]) == shared(jordan["threads"])
    assert alex["referrals"] == jordan["referrals"]
    def team_part(brief: dict, key: str) -> list[dict]:
        return [{k: v for k, v in row.items() if k not in ("yours", "label")} for row in brief[key]
                if not str(row.get("source", row.get("latest", ""))).startswith("overlay:")]

    for key in ("they_owe", "we_owe", "threads", "interests", "history"):
        assert team_part(alex["brief"], key) == team_part(jordan["brief"], key), key
    assert alex["brief"]["referrals"] == jordan["brief"]["referrals"]
    # who recorded what: the same for both (each reader's own latest is their personal note)
    recorders = {r: {row["person"]["slug"]: row["source"] for row in team_part(views[r]["brief"], "recorded_by")}
                 for r in views}
    assert recorders == {"alex": {"jordan-lee": "notes/c/2026-11-05-jordan-lunch.md"},
                         "jordan": {"alex-kim": "notes/c/2026-11-12-jordan-and-priya.md"}}
    # each reader's personal notes are theirs: the latest conversation each of them sees is their own
    assert alex["brief"]["last_spoke"]["recorded_by"]["slug"] == "alex-kim"
    assert jordan["brief"]["last_spoke"]["recorded_by"]["slug"] == "jordan-lee"
    assert {r["what"] for r in alex["brief"]["we_owe"]} - {r["what"] for r in jordan["brief"]["we_owe"]} == {
        f"{SECRET['alex']} personal follow-up"}

    facts = {(i["kind"], i["owner"]["slug"], (i["to"] or {}).get("slug"), i["what"]) for i in shared(alex["due"])}
    # who owes what to whom, whoever reads: Jordan's `me` is Jordan, Alex's is Alex
    assert ("commitment", "alex-kim", "priya-shah", "Send the pricing") in facts
    assert ("commitment", "jordan-lee", "priya-shah", "Introduce Priya to our CFO") in facts
    assert ("commitment", "priya-shah", "jordan-lee", "Send the org chart") in facts
    assert ("my-turn", "alex-kim", None, "Call Priya about the pilot") in facts
    assert ("my-turn", "jordan-lee", None, "Book the CFO lunch") in facts
    # `turn: them` names the customers, never a team member; owed to who wrote the note
    assert ("waiting", "priya-shah+omar-haddad", "alex-kim", "Countersign the pilot") in facts
    # the wording is the reader's
    label = {r: {i["what"]: (i["label"], i["yours"]) for i in views[r]["due"]} for r in views}
    assert label["alex"]["Call Priya about the pilot"] == ("your turn", True)
    assert label["jordan"]["Call Priya about the pilot"] == ("Alex Kim's turn", False)
    assert label["jordan"]["Book the CFO lunch"] == ("your turn", True)
    assert label["alex"]["Book the CFO lunch"] == ("Jordan Lee's turn", False)


def test_text_wording_differs_only_in_your(cli, team):
    root, envs = team["root"], team["envs"]
    texts = {r: cli("-C", str(root), "--today", TODAY, "due", "--all", env=env).out for r, env in envs.items()}
    alex = [" ".join(line.split()) for line in texts["alex"].splitlines()
            if "overlay:" not in line and "item" not in line]
    jordan = [" ".join(line.split()) for line in texts["jordan"].splitlines()
              if "overlay:" not in line and "item" not in line]
    as_jordan = [a.replace("your turn", "Alex Kim's turn") if "alex-call" in a
                 else a.replace("Jordan Lee's turn", "your turn") for a in alex]
    assert as_jordan == [j.replace("your turn", "Alex Kim's turn") if "alex-call" in j else j for j in jordan]
    assert "Alex Kim's turn" in texts["jordan"] and "your turn" in texts["jordan"]
    threads = cli("-C", str(root), "--today", TODAY, "threads", env=envs["jordan"]).out
    assert "waiting on" not in threads and "Priya Shah, Omar Haddad's turn" not in threads
    assert "their turn" in threads  # harbor-meeting: Priya and Omar, not Jordan


def test_mine_is_the_readers_and_owner_takes_any_name(cli, team):
    root, envs = team["root"], team["envs"]
    mine = run_json(cli, root, envs["jordan"], "due", "--all", "--mine")["items"]
    assert {i["owner"]["slug"] for i in mine} == {"jordan-lee"}
    assert {i["what"] for i in mine} >= {"Introduce Priya to our CFO", "Book the CFO lunch",
                                         f"{SECRET['jordan']} personal follow-up"}
    as_name = run_json(cli, root, {}, "--me", "JORDAN LEE", "due", "--all", "--mine")["items"]
    assert shared(as_name) == shared(mine)  # --me goes through the one name resolver too
    by_alias = run_json(cli, root, envs["alex"], "due", "--all", "--owner", "jordan")["items"]
    assert shared(by_alias) == shared([i for i in mine])
    # `turn: them` is never a team member's item
    assert "Countersign the pilot" not in {i["what"] for i in mine}


def test_personal_notes_appear_only_in_their_readers_views(cli, team):
    root, envs = team["root"], team["envs"]
    for reader, env in envs.items():
        other = "jordan" if reader == "alex" else "alex"
        due_text = cli("-C", str(root), "--today", TODAY, "due", "--all", env=env).out
        brief = cli("-C", str(root), "--today", TODAY, "brief", "Priya Shah", env=env).out
        assert SECRET[reader] in due_text and SECRET[other] not in due_text
        assert "overlay:notes/mine/follow-up.md" in due_text and "[private]" in due_text
        assert SECRET[reader] in brief and SECRET[other] not in brief
    # personal notes form their own threads: the team's thread state is untouched
    keys = {t["key"] for t in run_json(cli, root, envs["alex"], "threads")["threads"]}
    assert "personal:priya-shah" in keys and "priya-shah" in keys


def test_personal_notes_never_reach_the_repository_or_the_site(cli, team, tmp_path):
    root, envs = team["root"], team["envs"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)
    env = envs["jordan"]
    for args in (["due"], ["threads"], ["brief", "priya-shah"], ["referrals"], ["validate", "--personal"],
                 ["done", "overlay:notes/mine/follow-up.md:6"]):
        result = cli("-C", str(root), "--today", TODAY, *args, env=env)
        assert result.code == 0, (args, result.err)
    assert "done: " in (tmp_path / "jordan-personal/notes/mine/follow-up.md").read_text(encoding="utf-8")
    out = tmp_path / "site"
    assert cli("-C", str(root), "--today", TODAY, "site", "build", "--site-dir", str(out), env=env).code == 0
    after = sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)
    assert after == before  # no command wrote into the team's folder
    for path in [*root.rglob("*"), *out.rglob("*")]:
        if path.is_file() and ".git" not in path.parts:
            data = path.read_bytes()
            assert SECRET["jordan"].encode() not in data and SECRET["alex"].encode() not in data, path


def test_new_personal_writes_into_the_readers_overlay_only(cli, team, tmp_path):
    root, env = team["root"], team["envs"]["jordan"]
    made = cli("-C", str(root), "--today", TODAY, "new", "--personal", "--with", "Priya", "--title", "Coffee",
               "--no-edit", env=env)
    assert (made.code, made.out, made.err) == (0, "created overlay:notes/conversations/2026/2026-11-20-coffee.md\n", "")
    assert (tmp_path / "jordan-personal/notes/conversations/2026/2026-11-20-coffee.md").is_file()
    assert not (root / "notes/conversations").exists()
    threads = run_json(cli, root, env, "threads")["threads"]
    assert [t["conversations"] for t in threads if t["key"] == "personal:priya-shah"] == [2]
    nobody = cli("-C", str(root), "new", "--personal", "--with", "priya-shah", "--no-edit")
    assert nobody.code == 2 and "you have no personal overlay" in nobody.err


def test_a_reader_does_not_change_the_cached_facts(team):
    import time

    from convo_notes.cache import records, views

    root = team["root"]
    os.utime(root / "convo.yml", ns=(1_600_000_000_000_000_000,) * 2)
    for path in root.rglob("*.md"):
        os.utime(path, ns=(1_600_000_000_000_000_000,) * 2)
    time.sleep(records.RACY_CTIME_NS / 1e9 + 0.05)  # setting the mtime moved the ctime to now: wait it out
    first = views.agenda_view(root, env={"CONVO_ME": "alex-kim", "XDG_CONFIG_HOME": "/nonexistent"})
    again = views.agenda_view(root, env={"CONVO_ME": "jordan-lee", "XDG_CONFIG_HOME": "/nonexistent"})
    assert (first.from_snapshot, again.from_snapshot) == (False, True)
    assert again.notebook.viewer == "jordan-lee" and again.entries == first.entries


# --- meaning ------------------------------------------------------------------------------------

def test_default_org_and_thread_keys_leave_our_team_out(cli, team):
    root, env = team["root"], team["envs"]["alex"]
    shown = run_json(cli, root, env, "show", "notes/c/2026-11-12-jordan-and-priya.md")
    assert shown["org"] == {"slug": "harbor", "name": "Harbor Co"}
    assert shown["thread"] == "jordan-lee+priya-shah"
    states = {t["key"]: (t["state"], t["turn"]) for t in run_json(cli, root, env, "threads")["threads"]}
    # Ben alone returned the ladder in the Ben+Marta thread, through its key: settled, no fork
    assert states["ben-ito+marta-kowal"] == ("settled", None)
    assert "ben-ito" not in states


def test_brief_and_referrals_agree_on_who_was_recommended(cli, team):
    root, env = team["root"], team["envs"]["alex"]
    brief = run_json(cli, root, env, "brief", "rico-s-plumbing")
    assert [r["recommends"]["slug"] for r in brief["referrals"]["recommended"]] == ["rico-s-plumbing"]
    plumbing = run_json(cli, root, env, "referrals", "plumbing")["topics"][0]
    assert [(p["kind"], p["slug"], p["recommenders"]) for p in plumbing["recommended"]] == [
        ("org", "rico-s-plumbing", 1)]
    # `recommends: me` in Jordan's note is Jordan, shown in Jordan's own brief
    jordan = cli("-C", str(root), "--today", TODAY, "brief", "me", env=team["envs"]["jordan"]).out
    assert "Priya Shah recommended Jordan Lee for logistics to Omar Haddad" in jordan


def test_the_site_names_whose_turn_it_is(cli, team, tmp_path):
    root = team["root"]
    staging = tmp_path / "staging"
    result = cli("-C", str(root), "--today", TODAY, "site", "build", "--site-dir", str(tmp_path / "out"),
                 "--staging", str(staging), env=team["envs"]["jordan"])
    assert result.code == 0, result.err
    home = (staging / "docs/index.md").read_text(encoding="utf-8")
    assert "My turn" not in home and "my turn" not in home
    assert "Jordan Lee</a>'s move" in home and "Alex Kim</a>'s move" in home
    jordan = (staging / "docs/people/jordan-lee.md").read_text(encoding="utf-8")
    assert "No conversations yet" not in jordan
    assert "## Recorded by Jordan Lee" in jordan and "## Jordan Lee's turn" in jordan
    assert "Introduce Priya to our CFO" in jordan  # what Jordan owes
    feed = (tmp_path / "out/calendar.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Jordan Lee's turn: Book the CFO lunch" in feed and "My turn" not in feed


# --- convo new ----------------------------------------------------------------------------------

def test_new_writes_recorded_by_explicit_slugs_and_carries_the_open_move(cli, team, tmp_path):
    root, env = team["root"], team["envs"]["jordan"]
    made = cli("-C", str(root), "--today", TODAY, "new", "--continue", "harbor-meeting", "--title", "Side email",
               "--no-edit", env=env)
    assert made.code == 0, made.err
    text = (root / "notes/conversations/2026/2026-11-20-side-email.md").read_text(encoding="utf-8")
    assert "\nwith: [priya-shah, omar-haddad, jordan-lee]\nrecorded_by: jordan-lee\nthread: harbor-meeting\n" in text
    assert "\nnext:\n  turn: them\n  by: 2026-11-15\n  about: Countersign the pilot\n" in text
    assert "to: me" not in text and "turn: me" not in text
    assert made.out.splitlines()[1] == ("harbor-meeting: waiting on Priya Shah, Omar Haddad, by 2026-11-15: "
                                        "Countersign the pilot (carried into the note: keep, change or remove it)")
    # saved as it is, the wait is still there
    due = run_json(cli, root, env, "due", "--all")["items"]
    assert "Countersign the pilot" in {i["what"] for i in due}


def editor_removing_next(tmp_path: Path) -> str:
    script = tmp_path / "editor.py"
    script.write_text("import re, sys\np = sys.argv[1]\nt = open(p).read()\n"
                      "t = re.sub(r'next:\\n(  .*\\n)+', '', t)\nopen(p, 'w').write(t)\n", encoding="utf-8")
    return f"{sys.executable} {script}"


def test_new_after_the_editor_says_what_became_of_the_thread(cli, team, tmp_path):
    root, env = team["root"], team["envs"]["jordan"]
    kept = cli("-C", str(root), "--today", TODAY, "new", "--continue", "harbor-meeting", "--title", "Kept",
               env={**env, "EDITOR": "true"})
    assert kept.out.splitlines()[-1] == ("harbor-meeting: still waiting on Priya Shah, Omar Haddad, by 2026-11-15: "
                                         "Countersign the pilot")
    gone = cli("-C", str(root), "--today", TODAY, "new", "--continue", "harbor-meeting", "--title", "Removed",
               env={**env, "EDITOR": editor_removing_next(tmp_path)})
    assert gone.code == 0, gone.err
    assert gone.out.splitlines()[-1] == ("harbor-meeting: settled (the open move was their turn: "
                                         "Countersign the pilot)")


def test_new_takes_names_in_any_form_and_implicit_thread_keys(cli, team):
    root, env = team["root"], team["envs"]["alex"]
    for i, name in enumerate(("PRIYA-SHAH", "Priya  Shah", "priya")):
        made = cli("-C", str(root), "--today", TODAY, "new", "--with", name, "--title", f"n{i}", "--no-edit",
                   "--no-continue", env=env)
        assert made.code == 0, made.err
        assert "\nwith: [priya-shah]\n" in (root / f"notes/conversations/2026/2026-11-20-n{i}.md").read_text()
    cont = cli("-C", str(root), "--today", TODAY, "new", "--continue", "marta-kowal+ben-ito", "--title", "ladder",
               "--no-edit", env=env)
    assert cont.code == 0, cont.err
    text = (root / "notes/conversations/2026/2026-11-20-ladder.md").read_text()
    assert "\nwith: [ben-ito]\n" in text and "\nthread: ben-ito+marta-kowal\n" in text
    # with --create-people a prefix is not a match: `ben` is someone new, not Ben Ito
    new_ben = cli("-C", str(root), "--today", TODAY, "new", "--with", "ben", "--create-people", "--title", "b",
                  "--no-edit", "--no-continue", env=env)
    assert new_ben.out.splitlines()[0] == "created notes/people/ben.md"
    ambiguous = cli("-C", str(root), "new", "--with", "Be", "--no-edit", env=env)
    assert (ambiguous.code, ambiguous.err) == (
        2, "convo: `Be` could be `ben` (Ben), `ben-ito` (Ben Ito): give the slug\n")
    unknown = cli("-C", str(root), "new", "--continue", "ben-ito+marta", "--no-edit", env=env)
    assert (unknown.code, unknown.err) == (2, "convo: no thread `ben-ito+marta` in this notebook (did you mean "
                                              "`ben-ito+marta-kowal`?) (`convo threads` lists them)\n")


# --- validation and migration ------------------------------------------------------------------

def git(root: Path, *args: str, who: tuple[str, str] | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent)}
    if who:
        env |= {"GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
                "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1]}
    return subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


OLD_NOTES = {
    "notes/c/alex-1.md": "---\r\ndate: 2026-11-01\r\nwith: priya-shah\r\nnext:\r\n  turn: me\r\n---\r\nA.\r\n",
    "notes/c/jordan-1.md": ("---\ndate: 2026-11-02\nwith: priya-shah\ncommitments:\n  - what: Send the deck\n"
                            "    to: priya-shah\n# the figures follow\n---\nJ.\n"),
    "notes/c/jordan-2.md": "---\ndate: 2026-11-03\nwith: omar-haddad\nnext: {turn: me, by: 2026-11-30}\n---\n",
    "notes/c/explicit.md": "---\ndate: 2026-11-04\nwith: omar-haddad\nnext:\n  turn: omar-haddad\n---\n",
}


def test_an_old_team_notebook_migrates_in_one_command_changing_no_other_byte(cli, tmp_path):
    root = write_notebook(tmp_path / "old", PEOPLE, me="alex-kim")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "people", who=("Alex Kim", "alex@northwind.test"))
    for rel, who in (("notes/c/alex-1.md", ("Alex Kim", "alex@northwind.test")),
                     ("notes/c/jordan-1.md", ("J. Lee", "JORDAN@northwind.test")),  # matched by email
                     ("notes/c/jordan-2.md", ("Jordan", "jl@home.test")),  # matched by alias
                     ("notes/c/explicit.md", ("Alex Kim", "alex@northwind.test"))):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(OLD_NOTES[rel].encode())
        git(root, "add", rel)
        git(root, "commit", "-qm", rel, who=who)
    warned = cli("-C", str(root), "validate")
    assert warned.code == 0
    assert [line.split(": warning[")[1].split("]")[0] for line in warned.out.splitlines()[:-1]] == \
        ["unknown-author"] * 3
    assert warned.out.splitlines()[0].startswith("notes/c/alex-1.md:5:1: warning[unknown-author]: ")

    dry = cli("-C", str(root), "fix", "recorded-by", "--dry-run")
    assert (dry.code, dry.err) == (0, "")
    assert dry.out.splitlines()[:3] == [
        "notes/c/alex-1.md: would add recorded_by: alex-kim (added by Alex Kim <alex@northwind.test>)",
        "notes/c/jordan-1.md: would add recorded_by: jordan-lee (added by J. Lee <JORDAN@northwind.test>)",
        "notes/c/jordan-2.md: would add recorded_by: jordan-lee (added by Jordan <jl@home.test>)"]
    assert git(root, "status", "--porcelain") == ""

    fixed = cli("-C", str(root), "fix", "recorded-by")
    assert fixed.code == 0, fixed.err
    assert "3 notes written" in fixed.out
    diff = git(root, "diff", "--numstat")
    assert sorted(diff.splitlines()) == ["1\t0\tnotes/c/alex-1.md", "1\t0\tnotes/c/jordan-1.md",
                                         "1\t0\tnotes/c/jordan-2.md"]
    assert (root / "notes/c/alex-1.md").read_bytes() == OLD_NOTES["notes/c/alex-1.md"].encode().replace(
        b"  turn: me\r\n---", b"  turn: me\r\nrecorded_by: alex-kim\r\n---")
    assert (root / "notes/c/jordan-1.md").read_text() == OLD_NOTES["notes/c/jordan-1.md"].replace(
        "# the figures follow\n---", "# the figures follow\nrecorded_by: jordan-lee\n---")
    # unambiguous now; Jordan's `me` changed meaning from v1 (Alex) to v1.1 (Jordan): said once per note
    after = cli("-C", str(root), "validate").out.splitlines()
    assert [line.split("[")[1].split("]")[0] for line in after[:-1]] == ["me-meaning-changed"] * 2
    assert cli("-C", str(root), "fix", "recorded-by").out == (
        "nothing to do: every note that uses `me` says who wrote it\n")
    due = run_json(cli, root, {}, "due", "--all")["items"]
    assert {(i["what"], i["owner"]["slug"]) for i in due if i["kind"] == "commitment"} == {
        ("Send the deck", "jordan-lee")}
    every = cli("-C", str(root), "fix", "recorded-by", "--all")
    assert every.out.splitlines()[0] == ("notes/c/explicit.md: added recorded_by: alex-kim "
                                         "(added by Alex Kim <alex@northwind.test>)")
    assert git(root, "diff", "--numstat", "--", "notes/c/explicit.md").split() == ["1", "0", "notes/c/explicit.md"]


def test_fix_lists_what_it_cannot_attribute(cli, tmp_path):
    root = write_notebook(tmp_path / "old", {**PEOPLE, **{k: OLD_NOTES[k] for k in ("notes/c/alex-1.md",)}},
                          me="alex-kim")
    outside = cli("-C", str(root), "fix", "recorded-by")
    assert outside.code == 1
    assert outside.err == "convo: notes/c/alex-1.md: no git history here (not a git repository?)\n"
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "all", who=("Sam Stranger", "sam@else.test"))
    stranger = cli("-C", str(root), "fix", "recorded-by")
    assert stranger.code == 1 and "added by Sam Stranger <sam@else.test>, who matches no single team member" \
        in stranger.err
    assert git(root, "status", "--porcelain") == ""


def test_without_a_notebook_me_no_reader_changes_a_team_note(cli, team):
    root, envs = team["root"], team["envs"]
    (root / "convo.yml").write_text("site:\n  title: Shared\n", encoding="utf-8")
    views = {r: run_json(cli, root, env, "due", "--all")["items"] for r, env in envs.items()}
    assert shared(views["alex"]) == shared(views["jordan"])
    owners = {i["what"]: i["owner"]["slug"] for i in shared(views["jordan"])}
    assert owners["Send the pricing"] == "me"  # Alex's v1 note: nobody can tell, whoever reads
    assert owners["Introduce Priya to our CFO"] == "jordan-lee"
    warned = cli("-C", str(root), "validate", env=envs["jordan"]).out
    assert "notes/c/2026-11-02-alex-call.md:6:1: warning[unknown-author]: " in warned
    assert "read as written by nobody (convo.yml names no `me`)" in warned


def test_one_person_notebooks_are_not_warned(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
                          "notes/people/ana.md": "---\nname: Ana\n---\n",
                          "notes/c.md": "---\ndate: 2026-11-01\nwith: ana\nnext:\n  turn: me\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.out == "3 notes checked: 0 errors, 0 warnings\n"


# --- deploy and CI ------------------------------------------------------------------------------

def test_site_deploy_publishes_the_built_site_to_a_branch_of_a_real_remote(cli, team, tmp_path):
    root, env = team["root"], team["envs"]["jordan"]
    (root / "notes/c/secret.md").write_text("---\ndate: 2026-11-01\nwith: omar-haddad\nprivate: true\n"
                                            "recorded_by: alex-kim\n---\nTopsecretword.\n", encoding="utf-8")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "notes", who=("Alex Kim", "alex@northwind.test"))
    git(root, "remote", "add", "origin", str(remote))
    head = git(root, "rev-parse", "--short", "HEAD").strip()
    result = cli("-C", str(root), "--today", TODAY, "site", "deploy", env={**env, **{
        "GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@x.test", "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@x.test"}})
    assert result.code == 0, result.err
    assert result.out.endswith(f"to origin/gh-pages: Deploy the site of {head} with convo site deploy\n")
    tree = subprocess.run(["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages"],
                          check=True, capture_output=True, text=True).stdout.splitlines()
    assert {".nojekyll", "index.html", "people/jordan-lee/index.html", "threads/harbor-meeting/index.html",
            "sitemap.xml"} <= set(tree)
    assert not any(name.startswith(("notes/", "convo.yml")) for name in tree)
    assert not any("secret" in name for name in tree)
    blobs = subprocess.run(["git", "--git-dir", str(remote), "grep", "-l", "-e", "Topsecretword",
                            "-e", SECRET["jordan"], "gh-pages"], capture_output=True, text=True)
    assert blobs.stdout == ""  # neither the private note nor the reader's overlay was published
    assert git(root, "status", "--porcelain") == ""  # the working tree was never touched
    message = cli("-C", str(root), "--today", TODAY, "site", "deploy", "-m", "Second", env={**env, **{
        "GIT_AUTHOR_NAME": "CI", "GIT_AUTHOR_EMAIL": "ci@x.test", "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@x.test"}})
    assert message.code == 0, message.err
    log = subprocess.run(["git", "--git-dir", str(remote), "log", "--format=%s", "gh-pages"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    # the branch holds the current site only: a note made private since the first deploy is not in its history
    assert log == ["Second"]


def test_site_deploy_needs_a_repository_and_its_remote(cli, team):
    root = team["root"]
    outside = cli("-C", str(root), "site", "deploy")
    assert outside.code == 1 and "is not a git repository" in outside.err
    git(root, "init", "-q")
    no_remote = cli("-C", str(root), "site", "deploy", "--remote", "upstream")
    assert (no_remote.code, no_remote.err) == (
        1, "convo: no git remote `upstream` (see `git remote -v`; --remote NAME chooses another)\n")


@pytest.mark.parametrize("host", ["github", "gitlab"])
def test_init_ci_writes_a_workflow_that_validates_and_deploys(cli, tmp_path, host):
    from click.testing import CliRunner

    from convo_notes.cli import cli as group

    made = cli("--today", TODAY, "init", str(tmp_path / "nb"), "--name", "Alex Kim", "--ci", host)
    assert made.code == 0, made.err
    path = {"github": ".github/workflows/convo.yml", "gitlab": ".gitlab-ci.yml"}[host]
    config = yaml.safe_load((tmp_path / "nb" / path).read_text(encoding="utf-8"))
    if host == "github":
        steps = config["jobs"]["notebook"]["steps"]
        commands = [line.strip() for s in steps if "run" in s for line in s["run"].splitlines()]
        deploy = next(s for s in steps if "convo site deploy" in s.get("run", ""))
        assert "default_branch" in deploy["if"] and "push" in config[True]  # `on:` is YAML 1.1's True
    else:
        commands = [*config["default"]["before_script"], *config["validate"]["script"], *config["pages"]["script"]]
        assert config["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    convo = [c.split() for c in commands if c.startswith("convo ")]
    assert ["convo", "validate"] in convo
    assert any(c[:3] in (["convo", "site", "deploy"], ["convo", "site", "build"]) for c in convo)
    for words in convo:  # every command and option the workflow runs exists
        assert CliRunner().invoke(group, [*words[1:], "--help"]).exit_code == 0, words
        options = [w.split("=")[0] for w in words if w.startswith("--")]
        help_text = CliRunner().invoke(group, [*[w for w in words[1:] if not w.startswith("-")], "--help"]).output
        assert all(option in help_text for option in options), (words, help_text)
    # in an existing notebook, only the workflow is written, never over one
    (tmp_path / "nb" / path).unlink()
    again = cli("init", str(tmp_path / "nb"), "--ci", host)
    assert again.code == 0 and (tmp_path / "nb" / path).is_file()
    assert f"created {path}" in again.out
    refused = cli("init", str(tmp_path / "nb"), "--ci", host)
    assert refused.code == 2 and "already exists" in refused.err


def test_fix_in_a_notebook_with_errors_writes_then_reports_them(cli, tmp_path):
    """The one policy for a notebook with errors: the answer, then the errors and their count, exit 1."""
    broken = "---\ndate: 2026-02-30\nwith: priya-shah\n---\n"
    root = write_notebook(tmp_path / "old", {**PEOPLE, "notes/c/alex-1.md": OLD_NOTES["notes/c/alex-1.md"],
                                              "notes/c/broken.md": broken}, me="alex-kim")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "all", who=("Alex Kim", "alex@northwind.test"))
    dry = cli("-C", str(root), "fix", "recorded-by", "--dry-run")
    assert dry.code == 1 and dry.out.startswith("notes/c/alex-1.md: would add recorded_by: alex-kim")
    assert "error[bad-date]" in dry.err and "1 error in the notebook" in dry.err
    fixed = cli("-C", str(root), "fix", "recorded-by")
    assert fixed.code == 1 and "1 note written" in fixed.out and "1 error in the notebook" in fixed.err
    assert git(root, "diff", "--numstat").split() == ["1", "0", "notes/c/alex-1.md"]
    again = cli("-C", str(root), "fix", "recorded-by")
    assert again.out.startswith("nothing to do") and again.code == 1 and "error[bad-date]" in again.err
