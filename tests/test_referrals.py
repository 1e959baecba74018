"""`convo referrals` and the referrals library: ranking, topics, free text, privacy, both directions."""

from __future__ import annotations

import json

import pytest

from conftest import REPO
from convo_notes.loader import load_notebook
from convo_notes.referrals import directory, experts, normalize_topic, suggest_topics, topic_stem

# A street of neighbours: two recommend Pete for plumbing, one (Cat) recommends
# Quinn twice and more recently; Ann also knows a dentist; Sam introduces Quinn to Ben.
STREET = {
    "convo.yml": "me: sam\ntopics:\n  aliases:\n    electrician: electrical\n",
    "notes/people/sam.md": "---\nname: Sam Okafor\n---\n",
    "notes/people/ann.md": "---\nname: Ann Archer\nexpertise: [gardening]\n---\n",
    "notes/people/ben.md": "---\nname: Ben Baker\n---\n",
    "notes/people/cat.md": "---\nname: Cat Cole\n---\n",
    "notes/people/pete.md": """\
        ---
        name: Pete Pipe
        role: Owner
        org: pipe-co
        email: pete@pipe.example
        phone: "+1 555 0100"
        expertise: [Plumbing, boilers]
        ---
        """,
    "notes/people/quinn.md": "---\nname: Quinn Quill\nrole: Plumber\n---\n",
    "notes/people/dora.md": "---\nname: Dora Dent\nrole: Dentist\n---\n",
    "notes/people/eve.md": "---\nname: Eve Expert\nexpertise: [plumbers, heat pumps]\n---\n",
    "notes/orgs/pipe-co.md": "---\nname: Pipe & Co\nwhat: Plumbing and heating\n---\n",
    "notes/2026-06-01-tap.md": """\
        ---
        date: 2026-06-01
        with: ann
        referrals:
          - recommends: pete
            for: plumbing
            note: Fixed her boiler in an hour.
          - recommends: dora
            for: dentists
            note: Gentle.
          - recommends: Green Thumb Gardens
            for: gardening
        ---
        """,
    "notes/2026-06-10-fence.md": """\
        ---
        date: 2026-06-10
        with: ben
        referrals:
          - recommends: pete
            for: [Plumbers, plumbing]
          - recommends: "green  thumb   GARDENS"
            for: Gardening
            note: Weekly visits.
        ---
        """,
    "notes/2026-07-01-party.md": """\
        ---
        date: 2026-07-01
        with: [cat, ben]
        referrals:
          - recommends: quinn
            for: plumber
            by: cat
            note: Cheap.
        ---
        """,
    "notes/2026-08-01-again.md": """\
        ---
        date: 2026-08-01
        with: cat
        referrals:
          - recommends: quinn
            for: plumbing
            note: Still cheap.
          - recommends: Secret Sparky
            for: Electrician
            note: Cash only.
        private: true
        ---
        """,
    "notes/2026-09-01-intro.md": """\
        ---
        date: 2026-09-01
        with: [ben, quinn]
        referrals:
          - recommends: quinn
            for: drain clearing
            by: me
            to: ben
            note: Ben's drains.
        ---
        """,
}

PETE = "notes/2026-06-01-tap.md"
PLUMBING = """\
plumbing  (also: Plumbers, plumber)
 1. Pete Pipe (pete) — 2 recommenders
    Owner, Pipe & Co · pete@pipe.example · +1 555 0100
    by Ann Archer, 2026-06-01: "Fixed her boiler in an hour." (notes/2026-06-01-tap.md:5)
    by Ben Baker, 2026-06-10 (notes/2026-06-10-fence.md:5)
 2. Quinn Quill (quinn) — 1 recommender
    Plumber
    by Cat Cole, 2026-07-01: "Cheap." (notes/2026-07-01-party.md:5)
    by Cat Cole, 2026-08-01: "Still cheap." (notes/2026-08-01-again.md:5) [private]
Who knows about plumbing:
   Eve Expert (eve) (knows: plumbers)
   Pete Pipe (pete) — Owner, Pipe & Co (knows: Plumbing)
"""


@pytest.fixture
def street(make_notebook):
    return make_notebook(STREET)


def test_street_notebook_is_valid(cli, street):
    result = cli("-C", str(street), "validate")
    assert (result.code, result.out) == (0, "14 notes checked: 0 errors, 0 warnings\n")


@pytest.mark.parametrize("word", ["plumber", "plumbers", "plumbing", "Plumbing", "  PLUMBERS ", "PLUMBING"])
def test_trade_name_forms_share_one_key(word):
    assert normalize_topic(word) == "plumb"


