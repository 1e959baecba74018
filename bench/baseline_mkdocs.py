#!/usr/bin/env python3
"""Baseline (b): publish the notes with plain MkDocs + Material.

    python bench/baseline_mkdocs.py NOTEBOOK OUTDIR

Copies every note's Markdown body (front matter stripped with
python-frontmatter) into a docs/ folder in a temporary directory, writes an
mkdocs.yml (theme material, search plugin, a bounded nav of index.md plus one
index page per section, not one entry per note) and an index.md, then runs
`python -m mkdocs build -q` into OUTDIR. Prints the note count, the total time
and the time of the mkdocs build alone.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import frontmatter

SECTIONS = ("people", "orgs", "conversations")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    notes = Path(sys.argv[1]) / "notes"
    out = Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-mkdocs-") as tmp:
        docs = Path(tmp) / "docs"
        count = 0
        for path in sorted(notes.rglob("*.md")):
            post = frontmatter.load(path)
            dest = docs / path.relative_to(notes)
            dest.parent.mkdir(parents=True, exist_ok=True)
            title = post.metadata.get("title") or post.metadata.get("name")
            body = post.content
            if title and not body.lstrip().startswith("# "):
                body = f"# {title}\n\n{body}"
            dest.write_text(body + "\n", encoding="utf-8")
            count += 1
        for section in SECTIONS:
            (docs / section).mkdir(parents=True, exist_ok=True)
            (docs / section / "index.md").write_text(
                f"# {section.capitalize()}\n\nAll {section} notes.\n", encoding="utf-8")
        (docs / "index.md").write_text(
            f"# Notebook\n\n{count} notes.\n", encoding="utf-8")
        nav = "\n".join(f"  - {s.capitalize()}: {s}/index.md" for s in SECTIONS)
        (Path(tmp) / "mkdocs.yml").write_text(
            "site_name: Notebook baseline\n"
            "theme:\n  name: material\n"
            "plugins:\n  - search\n"
            f"nav:\n  - Home: index.md\n{nav}\n",
            encoding="utf-8")
        t1 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-q", "-f",
             str(Path(tmp) / "mkdocs.yml"), "-d", str(out)],
            cwd=tmp, check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        t2 = time.perf_counter()
    print(f"notes={count} total={time.perf_counter() - t0:.2f}s "
          f"mkdocs_build={t2 - t1:.2f}s")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
