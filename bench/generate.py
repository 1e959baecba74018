#!/usr/bin/env python3
"""Write a deterministic synthetic notebook (format v1) for benchmarks.

    python bench/generate.py OUTDIR --conversations N [--seed S]

Layout written:

    OUTDIR/convo.yml                      me: <a team member>
    OUTDIR/mkdocs.yml                     minimal team-site configuration
    OUTDIR/notes/people/<slug>.md         N/20 people (min 12)
    OUTDIR/notes/orgs/<slug>.md           N/150 orgs (min 2)
    OUTDIR/notes/conversations/<year>/<date>-<slug>.md   N conversations
    OUTDIR/bench-meta.json                facts the benchmark runner needs
                                          (busiest person, counts); not a note

Same seed and N give byte-identical output. Standard library only; the YAML is
emitted by hand (slugs bare, free text double-quoted JSON-style, which YAML
accepts), so the writer stays fast: 50,000 conversations take about 6 s of CPU.
"""

# ruff: noqa: SIM905  (word lists read best as one string)
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import sys
import unicodedata

END = dt.date(2026, 11, 20)  # the last conversation date
SPAN_DAYS = 3 * 365  # conversations spread over about three years
START = END - dt.timedelta(days=SPAN_DAYS)
BENCH_TODAY = dt.date(2026, 11, 22)  # "today" the benchmark uses

FIRST = (
    "dana kim alex sam jordan taylor morgan casey riley jamie avery quinn "
    "harper rowan skyler emerson finley hayden parker reese sage blake drew "
    "elliot jesse kai logan marion noel peyton robin shawn tatum val wren "
    "amara bruno chen dmitri esther farah gustavo hana ivan jun kofi lena "
    "mateo nadia omar priya rafael sofia tomas uma viktor yara zane ines"
).split()
FIRST_ACCENTED = ["José", "Zoë", "Björn", "Chloé", "Søren", "Renée", "Łukasz", "Inês"]
LAST = (
    "reyes nakamura okafor lindqvist moreau patel garcia novak schmidt rossi "
    "kowalski tanaka oconnor fischer silva haddad ivanova jensen kim larsen "
    "mendez nguyen osei petrov quinlan ramirez sato thompson umar vasquez "
    "walsh xu yilmaz zimmerman abbott baker carter dubois ellis foster "
    "grant hughes ingram jacobs keller lopez murphy nolan ortiz price"
).split()
LAST_ACCENTED = ["Álvarez", "Müller", "Gómez", "Sørensen", "Łęcki", "Çelik"]

ORG_A = (
    "harbor summit cedar granite beacon northwind bluebird ironwood meridian "
    "copper lakeside redwood silverline orchard keystone pioneer evergreen "
    "riverbend sunrise atlas falcon juniper maple quarry willow"
).split()
ORG_B = (
    "logistics labs partners studio foods health analytics systems capital "
    "builders media robotics energy consulting supply works clinic design"
).split()