@pytest.mark.parametrize(("a", "b"), [
    ("EV-chargers", "ev  charger"), ("services", "service"), ("boxes", "box"), ("Water_Heaters", "water heater"),
])
def test_stemmer_merges(a, b):
    assert topic_stem(a) == topic_stem(b)


@pytest.mark.parametrize("word", ["glass", "analysis", "campus", "gas", "ring", "her"])
def test_stemmer_leaves_short_and_latin_words(word):
    assert topic_stem(word) == word


def test_aliases_are_normalized_and_followed():
    aliases = {"accountant": "accounting", "cpa": "accountant", "a": "b", "b": "a"}
    assert normalize_topic("Accountants", aliases) == normalize_topic("accounting") == "account"
    assert normalize_topic("CPA", aliases) == "account"
    assert normalize_topic("a", aliases) == "b"  # a cycle stops instead of looping


def test_done_when_two_neighbours_rank_above_one_and_dentists_left_out(cli, street):
    result = cli("-C", str(street), "referrals", "plumbing")
    assert (result.code, result.err) == (0, "")
    assert result.out == PLUMBING
    assert cli("-C", str(street), "referrals", "Plumbing").out == PLUMBING
    assert cli("-C", str(street), "referrals", "plumbers").out == PLUMBING


def test_same_recommender_twice_counts_once(street):
    [entry] = directory(load_notebook(street), "plumbing")
    quinn = entry.parties[1]
    assert (quinn.slug, len(quinn.recommendations), quinn.recommenders) == ("quinn", 2, 1)
    assert entry.parties[0].latest < quinn.latest  # more recent, still ranked below


def test_me_and_own_slug_are_one_recommender(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/zed.md": "---\nname: Zed\n---\n",
        "notes/a.md": "---\ndate: 2026-01-01\nwith: zed\nreferrals:\n  - {recommends: zed, for: x-ray, by: me}\n---\n",
        "notes/b.md": "---\ndate: 2026-01-02\nwith: zed\nreferrals:\n  - {recommends: zed, for: x-ray, by: sam}\n---\n",
    })
    [entry] = directory(load_notebook(root), "x-ray")
    assert [(p.slug, p.recommenders) for p in entry.parties] == [("zed", 1)]


def test_ties_broken_by_most_recent_then_name(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/al.md": "---\nname: Al\n---\n",
        "notes/a.md": "---\ndate: 2026-01-01\nwith: al\nreferrals:\n"
                      "  - {recommends: Zeta Co, for: roofing}\n  - {recommends: Beta Co, for: roofing}\n---\n",
        "notes/b.md": "---\ndate: 2026-02-01\nwith: al\nreferrals:\n  - {recommends: Omega Co, for: roofing}\n---\n",
    })
    [entry] = directory(load_notebook(root), "roofing")
    assert [p.name for p in entry.parties] == ["Omega Co", "Beta Co", "Zeta Co"]


def test_free_text_names_merge_case_and_space_insensitively(street):
    [entry] = directory(load_notebook(street), "gardening")
    [party] = entry.parties
    assert (party.kind, party.slug, party.name, party.recommenders) == ("text", None, "Green Thumb Gardens", 2)
    assert entry.label == "gardening" and entry.forms == ["gardening", "Gardening"]
    assert [e.person.slug for e in entry.experts] == ["ann"]


def test_free_text_that_is_a_persons_name_is_that_person(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/al.md": "---\nname: Al\n---\n",
        "notes/people/pete.md": "---\nname: Pete Pipe\n---\n",
        "notes/a.md": "---\ndate: 2026-01-01\nwith: al\nreferrals:\n  - {recommends: pete pipe, for: plumbing}\n---\n",
        "notes/b.md": "---\ndate: 2026-01-02\nwith: sam\nreferrals:\n  - {recommends: pete, for: plumbing}\n---\n",
    })
    [entry] = directory(load_notebook(root), "plumbing")
    assert [(p.kind, p.slug, p.recommenders) for p in entry.parties] == [("person", "pete", 2)]


def test_private_referrals_listed_and_marked_locally_left_out_for_the_site(cli, street):
    result = cli("-C", str(street), "referrals", "electrical")
    assert (result.code, result.out) == (0, """\
electrical  (also: Electrician)
 1. Secret Sparky [no file yet] — 1 recommender
    by Cat Cole, 2026-08-01: "Cash only." (notes/2026-08-01-again.md:8) [private]
""")
    nb = load_notebook(street)
    assert directory(nb, "electrical", include_private=False) == []
    [public] = directory(nb, "plumbing", include_private=False)
    assert [(p.slug, p.recommenders, len(p.recommendations)) for p in public.parties] == [
        ("pete", 2, 2), ("quinn", 1, 1)]
    assert all(not r.private for p in public.parties for r in p.recommendations)


