"""Stand-ins for private people are stable across builds and reveal nothing of the slug."""

from convo_notes.loader import load_notebook
from convo_notes.site.public import public_view

FILES = {
    "notes/people/sam.md": "---\nname: Sam\n---\n",
    "notes/people/dana.md": "---\nname: Dana\n---\n",
    "notes/people/zed-secret.md": "---\nname: Zed Secret\nprivate: true\n---\n",
    "notes/c.md": "---\ndate: 2026-11-18\nwith: [dana, zed-secret]\nnext: {turn: me, by: 2026-11-20}\n---\n",
}


def stand_ins(root):
    view = public_view(load_notebook(root))
    return sorted(view.stand_ins)


def test_stand_ins_are_stable_and_opaque(make_notebook):
    root = make_notebook(FILES)
    first = stand_ins(root)
    assert first == stand_ins(root)  # same key from the same private notes: calendar UIDs stay put
    assert len(first) == 1 and "zed" not in first[0] and "secret" not in first[0]
    (root / "notes/people/zed-secret.md").write_text("---\nname: Zed Secret\nprivate: true\nrole: Spy\n---\n")
    assert stand_ins(root) != first  # the key comes from the private bytes, which changed


def test_a_note_with_a_refused_tag_stays_off_the_site(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/c.md": "---\ndate: 2026-11-18\nwith: dana\ntitle: Quokka call\nx: !!python/name:os.system\n---\n"
                      "QUOKKAMARKER body.\n",
    })
    out = root.parent / "out"
    result = cli("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(out))
    assert result.code == 1, result.err  # built, then exit 1: the refused tag is an error
    assert (out / "index.html").is_file()
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"QUOKKAMARKER" not in data and b"Quokka" not in data, path