TOPICS = (
    "plumbing accounting dentist legal design electrician hiring marketing "
    "translation insurance catering photography tax-advice bookkeeping "
    "web-hosting printing"
).split()
FREE_TEXT_REFERRALS = [
    "Green Thumb Gardens", "Ace Plumbing & Heating", "Dr. Ortega's practice",
    "Brightside Bookkeeping", "Lopez & Sons Electric", "The Corner Print Shop",
    "Maple Street Dental", "Northside Legal Clinic", "Studio Kettle: design",
    "Ming's Catering", "Harbor Tax Advisors", "\"Quick Fix\" Handyman",
]
INTERESTS = (
    "pricing pilot-program integrations onboarding security-review roadmap "
    "case-studies training support-sla data-export analytics hiring "
    "sustainability partnerships api-access mobile-app"
).split()
TAGS = (
    "customer prospect partner supplier investor advisor friend vendor "
    "urgent follow-up renewal intro conference internal quarterly"
).split()
ROLES = [
    "CEO", "CTO", "Head of Operations", "Procurement Lead", "Engineer",
    "Product Manager", "Designer", "Account Executive", "Founder",
    "Office Manager", "Counsel", "Accountant", "Research Scientist",
]
EXPERTISE = TOPICS + (
    "supply-chain machine-learning fundraising sales negotiation "
    "recruiting logistics compliance"
).split()
CHANNELS = ["call", "meeting", "email", "chat", "video", "letter", "event", "other"]
CADENCES = ["14d", "2w", "4w", "1m", "3m", "6m", "1y"]
WORDS = (
    "the a and of to in we they it for with on that this was said about "
    "price pilot plan team budget timeline contract supplier quarter review "
    "proposal scope measure milestone renewal meeting follow call email "
    "decision risk option cost quality delivery launch customer market "
    "product feature feedback question answer agreed wants needs prefers "
    "next week month early late soon maybe likely clearly probably "
    "warehouse office design legal numbers forecast draft signed shared "
    "introduced recommended asked offered promised sent received noted"
).split()
ACTIONS = [
    "Send the pilot plan", "Share the pricing sheet", "Introduce to {p}",
    "Draft the proposal", "Review the contract", "Book a site visit",
    "Send the supplier scorecard", "Confirm the budget", "Share meeting notes",
    "Check references for {p}", "Prepare the demo", "Send the invoice",
]
NEXT_ABOUT = [
    "Propose pilot scope", "Reply with numbers", "Schedule a follow-up call",
    "Send the revised draft", "Decide on the supplier", "Confirm dates",
    "Answer the open questions", "Share the final quote",
]

SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """ASCII-fold and hyphenate: 'José Álvarez' -> 'jose-alvarez'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = folded.replace("ł", "l").replace("Ł", "l")
    return SLUG_RE.sub("-", folded.lower()).strip("-") or "x"


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def ylist(items) -> str:
    return "[" + ", ".join(items) + "]"


def uniq(slug: str, used: set[str]) -> str:
    base, n = slug, 2
    while slug in used:
        slug = f"{base}-{n}"
        n += 1
    used.add(slug)
    return slug


class Gen:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.r = random.Random(seed)
        self.words = WORDS

    # ---------------------------------------------------------------- text
    def sentence(self, lo: int = 8, hi: int = 18) -> str:
        w = self.r.choices(self.words, k=self.r.randint(lo, hi))
        return w[0].capitalize() + " " + " ".join(w[1:]) + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def body(self, heading: str, people_names: list[str]) -> str:
        r = self.r
        parts = [f"# {heading}\n"] if heading else []
        parts.append(self.paragraph(r.randint(3, 4)))
        if people_names:
            parts.append(f"{people_names[0]} {self.sentence(6, 12).lower()}")
        parts.append(self.paragraph(r.randint(3, 4)))
        parts.append("\n".join(
            f"- {self.sentence(4, 9)}" for _ in range(r.randint(3, 5))))
        parts.append(self.paragraph(r.randint(2, 3)))
        if r.random() < 0.5:
            parts.append(f"## {self.sentence(2, 4)[:-1]}")
        parts.append(self.paragraph(r.randint(3, 4)))
        return "\n\n".join(parts) + "\n"

    # -------------------------------------------------------------- people
    def make_orgs(self) -> list[dict]:
        r, used, orgs = self.r, set(), []
        for _ in range(max(2, self.n // 150)):
            name = f"{r.choice(ORG_A).capitalize()} {r.choice(ORG_B).capitalize()}"
            slug = uniq(slugify(name), used)
            orgs.append({
                "slug": slug, "name": name,
                "what": self.sentence(5, 10),
                "website": f"https://{slug}.example.com" if r.random() < 0.7 else None,
                "tags": r.sample(TAGS, r.randint(0, 2)),
                "private": r.random() < 0.02,
            })
        return orgs

    def make_people(self, orgs: list[dict]) -> list[dict]:
        r, used, people = self.r, set(), []
        count = max(12, self.n // 20)
        n_team = min(8, max(3, count // 200))
        for i in range(count):
            first = (r.choice(FIRST_ACCENTED) if r.random() < 0.05
                     else r.choice(FIRST).capitalize())
            last = (r.choice(LAST_ACCENTED) if r.random() < 0.05
                    else r.choice(LAST).capitalize())
            if last == "Oconnor":
                last = "O'Connor"
            name = f"{first} {last}"
            slug = uniq(slugify(name), used)
            team = i < n_team
            org = orgs[0] if team else r.choice(orgs)
            emails = [f"{slug.replace('-', '.')}@{org['slug']}.example.com"]
            if r.random() < 0.1:
                emails.append(f"{slug.replace('-', '')}@mail.example.org")
            people.append({
                "slug": slug, "name": name, "org": org["slug"],
                "role": r.choice(ROLES) if r.random() < 0.85 else None,
                "email": emails,
                "phone": f"+1 555 {r.randint(100, 999)} {r.randint(1000, 9999)}"
                if r.random() < 0.3 else None,
                "expertise": r.sample(EXPERTISE, r.randint(0, 3)),
                "tags": r.sample(TAGS, r.randint(0, 2)),
                "aliases": [first] if r.random() < 0.05 else [],
                "cadence": r.choice(CADENCES) if r.random() < 0.08 else None,
                "team": team,
                # `me` (index 0) is never private
                "private": i > 0 and r.random() < 0.02,
            })
        return people

    # ------------------------------------------------------- conversations
    def make_conversations(self, people: list[dict], orgs: list[dict]):
        r = self.r
        me = people[0]["slug"]
        team = [p["slug"] for p in people if p["team"]]
        others = [p for p in people if p["slug"] != me]
        by_org: dict[str, list[str]] = {}
        for p in others:
            by_org.setdefault(p["org"], []).append(p["slug"])
        # skewed popularity so a few people have many conversations
        weights = [1.0 / (k + 1) ** 0.75 for k in range(len(others))]
        cum = list(itertools.accumulate(weights))
        total = cum[-1]

        def pick_person() -> str:
            return others[bisect.bisect(cum, r.random() * total)]["slug"]

        org_of = {p["slug"]: p["org"] for p in people}
        used_sets: set[frozenset] = set()
        used_threads: set[str] = set()
        used_convos: set[str] = set()
        commit_seq = itertools.count(1)
        convos: list[dict] = []
        remaining = self.n
        while remaining > 0:
            size = min(remaining, r.randint(2, 8))
            if remaining - size == 1:  # never leave a 1-conversation thread
                size += 1
            remaining -= size
            # who: a lead person plus maybe colleagues from the same org
            lead = pick_person()
            with_ = [lead]
            for _ in range(r.choices([0, 1, 2], [70, 22, 8])[0]):
                mate = r.choice(by_org.get(org_of[lead], [lead]))
                if mate not in with_:
                    with_.append(mate)
            key = frozenset(with_)
            explicit = r.random() < 0.8 or key in used_sets
            if not explicit:
                used_sets.add(key)
            topic = f"{r.choice(ORG_A)}-{r.choice(INTERESTS)}"
            thread = uniq(topic, used_threads) if explicit else None
            # dates: a thread starts anywhere in the span; gaps of 2..60 days
            gaps = [r.randint(2, 60) for _ in range(size - 1)]
            latest_start = SPAN_DAYS - sum(gaps)
            if r.random() < 0.15:  # an active thread: its latest talk is recent
                first = max(0, latest_start - r.randint(0, 40))
            else:
                first = r.randint(0, max(0, latest_start))
            start = START + dt.timedelta(days=first)
            dates = [start]
            for g in gaps:
                dates.append(dates[-1] + dt.timedelta(days=g))
            dates = [min(d, END) for d in dates]
            open_ids: list[str] = []  # ids a later conversation may close
            for k, day in enumerate(dates):
                last = k == size - 1
                recent = (END - day).days < 120
                if not explicit:  # threaded by `with` set: same people, any order
                    cw = list(reversed(with_)) if r.random() < 0.5 else list(with_)
                elif k > 0 and len(with_) > 1 and r.random() < 0.2:
                    cw = with_[:1]  # only the lead this time
                else:
                    cw = list(with_)
                c: dict = {"date": day, "with": cw}
                c["thread"] = thread
                c["title_text"] = f"{topic.replace('-', ' ').capitalize()}: " \
                                  f"{r.choice(['kickoff', 'follow-up', 'check-in', 'review', 'update', 'decision'])}"
                c["title_in_front"] = r.random() < 0.85
                c["channel"] = r.choice(CHANNELS) if r.random() < 0.9 else None
                c["datetime"] = r.random() < 0.05
                c["private"] = r.random() < 0.05
                c["org"] = org_of[with_[0]] if r.random() < 0.2 else None
                c["recorded_by"] = r.choice(team) if r.random() < 0.1 else None
                c["tags"] = r.sample(TAGS, r.randint(1, 3)) if r.random() < 0.5 else []
                c["interests"] = (r.sample(INTERESTS, r.randint(1, 3))
                                  if r.random() < 0.3 else [])
                # closes: commitments opened earlier in this thread
                c["closes"] = []
                if open_ids and r.random() < 0.7:
                    c["closes"] = open_ids[:]
                    open_ids.clear()
                # commitments
                commits = []
                for _ in range(r.choices([0, 1, 2, 3], [45, 30, 18, 7])[0]):
                    what = r.choice(ACTIONS).format(p=r.choice(others)["name"])
                    cm: dict = {"what": what}
                    owner_roll = r.random()
                    if owner_roll < 0.5:
                        pass  # owner defaults to me
                    elif owner_roll < 0.6:
                        cm["owner"] = "me"
                    elif owner_roll < 0.7:
                        cm["owner"] = r.choice(team)
                    else:
                        cm["owner"] = r.choice(c["with"])
                    if r.random() < 0.7:
                        cm["to"] = ("me" if cm.get("owner") not in (None, "me")
                                    else r.choice(c["with"]))
                    if r.random() < 0.85:
                        cm["due"] = day + dt.timedelta(days=r.randint(3, 45))
                    state = r.random()
                    open_rate = 0.45 if recent else 0.04
                    if state < open_rate:
                        pass  # open: overdue or future depending on `due`
                    elif not last and state < open_rate + 0.35:
                        cm["id"] = f"c{next(commit_seq)}-{slugify(what)[:24].strip('-')}"
                        open_ids.append(cm["id"])  # closed later (or left open)
                    else:
                        cm["done"] = min(END, day + dt.timedelta(days=r.randint(0, 20)))
                        if r.random() < 0.15:
                            cm["id"] = f"c{next(commit_seq)}"
                    commits.append(cm)
                c["commitments"] = commits
                # next: whose turn
                if r.random() < (0.6 if last else 0.7):
                    turn_roll = r.random()
                    turn = ("me" if turn_roll < 0.45 else "them" if turn_roll < 0.8
                            else r.choice(c["with"] + team[1:]))
                    nx = {"turn": turn}
                    if r.random() < 0.8:
                        nx["by"] = day + dt.timedelta(days=r.randint(2, 30))
                    if r.random() < 0.7:
                        nx["about"] = r.choice(NEXT_ABOUT)
                    c["next"] = nx
                # referrals
                refs = []
                if r.random() < 0.15:
                    for _ in range(r.choice([1, 1, 1, 2])):
                        roll = r.random()
                        if roll < 0.5:
                            rec = r.choice(others)["slug"]
                        elif roll < 0.75:
                            rec = r.choice(orgs)["slug"]
                        else:
                            rec = q(r.choice(FREE_TEXT_REFERRALS))
                        ref = {"recommends": rec,
                               "for": (r.choice(TOPICS) if r.random() < 0.7
                                       else ylist(r.sample(TOPICS, 2)))}
                        if len(c["with"]) > 1 or r.random() < 0.1:
                            ref["by"] = r.choice(c["with"])
                        if r.random() < 0.1:
                            ref["to"] = r.choice(team[1:] or ["me"])
                        if r.random() < 0.3:
                            ref["note"] = q(self.sentence(4, 9))
                        refs.append(ref)
                c["referrals"] = refs
                base = slugify(c["title_text"])[:40].strip("-")
                c["slug"] = uniq(f"{day.isoformat()}-{base}", used_convos)
                convos.append(c)
        convos.sort(key=lambda c: (c["date"], c["slug"]))
        return convos


# ------------------------------------------------------------------ writing
def person_md(p: dict, g: Gen) -> str:
    lines = ["---", f"name: {q(p['name'])}", f"org: {p['org']}"]
    if p["role"]:
        lines.append(f"role: {q(p['role'])}")
    em = p["email"]
    lines.append(f"email: {em[0]}" if len(em) == 1 else f"email: {ylist(em)}")
    if p["phone"]:
        lines.append(f"phone: {q(p['phone'])}")
    if p["expertise"]:
        lines.append(f"expertise: {ylist(p['expertise'])}")
    if p["tags"]:
        lines.append(f"tags: {ylist(p['tags'])}")
    if p["aliases"]:
        lines.append(f"aliases: [{', '.join(q(a) for a in p['aliases'])}]")
    if p["cadence"]:
        lines.append(f"cadence: {p['cadence']}")
    if p["team"]:
        lines.append("team: true")
    if p["private"]:
        lines.append("private: true")
    lines.append("---")
    return "\n".join(lines) + "\n" + g.paragraph(2) + "\n"


def org_md(o: dict, g: Gen) -> str:
    lines = ["---", f"name: {q(o['name'])}", f"what: {q(o['what'])}"]
    if o["website"]:
        lines.append(f"website: {o['website']}")
    if o["tags"]:
        lines.append(f"tags: {ylist(o['tags'])}")
    if o["private"]:
        lines.append("private: true")
    lines.append("---")
    return "\n".join(lines) + "\n" + g.paragraph(2) + "\n"


def convo_md(c: dict, g: Gen, names: dict[str, str]) -> str:
    r = g.r
    day = c["date"]
    lines = ["---"]
    if c["title_in_front"]:
        lines.append(f"title: {q(c['title_text'])}")
    if c["datetime"]:
        lines.append(f"date: {day.isoformat()}T{r.randint(8, 18):02d}:{r.choice(['00', '15', '30', '45'])}:00")
    else:
        lines.append(f"date: {day.isoformat()}")
    w = c["with"]
    lines.append(f"with: {w[0]}" if len(w) == 1 and r.random() < 0.5 else f"with: {ylist(w)}")
    if c["channel"]:
        lines.append(f"channel: {c['channel']}")
    if c["thread"]:
        lines.append(f"thread: {c['thread']}")
    if c["org"]:
        lines.append(f"org: {c['org']}")
    if c["recorded_by"]:
        lines.append(f"recorded_by: {c['recorded_by']}")
    if c["tags"]:
        lines.append(f"tags: {ylist(c['tags'])}")
    if c["interests"]:
        lines.append(f"interests: {ylist(c['interests'])}")
    if c["private"]:
        lines.append("private: true")
    if c["commitments"]:
        lines.append("commitments:")
        for cm in c["commitments"]:
            first = True
            for key in ("id", "what", "owner", "to", "due", "done"):
                if key not in cm:
                    continue
                val = cm[key]
                val = q(val) if key == "what" else val.isoformat() if isinstance(val, dt.date) else val
                lines.append(f"  {'- ' if first else '  '}{key}: {val}")
                first = False
    if c["closes"]:
        lines.append(f"closes: {ylist(c['closes'])}")
    if "next" in c:
        lines.append("next:")
        for key in ("turn", "by", "about"):
            if key in c["next"]:
                val = c["next"][key]
                val = (val.isoformat() if isinstance(val, dt.date)
                       else q(val) if key == "about" else val)
                lines.append(f"  {key}: {val}")
    if c["referrals"]:
        lines.append("referrals:")
        for ref in c["referrals"]:
            first = True
            for key in ("recommends", "for", "by", "to", "note"):
                if key in ref:
                    lines.append(f"  {'- ' if first else '  '}{key}: {ref[key]}")
                    first = False
    lines.append("---")
    heading = "" if c["title_in_front"] and r.random() < 0.5 else c["title_text"]
    return "\n".join(lines) + "\n" + g.body(heading, [names[s] for s in w])


def cached(workdir: str | os.PathLike[str], n: int, seed: int = 1) -> tuple[str, dict]:
    """The notebook of ``n`` conversations from ``seed`` in ``workdir`` (``nb-N-seedS``), generated
    the first time a benchmark asks for it: its absolute path and its ``bench-meta.json``."""
    import time

    outdir = os.path.abspath(os.path.join(workdir, f"nb-{n}-seed{seed}"))
    meta_path = os.path.join(outdir, "bench-meta.json")
    meta = None
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    if not meta or meta.get("conversations") != n or meta.get("seed") != seed:
        started = time.perf_counter()
        meta = generate(outdir, n, seed)
        print(f"# generated {outdir} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return outdir, meta


def generate(outdir: str, n: int, seed: int) -> dict:
    g = Gen(n, seed)
    orgs = g.make_orgs()
    people = g.make_people(orgs)
    convos = g.make_conversations(people, orgs)
    me = people[0]["slug"]
    names = {p["slug"]: p["name"] for p in people}

    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    notes = os.path.join(outdir, "notes")
    os.makedirs(os.path.join(notes, "people"))
    os.makedirs(os.path.join(notes, "orgs"))

    def write(path: str, text: str) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    write(os.path.join(outdir, "convo.yml"),
          f"me: {me}\nsite:\n  title: \"Synthetic notebook ({n} conversations)\"\n")
    write(os.path.join(outdir, "mkdocs.yml"),
          f"site_name: \"Synthetic notebook ({n} conversations)\"\n"
          "theme:\n  name: material\n")
    for p in people:
        write(os.path.join(notes, "people", p["slug"] + ".md"), person_md(p, g))
    for o in orgs:
        write(os.path.join(notes, "orgs", o["slug"] + ".md"), org_md(o, g))
    made_dirs: set[int] = set()
    counts: dict[str, int] = {}
    for c in convos:
        year = c["date"].year
        d = os.path.join(notes, "conversations", str(year))
        if year not in made_dirs:
            os.makedirs(d, exist_ok=True)
            made_dirs.add(year)
        write(os.path.join(d, c["slug"] + ".md"), convo_md(c, g, names))
        for s in c["with"]:
            counts[s] = counts.get(s, 0) + 1
    busiest = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    meta = {
        "conversations": len(convos), "people": len(people), "orgs": len(orgs),
        "seed": seed, "me": me, "busiest_person": busiest[0],
        "busiest_person_conversations": busiest[1],
        "bench_today": BENCH_TODAY.isoformat(),
    }
    write(os.path.join(outdir, "bench-meta.json"), json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--conversations", "-n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.conversations < 2:
        ap.error("--conversations must be at least 2")
    meta = generate(a.outdir, a.conversations, a.seed)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