def test_private_person_marked_locally_left_out_for_the_site(cli, make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/al.md": "---\nname: Al\nprivate: true\nexpertise: [roofing]\n---\n",
        "notes/people/bo.md": "---\nname: Bo\n---\n",
        "notes/a.md": "---\ndate: 2026-01-01\nwith: bo\nreferrals:\n  - {recommends: al, for: roofing}\n"
                      "  - {recommends: Roof Co, for: roofing, by: al}\n  - {recommends: Top Co, for: roofing}\n---\n",
    })
    result = cli("-C", str(root), "referrals", "roofing")
    assert (result.code, result.out.splitlines()[1]) == (0, " 1. Al (al) — 1 recommender [private]")
    assert result.out.endswith("Who knows about roofing:\n   Al (al) (knows: roofing) [private]\n")
    nb = load_notebook(root)
    [local] = directory(nb, "roofing")
    assert [(p.name, p.private) for p in local.parties] == [("Al", True), ("Roof Co", False), ("Top Co", False)]
    [public] = directory(nb, "roofing", include_private=False)
    assert [p.name for p in public.parties] == ["Top Co"] and public.experts == []
    assert [e.person.slug for e in experts(nb, "roofs")] == ["al"]


def test_by_lists_what_someone_recommended(cli, street):
    result = cli("-C", str(street), "referrals", "--by", "ann")
    assert (result.code, result.out) == (0, """\
dentists
 1. Dora Dent (dora) — 1 recommender
    Dentist
    by Ann Archer, 2026-06-01: "Gentle." (notes/2026-06-01-tap.md:8)

gardening  (also: Gardening)
 1. Green Thumb Gardens [no file yet] — 1 recommender
    by Ann Archer, 2026-06-01 (notes/2026-06-01-tap.md:11)

plumbing  (also: Plumbers, plumber)
 1. Pete Pipe (pete) — 1 recommender
    Owner, Pipe & Co · pete@pipe.example · +1 555 0100
    by Ann Archer, 2026-06-01: "Fixed her boiler in an hour." (notes/2026-06-01-tap.md:5)
""")


def test_to_shows_introductions(cli, street):
    result = cli("-C", str(street), "referrals", "--to", "ben")
    assert (result.code, result.out) == (0, """\
drain clearing
 1. Quinn Quill (quinn) — 1 recommender
    Plumber
    introduction by Sam Okafor to Ben Baker, 2026-09-01: "Ben's drains." (notes/2026-09-01-intro.md:5)
""")
    by_me = cli("-C", str(street), "referrals", "--by", "me", "--json")
    [topic] = json.loads(by_me.out)["topics"]
    [rec] = topic["recommended"][0]["recommendations"]
    assert rec["introduction"] is True and rec["to"] == {"slug": "ben", "name": "Ben Baker"}
    assert rec["by"] == {"slug": "sam", "name": "Sam Okafor"}


def test_by_with_topic_and_nothing_found(cli, street):
    result = cli("-C", str(street), "referrals", "plumbing", "--by", "ben", "--to", "ann")
    assert (result.code, result.out) == (
        0, "plumbing  (also: Plumbers, plumber)\n   No recommendations by Ben Baker.\n")
    result = cli("-C", str(street), "referrals", "--by", "eve")
    assert (result.code, result.out) == (0, "Eve Expert has recommended no one.\n")


def test_by_unknown_person_is_a_usage_error(cli, street):
    result = cli("-C", str(street), "referrals", "--by", "anne")
    assert (result.code, result.out) == (2, "")
    assert result.err == "convo: --by: no person `anne` in notes/people/ (did you mean `ann`?)\n"


def test_experts_answer_a_topic_nobody_recommended_for(cli, street):
    result = cli("-C", str(street), "referrals", "heat", "pump")
    assert (result.code, result.out) == (0, """\
heat pumps
   No recommendations.
Who knows about heat pumps:
   Eve Expert (eve) (knows: heat pumps)
""")


def test_unknown_topic_suggests_the_closest(cli, street):
    result = cli("-C", str(street), "referrals", "plumbng")
    assert (result.code, result.out) == (1, "")
    assert result.err == "convo: no recommendations or expertise for 'plumbng'; did you mean 'plumbing'?\n"
    result = cli("-C", str(street), "referrals", "astrophysics")
    assert (result.code, result.err) == (1, "convo: no recommendations or expertise for 'astrophysics'\n")
    assert suggest_topics(load_notebook(street), "gardner") == ["gardening"]
    result = cli("-C", str(street), "referrals", "dentistt", "--json")
    assert result.code == 1
    assert json.loads(result.out) == {"query": {"topic": "dentistt", "by": None, "to": None},
                                      "topics": [], "suggestions": ["dentists"], "errors": []}


