"""The layout's promises, checked on the source: where MkDocs is called, what queries import,
and that no command module decides an exit code (tests/test_exit_codes.py checks that one)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "src" / "convo_notes"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved against the package)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def test_only_the_adapter_touches_mkdocs_and_material():
    adapter = {PACKAGE / "site" / "mkdocs_run.py", PACKAGE / "site" / "parallel.py"}
    offenders = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p not in adapter
                       and any(m.split(".")[0] in ("mkdocs", "material") for m in imports_of(p)))
    assert offenders == []


def test_queries_never_import_renderers_or_commands():
    queries = ["agenda.py", "brief.py", "referrals.py", "contacts.py", "search.py", "names.py", "lints.py"]
    for name in queries:
        bad = {m for m in imports_of(PACKAGE / name) if m.startswith(("convo_notes.render", "convo_notes.cli"))}
        assert bad == set(), name


PROGRAM = ("__main__.py", "launch.py")  # the `convo` program itself: it runs the command line


def test_the_library_never_imports_the_command_line():
    offenders = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                       if "cli" not in p.relative_to(PACKAGE).parts[:1] and p.name not in PROGRAM
                       and any(m.startswith("convo_notes.cli") for m in imports_of(p)))
    assert offenders == []
