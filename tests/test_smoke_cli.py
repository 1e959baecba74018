"""The CLI contract basics: discovery, exit codes, JSON shape."""

from conftest import REPO


def test_sample_notebook_validates_clean(cli):
    result = cli("-C", str(REPO), "validate")
    assert result.code == 0, result.out + result.err
    assert result.out.strip().endswith("0 errors, 0 warnings")


def test_no_notebook_is_usage_error(cli, tmp_path):
    result = cli("validate", cwd=tmp_path)
    assert result.code == 2
    assert "no notebook found" in result.err


def test_validate_json_shape(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/c.md": "---\ndate: 2026-13-40\nwith: sam\n---\n"})
    result = cli("-C", str(root), "validate", "--format", "json")
    assert result.code == 1
    import json

    doc = json.loads(result.out)
    assert doc == {"errors": [{"path": "notes/c.md", "line": 2, "column": 7, "severity": "error",
                               "code": "bad-date", "message": "`date: 2026-13-40` is not a real date"}]}