def test_no_topic_lists_every_topic_including_free_text(cli, street):
    result = cli("-C", str(street), "referrals")
    assert result.code == 0
    headings = [line for line in result.out.splitlines() if line and not line.startswith(" ")
                and not line.startswith("Who knows")]
    assert headings == ["dentists", "drain clearing", "electrical  (also: Electrician)",
                        "gardening  (also: Gardening)", "plumbing  (also: Plumbers, plumber)"]
    assert " 1. Green Thumb Gardens [no file yet] — 2 recommenders" in result.out
    assert " 1. Secret Sparky [no file yet] — 1 recommender\n" in result.out  # free text: no note to be private
    assert '"Cash only." (notes/2026-08-01-again.md:8) [private]' in result.out


def test_overview_shows_top_three_per_topic(cli, make_notebook):
    refs = "".join(f"  - {{recommends: {name} Co, for: roofing}}\n" for name in "ABCDE")
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/people/al.md": "---\nname: Al\n---\n",
                          "notes/a.md": f"---\ndate: 2026-01-01\nwith: al\nreferrals:\n{refs}---\n"})
    result = cli("-C", str(root), "referrals")
    assert (result.code, result.out) == (0, """\
roofing
 1. A Co [no file yet] — 1 recommender
    by Al, 2026-01-01 (notes/a.md:5)
 2. B Co [no file yet] — 1 recommender
    by Al, 2026-01-01 (notes/a.md:6)
 3. C Co [no file yet] — 1 recommender
    by Al, 2026-01-01 (notes/a.md:7)
   … 2 more: convo referrals roofing
""")
    doc = json.loads(cli("-C", str(root), "referrals", "--json").out)
    assert [p["name"] for p in doc["topics"][0]["recommended"]] == ["A Co", "B Co", "C Co"]
    assert doc["topics"][0]["more"] == 2
    assert len(json.loads(cli("-C", str(root), "referrals", "roofing", "--json").out)["topics"][0]["recommended"]) == 5


def test_empty_notebook_has_no_referrals(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = cli("-C", str(root), "referrals")
    assert (result.code, result.out) == (0, "No referrals in this notebook.\n")


def test_json_golden(cli, street, golden):
    result = cli("-C", str(street), "referrals", "plumbing", "--json")
    assert result.code == 0
    golden("referrals_plumbing.json", result.out)


def test_overview_golden(cli, street, golden):
    result = cli("-C", str(street), "referrals")
    golden("referrals_overview.txt", result.out)


def test_sample_notebook_plumbing(cli):
    doc = json.loads(cli("-C", str(REPO), "referrals", "plumber", "--json").out)
    [topic] = doc["topics"]
    assert topic["topic"] == "plumbing"
    assert [(p["slug"], p["recommenders"]) for p in topic["recommended"]] == [("luis-ortega", 2), ("dmitri-sokolov", 1)]
    assert [e["slug"] for e in topic["experts"]] == ["dmitri-sokolov", "luis-ortega"]
    accounting = json.loads(cli("-C", str(REPO), "referrals", "accountants", "--json").out)["topics"][0]
    assert [(p["kind"], p["name"]) for p in accounting["recommended"]] == [
        ("person", "Nadia Haddad"), ("text", "Brightline Bookkeeping")]


# Validation of referrals lives in checks.py; these pin it down.
BAD = """\
---
date: 2026-06-01
with: [ann, ben]
referrals:
  - recommends: pete
    for: plumbing
  - for: plumbing
    by: ann
  - recommends: Pete Pipe
    by: ann
  - recommends: Fine Name
    for: gardening
    by: ben
---
"""


def test_referral_validation(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/people/ann.md": "---\nname: Ann\n---\n",
                          "notes/people/ben.md": "---\nname: Ben\n---\n",
                          "notes/c.md": BAD})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert result.out.splitlines() == [
        ("notes/c.md:5:5: error[referral-needs-by]: this conversation is with 2 people: say who made the "
        "recommendation with `by:` (one of ann, ben, or `me`)"),
        ("notes/c.md:5:17: error[unknown-recommendation]: `recommends: pete` names no person or org; "
        "write a name with capitals or spaces for someone with no file yet"),
        ("notes/c.md:7:5: error[missing-field]: this entry of `referrals` needs `recommends` "
        "(a person or org slug, or free text for someone with no file yet)"),
        ("notes/c.md:9:5: error[missing-field]: this entry of `referrals` needs `for` "
        "(the need or topic, or a list of them)"),
        "4 notes checked: 4 errors, 0 warnings",
    ]
    # What can be read is still listed; an unknown recommender counts once per conversation.
    [entry] = directory(load_notebook(root), "plumbing")
    assert [(p.name, p.recommenders, p.recommendations[0].by) for p in entry.parties] == [("pete", 1, None)]
