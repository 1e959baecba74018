"""Extreme values on notes that validate: dates and durations bounded at the schema, date arithmetic that
cannot overflow, `--today`/`--within` bounded, site page names that fit any file system, and control
characters from notes shown escaped on the terminal (issue 10, items 3 and 6)."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stdout

import pytest

from convo_notes.dates import MAX_DATE, MAX_DURATION, MIN_DATE, add_days, add_months
from convo_notes.schema import DURATION_PATTERN, Duration
from convo_notes.site.model import MAX_NAME_BYTES, page_name
from convo_notes.termsafe import escape_controls

SAM = {"notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n"}


# --- date arithmetic --------------------------------------------------------------------------------

def test_add_days_clamps_at_the_ends_of_the_calendar():
    assert add_days(dt.date(2026, 11, 18), 7) == dt.date(2026, 11, 25)
    assert add_days(dt.date(2026, 11, 18), -18) == dt.date(2026, 10, 31)
    assert add_days(dt.date(9999, 12, 31), 1) == dt.date.max
    assert add_days(dt.date(2026, 1, 1), 10**12) == dt.date.max
    assert add_days(dt.date(1, 1, 1), -1) == dt.date.min
    assert add_days(dt.date(2026, 1, 1), -(10**12)) == dt.date.min


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 30)
    assert add_months(dt.date(2026, 12, 31), 12) == dt.date(2027, 12, 31)
    assert add_months(dt.date(9999, 12, 1), 1) == dt.date.max
    assert add_months(dt.date(2026, 1, 1), 10**9) == dt.date.max


def test_the_longest_durations_from_the_last_date_do_not_overflow():
    for unit, count in MAX_DURATION.items():
        assert Duration(count, unit).after(MAX_DATE) > MAX_DATE
    assert Duration(3, "m").after(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)
    assert Duration(2, "w").after(dt.date(2026, 11, 18)) == dt.date(2026, 12, 2)


def test_the_json_schema_duration_pattern_accepts_exactly_the_validators_range():
    for unit, longest in MAX_DURATION.items():
        for count in (0, 1, 9, 10, 99, 100, longest - 1, longest, longest + 1, longest * 10):
            assert bool(re.match(DURATION_PATTERN, f"{count}{unit}")) == (1 <= count <= longest), (count, unit)


# --- the schema ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("front,expected", [
    ("name: Kim\ncadence: 1000000000d",
     "notes/people/kim.md:3:10: error[out-of-range]: `cadence: 1000000000d` is longer than 100 years "
     "(at most 36500d, 5200w, 1200m, 100y)"),
    ("name: Kim\ncadence: 101y",
     "notes/people/kim.md:3:10: error[out-of-range]: `cadence: 101y` is longer than 100 years "
     "(at most 36500d, 5200w, 1200m, 100y)"),
    ("name: Kim\ncadence: " + "9" * 5000 + "d",  # int() refuses strings this long: never converted
     "notes/people/kim.md:3:10: error[out-of-range]: `cadence: " + "9" * 5000 + "d` is longer than 100 years "
     "(at most 36500d, 5200w, 1200m, 100y)"),
    ("name: Kim\ncadence: 000d",
     "notes/people/kim.md:3:10: error[bad-duration]: `cadence: 000d` is not a duration like 14d, 2w, 3m or 1y"),
])
def test_durations_past_100_years_are_located_errors(front, expected, make_notebook, cli):
    root = make_notebook({**SAM, "notes/people/kim.md": f"---\n{front}\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines()[:-1] == [expected]
    assert result.code == 1


def test_the_longest_durations_validate(make_notebook, cli):
    files = {**SAM, **{f"notes/people/p{unit}.md": f"---\nname: P\ncadence: {count}{unit}\n---\n"
                       for unit, count in MAX_DURATION.items()}}
    result = cli("-C", str(make_notebook(files)), "validate")
    assert (result.code, result.out) == (0, "5 notes checked: 0 errors, 0 warnings\n")


def test_dates_outside_1900_to_2999_are_located_errors(make_notebook, cli):
    root = make_notebook({**SAM, "notes/c.md": "---\ndate: 9999-12-31T23:59\nwith: sam\nnext:\n  turn: me\n"
                                              "  by: 1899-12-31\ncommitments:\n  - what: x\n    due: 3000-01-01\n"
                                              "    done: 2999-12-31\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines() == [
        "notes/c.md:2:7: error[out-of-range]: `date: 9999-12-31T23:59` is outside the supported dates "
        "(1900-01-01 to 2999-12-31)",
        "notes/c.md:6:7: error[out-of-range]: `by: 1899-12-31` is outside the supported dates "
        "(1900-01-01 to 2999-12-31)",
        "notes/c.md:9:10: error[out-of-range]: `due: 3000-01-01` is outside the supported dates "
        "(1900-01-01 to 2999-12-31)",
        "2 notes checked: 3 errors, 0 warnings",
    ]


def test_every_command_answers_at_the_edges_of_the_range(make_notebook, cli):
    root = make_notebook({
        **SAM,
        "notes/people/kim.md": "---\nname: Kim\ncadence: 100y\n---\n",
        "notes/people/lee.md": "---\nname: Lee\ncadence: 36500d\n---\n",
        "notes/old.md": "---\ndate: 1900-01-01\nwith: kim\nnext: {turn: them, by: 1900-01-01}\n---\n",
        "notes/late.md": "---\ndate: 2999-12-31T23:59\nwith: lee\nnext: {turn: me, by: 2999-12-31}\n"
                         "commitments:\n  - what: x\n    due: 2999-12-31\n---\n",
    })
    for today in (MIN_DATE.isoformat(), MAX_DATE.isoformat()):
        for args in (("due", "--all"), ("due", "--within", "36500"), ("threads",), ("brief", "lee"),
                     ("ics", "--events"), ("export",), ("show", "late")):
            result = cli("-C", str(root), "--today", today, *args)
            assert result.code in (0, 1), (today, args, result.err)
            assert result.err == "", (today, args)
    late = cli("-C", str(root), "--today", "2999-12-31", "ics", "--events")
    assert "DTEND;VALUE=DATE:30000101" in late.out  # the day after the last: iCalendar's exclusive end


@pytest.mark.parametrize("args,message", [
    (("--today", "9999-12-31", "due"),
     "Error: Invalid value for '--today': '9999-12-31' is outside the supported dates (1900-01-01 to 2999-12-31)"),
    (("--today", "0001-01-01", "ics"),
     "Error: Invalid value for '--today': '0001-01-01' is outside the supported dates (1900-01-01 to 2999-12-31)"),
    (("due", "--within", "99999999999"),
     "Error: Invalid value for '--within': 99999999999 is not in the range 0<=x<=36500."),
    (("due", "--within", "36501"),
     "Error: Invalid value for '--within': 36501 is not in the range 0<=x<=36500."),
])
def test_today_and_within_out_of_range_are_usage_errors(args, message, make_notebook, cli):
    result = cli("-C", str(make_notebook(SAM)), *args)
    assert result.code == 2
    assert result.err.splitlines()[-1] == message


def test_today_out_of_range_from_the_environment_is_a_usage_error(make_notebook, cli):
    result = cli("-C", str(make_notebook(SAM)), "due", env={"CONVO_TODAY": "9999-12-31"})
    assert result.code == 2
    assert "outside the supported dates" in result.err


# --- site page names ----------------------------------------------------------------------------------

def test_page_names_are_kept_short_and_stable():
    assert page_name("dana-reyes") == "dana-reyes"
    exact = "a" * MAX_NAME_BYTES
    assert page_name(exact) == exact
    long_a, long_b = "x" * 300 + "-a", "x" * 300 + "-b"
    assert len(page_name(long_a).encode()) <= MAX_NAME_BYTES
    assert page_name(long_a) == page_name("x" * 300 + "-a")  # the same from build to build
    assert page_name(long_a) != page_name(long_b)
    assert page_name(long_a).startswith("x" * 80)
    assert len(page_name("é" * 200).encode()) <= MAX_NAME_BYTES  # cut on a character, never inside one


def test_a_ten_person_meeting_with_long_slugs_builds(make_notebook, cli, tmp_path):
    people = [f"person-{i}-" + "x" * 60 for i in range(10)]
    files = {**SAM, **{f"notes/people/{p}.md": f"---\nname: P{i}\n---\n" for i, p in enumerate(people)}}
    files["notes/meet.md"] = f"---\ndate: 2026-11-18\nwith: [{', '.join(people)}]\n---\nHello.\n"
    files["notes/long.md"] = "---\ndate: 2026-11-18\nwith: sam\nthread: " + "long-" * 60 + "end\n---\n"
    root = make_notebook(files)
    out = tmp_path / "site"
    result = cli("-C", str(root), "--today", "2026-11-20", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    threads = sorted(p.name for p in (out / "threads").iterdir() if p.is_dir())
    assert len(threads) == 2
    assert all(len(name.encode()) <= MAX_NAME_BYTES for name in threads)
    again = tmp_path / "again"
    assert cli("-C", str(root), "--today", "2026-11-20", "site", "build", "-d", str(again)).code == 0
    assert sorted(p.name for p in (again / "threads").iterdir() if p.is_dir()) == threads


# --- terminal safety ----------------------------------------------------------------------------------

def test_escape_controls_shows_control_and_bidi_characters():
    assert escape_controls("plain café 東京 🙂\ttab\nline") == "plain café 東京 🙂\ttab\nline"
    assert escape_controls("a\x1b[2Jb\x07c\rd\x00e\x7ff\x9bg") == "a\\x1b[2Jb\\x07c\\x0dd\\x00e\\x7ff\\x9bg"
    assert escape_controls("\u202egnp.exe\u2066x\u2069") == "\\u202egnp.exe\\u2066x\\u2069"
    assert escape_controls("\x1b[1mbold\x1b[0m") == "\\x1b[1mbold\\x1b[0m"


def test_escape_controls_keeps_only_convos_own_styles():
    styled = "\x1b[31m\x1b[1merror\x1b[0m: \x1b]8;;https://evil.example\x07x\x1b[8mhidden\x1b[H"
    assert escape_controls(styled, keep_styles=True) == (
        "\x1b[31m\x1b[1merror\x1b[0m: \\x1b]8;;https://evil.example\\x07x\\x1b[8mhidden\\x1b[H")


def test_control_characters_from_notes_never_reach_the_terminal(make_notebook, cli):
    root = make_notebook({
        **SAM,
        "notes/people/evil.md": '---\nname: "Ev\\e]0;pwned\\ail\\e[2J\\u202egnp.exe"\n---\n',
        "notes/c.md": '---\ndate: 2026-11-18\nwith: evil\ntitle: "T\\e[31m"\nchannel: "x\\e[2J"\n'
                      'commitments:\n  - what: "Pay\\e]52;c;ZXZpbA==\\a"\n    due: 2026-11-19\n---\n'
                      "Body \x1b[5m blink\n",
    })
    outputs = []
    for args in (("validate",), ("due", "--all"), ("threads",), ("brief", "evil"), ("show", "evil"),
                 ("show", "notes/c.md"), ("referrals",)):
        result = cli("-C", str(root), "--today", "2026-11-20", *args)
        assert result.code in (0, 1), args
        outputs.append(result.out + result.err)
    text = "".join(outputs)
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in text
    assert "Ev\\x1b]0;pwned\\x07il\\x1b[2J\\u202egnp.exe" in text
    assert "`channel: x\\x1b[2J` is not one of call" in text  # a diagnostic quoting the value
    assert "Pay\\x1b]52;c;ZXZpbA==\\x07" in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_feeds_and_exports_are_escaped_on_a_terminal(make_notebook, cli):
    from convo_notes.cli import main

    root = make_notebook({**SAM, "notes/c.md": '---\ndate: 2026-11-18\nwith: sam\ncommitments:\n'
                                               '  - what: "Pay\\e[2J"\n    due: 2026-11-19\n---\n'})
    piped = cli("-C", str(root), "--today", "2026-11-20", "export")
    assert '"what": "Pay\\u001b[2J"' in piped.out  # JSON escapes it itself
    shown = _Terminal()
    with redirect_stdout(shown), pytest.raises(SystemExit):
        main(["-C", str(root), "--today", "2026-11-20", "ics"])
    assert "SUMMARY:Pay\\x1b[2J" in shown.getvalue()
    assert "\x1b" not in shown.getvalue()


# --- big bodies on the site ---------------------------------------------------------------------------

def test_big_bodies_and_bracket_storms_are_bounded_on_the_site(make_notebook):
    import time

    from conftest import REPO
    from convo_notes.loader import load_notebook
    from convo_notes.site.model import SiteModel
    from convo_notes.site.pages import MAX_BODY_CHARS, PageSet, make_env
    from convo_notes.site.public import public_view

    head = "---\ndate: 2026-11-18\nwith: sam\n---\n"
    root = make_notebook({**SAM, "notes/big.md": head + "A paragraph of the note.\n\n" * 40_000,
                          "notes/storm.md": head + "Intro.\n\n" + "[a](" * 50_000 + "\n\n<a " * 30 + "\n\nThe end.\n"})
    nb = load_notebook(root)
    site = SiteModel(public_view(nb), dt.date(2026, 11, 20))
    pageset = PageSet(site, make_env(REPO / "site_templates"), lambda note: note.body)
    started = time.monotonic()
    pages = dict(pageset.pages())
    assert time.monotonic() - started < 10
    big = pages[site.conv_page["notes/big.md"]]
    shown = MAX_BODY_CHARS // len("A paragraph of the note.\n\n")  # whole lines only: 10082
    assert big.count("A paragraph of the note.") == shown
    assert f"The rest of this note, from line {5 + 2 * shown}, is too long for the site" in big
    storm = pages[site.conv_page["notes/storm.md"]]
    assert "<pre>[a](" in storm and "The end." in storm
    assert sorted(pageset.problems) == [
        "notes/big.md:20169: the body is 1,015 KiB; the site shows only its first 256 KiB, up to this line",
        "notes/storm.md:7: a paragraph too long or with too many unclosed brackets for Markdown is shown as "
        "plain text",
    ]


def test_a_file_name_that_is_not_utf8_is_reported_and_the_site_builds_without_it(make_notebook, cli, tmp_path):
    import os

    root = make_notebook(SAM)
    os.makedirs(root / "notes" / "c")
    with open(os.fsencode(root / "notes" / "c") + b"/caf\xe9.md", "wb") as fh:
        fh.write(b"---\ndate: 2026-11-18\nwith: sam\n---\nHello.\n")
    expected = "notes/c/caf\ufffd.md:1:1: error[bad-file-name]: file name is not valid UTF-8; not read"
    for args in (("validate",), ("due", "--all"), ("threads",)):
        result = cli("-C", str(root), "--today", "2026-11-20", *args)
        assert result.code == 1, (args, result.err)
        assert expected in result.out + result.err, args
        assert "This is a bug" not in result.err, args
    built = cli("-C", str(root), "--today", "2026-11-20", "site", "build", "-d", str(tmp_path / "site"))
    assert built.code == 1, built.err  # built without it, then exit 1: the notebook has an error
    assert (tmp_path / "site" / "index.html").is_file()
    assert not [p for p in (tmp_path / "site").rglob("*caf*")]
    assert escape_controls("caf\udce9") == "caf\\udce9"
    assert page_name("caf\udce9") == "caf-" + page_name("caf\udce9").rpartition("-")[2]
    assert page_name("caf\udce9") != page_name("caf\udce8")


def test_a_line_of_many_unclosed_wiki_links_is_read_in_linear_time(make_notebook, cli):
    """`[[a[[a[[a…` once made the wiki-link pattern quadratic (65 s for 60 KB); a valid note must not hang."""
    from convo_notes.loader import WIKI_LINK

    assert WIKI_LINK.findall("[[a" * 20_000) == []  # milliseconds now; over a minute before
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/c.md": "---\ndate: 2026-11-18\nwith: sam\n---\n" + "[[a" * 20_000 + "\n"})
    assert cli("-C", str(root), "validate").code == 0
