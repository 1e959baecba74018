#!/usr/bin/env python3
"""Baseline (a): the script a user would write instead of `convo`.

    python bench/baseline_frontmatter.py NOTEBOOK

Walks NOTEBOOK/notes/**/*.md, loads each note with python-frontmatter and
collects its metadata into a list; prints how many notes it read.
"""

import sys
from pathlib import Path

import frontmatter


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    notes = Path(sys.argv[1]) / "notes"
    metadata = []
    for path in sorted(notes.rglob("*.md")):
        post = frontmatter.load(path)
        metadata.append({"path": str(path), **post.metadata})
    print(len(metadata))
    return 0


if __name__ == "__main__":
    sys.exit(main())
