"""`convo brief` says who on the team last edited a person's notes, from real git history."""

import subprocess


def git(root, *args, author=None, when="2026-11-19T10:00:00+00:00"):
    env = {"GIT_AUTHOR_NAME": author or "Sam", "GIT_AUTHOR_EMAIL": "x@example.com",
           "GIT_COMMITTER_NAME": "Sam", "GIT_COMMITTER_EMAIL": "x@example.com",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def test_brief_names_the_team_member_who_last_edited(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
        "notes/people/priya.md": "---\nname: Priya Natarajan\nteam: true\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/c.md": "---\ndate: 2026-11-18\nwith: dana\n---\nCall.\n",
    })
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    (root / "notes/c.md").write_text("---\ndate: 2026-11-18\nwith: dana\n---\nCall, with notes.\n")
    git(root, "commit", "-qam", "edit", author="Priya Natarajan", when="2026-11-20T10:00:00+00:00")
    result = cli("-C", str(root), "--today", "2026-11-22", "brief", "dana")
    assert result.code == 0, result.err
    assert "Notes last edited 2026-11-20 by Priya Natarajan (notes/c.md)" in result.out.splitlines()
    doc = cli("-C", str(root), "--today", "2026-11-22", "brief", "dana", "--json")
    import json

    edited = json.loads(doc.out)["last_edited"]
    assert edited["team_member"] == {"slug": "priya", "name": "Priya Natarajan"}
    assert edited["source"] == "notes/c.md"
