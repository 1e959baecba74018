"""A property over notes that validate, extreme values included: every reporting command, and the site,
finishes without an internal error (exit 0 or 1, never "This is a bug", never a traceback).

The notes are generated valid by construction: dates at the ends of the supported range, the longest
durations, long slugs, many people, unicode, empty bodies, bodies with control characters and bracket
storms, and YAML written in its odd but valid forms (flow and block, quoted and plain).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli, write_notebook
from convo_notes.dates import MAX_DURATION

SLUG_PART = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
LONG_SLUG = st.lists(SLUG_PART, min_size=1, max_size=12).map("-".join).map(lambda s: s[:150].strip("-") or "x")
DATES = st.sampled_from(["1900-01-01", "1900-01-01T00:00", "2999-12-31", "2999-12-31T23:59", "2026-11-18",
                         "2000-02-29", "2026-11-18 14:30:59Z", "2999-12-30T23:59:59+14:00"])
DURATIONS = st.sampled_from([f"{n}{u}" for u, n in MAX_DURATION.items()] + ["1d", "0001w", "3 m", "12m"])
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=40)
ODD_TEXT = st.sampled_from(["", "é 東京 🙂", "\x1b[2J\u202e", "[[", "a: b", "- x", "#", "~~~", "`", "\\", "[x](y)",
                            "<script>", "{ onclick=x }", "'", '"', "null", "yes", "1e9", "0x1F"])
BODIES = st.sampled_from([
    "", "\n", "# Title\n", "Plain.\n", "[[me]] and [[nobody]]\n", "\x1b]0;title\x07 \u202eevil\n",
    "[" * 400 + "\n", "[a](" * 800 + "\n", "<a " * 1000 + "\n", "`" * 500 + "\n", "x" * 30_000 + "\n",
    "```\nunclosed fence\n", "| a | b |\n|---|---|\n| 1 | 2 |\n", "- [ ] task\n  - nested\n", "\u0000\u0085\n",
])


def quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (every character escaped as YAML allows)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() and ch not in "\u2028\u2029\ufeff":
            out.append(ch)
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


@st.composite
def notebooks(draw: st.DrawFn) -> dict[str, str]:
    """A notebook whose every note is valid: people, an org, conversations with every kind of field."""
    people = draw(st.lists(LONG_SLUG, min_size=1, max_size=12, unique=True))
    # (`null` unquoted is YAML's empty value, never a slug: a note naming such a person is not valid)
    people = [p for p in people if p not in ("me", "null")] or ["ann"]
    files: dict[str, str] = {
        "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
        "notes/orgs/acme.md": f"---\nname: {quoted(draw(TEXT) or 'Acme')}\ntags: [{quoted(draw(ODD_TEXT))}]\n---\n",
    }
    for slug in people:
        cadence = draw(st.none() | DURATIONS)
        lines = [f"name: {quoted(draw(TEXT) or slug)}", "org: acme"]
        if cadence:
            lines.append(f"cadence: {cadence}")
        if draw(st.booleans()):
            lines.append(f"private: {draw(st.sampled_from(['true', 'false']))}")
        lines.append(f"aliases: [{quoted(draw(ODD_TEXT))}]")
        files[f"notes/people/{slug}.md"] = "---\n" + "\n".join(lines) + "\n---\n" + draw(BODIES)
    for n in range(draw(st.integers(1, 4))):
        with_ = draw(st.lists(st.sampled_from([*people, "sam"]), min_size=1, max_size=12, unique=True))
        flow = draw(st.booleans())
        lines = [f"date: {draw(DATES)}",
                 f"with: [{', '.join(with_)}]" if flow else "with:\n" + "".join(f"  - {p}\n" for p in with_).rstrip()]
        if draw(st.booleans()):
            lines.append(f"thread: {draw(LONG_SLUG)}")
        lines.append(f"title: {quoted(draw(ODD_TEXT) + draw(TEXT))}")
        lines.append(f"tags: [{quoted(draw(ODD_TEXT))}, {quoted(draw(TEXT))}]")
        if draw(st.booleans()):
            lines.append(f"next: {{turn: {draw(st.sampled_from(['me', 'them', with_[0]]))}, by: {draw(DATES)[:10]}, "
                         f"about: {quoted(draw(TEXT))}}}")
        commitments = draw(st.integers(0, 3))
        if commitments:
            lines.append("commitments:")
            for i in range(commitments):
                lines.append(f"  - what: {quoted(draw(TEXT) or 'x')}")
                lines.append(f"    due: {draw(DATES)[:10]}")
                lines.append(f"    owner: {draw(st.sampled_from(['me', with_[0]]))}")
                if draw(st.booleans()):
                    lines.append(f"    done: {draw(DATES)[:10]}")
                if draw(st.booleans()):
                    lines.append(f"    id: c{n}-{i}")
        if draw(st.booleans()):
            lines.append("referrals:")
            lines.append(f"  - recommends: {quoted('Ace ' + draw(TEXT))}")  # free text: never slug-shaped
            lines.append(f"    for: [{quoted(draw(ODD_TEXT) or 'plumbing')}]")
            lines.append(f"    by: {with_[0]}")
        files[f"notes/c/conv-{n}.md"] = "---\n" + "\n".join(lines) + "\n---\n" + draw(BODIES)
    return files


COMMANDS = (("validate",), ("due", "--all"), ("due", "--within", "36500"), ("threads",), ("referrals",),
            ("ics", "--events", "--include-done"), ("export",))
TODAYS = st.sampled_from(["1900-01-01", "2026-11-20", "2999-12-31"])


def check(result, args: tuple[str, ...]) -> None:
    assert result.code in (0, 1), (args, result.code, result.err)
    assert "This is a bug" not in result.err, (args, result.err)
    assert "Traceback" not in result.out + result.err, args
    assert "internal-error" not in result.out, (args, result.out)


def run_all(files: dict[str, str], today: str, site: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="convo-extremes-"))
    try:
        root = write_notebook(work / "nb", files)
        validated = run_cli("-C", str(root), "validate")
        assert validated.code == 0, validated.out  # valid by construction: the property is about such notes
        for args in COMMANDS:
            check(run_cli("-C", str(root), "--today", today, *args), args)
        people = sorted(p[len("notes/people/"):-3] for p in files if p.startswith("notes/people/"))
        for args in (("brief", people[-1]), ("brief", "acme"), ("show", people[-1]), ("show", "notes/c/conv-0.md")):
            check(run_cli("-C", str(root), "--today", today, *args), args)
        if site:
            args = ("site", "build", "-d", str(work / "site"))
            check(run_cli("-C", str(root), "--today", today, *args), args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=notebooks(), today=TODAYS)
def test_every_command_finishes_on_valid_extreme_notes(files, today):
    run_all(files, today, site=False)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=notebooks(), today=TODAYS)
def test_the_site_builds_from_valid_extreme_notes(files, today):
    run_all(files, today, site=True)
