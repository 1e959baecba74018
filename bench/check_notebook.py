#!/usr/bin/env python3
"""Check a generated notebook against the v1 format, independently of convo.

    python bench/check_notebook.py NOTEBOOK [--today 2026-11-22]

Parses every note's front matter with yaml.safe_load, checks that slugs are
well formed and unique, that every reference resolves, and that the generator
produced every state the benchmarks need (commitments open/overdue/done/
closed, turns me/them/slug, all channels, private notes, threads of 2..8).
Exits 1 and lists the problems if anything is off.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import re
import sys

import yaml

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CHANNELS = {"call", "meeting", "email", "chat", "video", "letter", "event", "other"}


def split(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    end = text.index("\n---\n", 4)
    data = yaml.safe_load(text[4:end])
    if not isinstance(data, dict):
        raise TypeError("front matter is not a mapping")
    return data


def as_list(v):
    return v if isinstance(v, list) else [v]


def as_date(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--today", default="2026-11-22")
    a = ap.parse_args()
    today = dt.date.fromisoformat(a.today)
    root = os.path.join(a.notebook, "notes")
    errs: list[str] = []
    people, orgs, convos = {}, {}, {}
    for dirpath, _, files in os.walk(root):
        for fn in files:
            if not fn.endswith(".md"):
                continue
            path = os.path.join(dirpath, fn)
            slug = fn[:-3]
            if not SLUG.match(slug):
                errs.append(f"{path}: bad slug")
            try:
                data = split(path)
            except Exception as e:  # noqa: BLE001 (any unreadable note is a finding)
                errs.append(f"{path}: {e}")
                continue
            rel = os.path.relpath(path, root)
            kind = rel.split(os.sep)[0]
            table = people if kind == "people" else orgs if kind == "orgs" else convos
            if slug in table:
                errs.append(f"{path}: duplicate slug {slug}")
            table[slug] = (path, data)
    with open(os.path.join(a.notebook, "convo.yml"), encoding="utf-8") as f:
        me = yaml.safe_load(f)["me"]
    if me not in people or not people[me][1].get("team"):
        errs.append(f"convo.yml: me={me} is not a team member")

    def person(ref, where, allow_me=True):
        if not (ref in people or (allow_me and ref == "me")):
            errs.append(f"{where}: unresolved person {ref!r}")

    stats = collections.Counter()
    ids: dict[str, str] = {}
    closed: set[str] = set()
    for slug, (path, p) in people.items():
        if not isinstance(p.get("name"), str):
            errs.append(f"{path}: no name")
        if "org" in p and p["org"] not in orgs:
            errs.append(f"{path}: unresolved org {p['org']}")
        stats["people.private"] += bool(p.get("private"))
        stats["people.team"] += bool(p.get("team"))
        stats["people.cadence"] += "cadence" in p
    for slug, (path, o) in orgs.items():
        if not isinstance(o.get("name"), str):
            errs.append(f"{path}: no name")
    threads: dict[object, list[str]] = collections.defaultdict(list)
    for slug, (path, c) in convos.items():
        if not isinstance(c.get("date"), (dt.date, dt.datetime)):
            errs.append(f"{path}: bad date {c.get('date')!r}")
        stats["date-time"] += isinstance(c.get("date"), dt.datetime)
        w = as_list(c.get("with"))
        for s in w:
            person(s, path, allow_me=False)
        key = c["thread"] if "thread" in c else frozenset(w)
        threads[key].append(slug)
        stats["thread.explicit" if "thread" in c else "thread.by-with"] += 1
        if "channel" in c and c["channel"] not in CHANNELS:
            errs.append(f"{path}: bad channel")
        stats[f"channel.{c.get('channel')}"] += 1
        if "org" in c and c["org"] not in orgs:
            errs.append(f"{path}: unresolved org {c['org']}")
        if "recorded_by" in c:
            person(c["recorded_by"], path)
        stats["private"] += bool(c.get("private"))
        for cm in c.get("commitments", []):
            if not isinstance(cm.get("what"), str):
                errs.append(f"{path}: commitment without what")
            for k in ("owner", "to"):
                if k in cm:
                    person(cm[k], path)
            if "id" in cm:
                if not SLUG.match(cm["id"]):
                    errs.append(f"{path}: bad id {cm['id']}")
                if cm["id"] in ids:
                    errs.append(f"{path}: duplicate id {cm['id']}")
                ids[cm["id"]] = slug
        closed.update(c.get("closes", []))
        if "next" in c:
            t = c["next"]["turn"]
            if t not in ("me", "them"):
                person(t, path)
            stats["turn." + (t if t in ("me", "them") else "slug")] += 1
        for ref in c.get("referrals", []):
            rec = ref["recommends"]
            kind = ("person" if rec in people else "org" if rec in orgs
                    else "free" if not SLUG.match(rec) else "UNRESOLVED")
            if kind == "UNRESOLVED":
                errs.append(f"{path}: referral to unknown slug {rec}")
            stats["referral." + kind] += 1
            if not ref.get("for"):
                errs.append(f"{path}: referral without for")
            if len(w) > 1 and "by" not in ref:
                errs.append(f"{path}: referral needs by (several with)")
            if "by" in ref:
                person(ref["by"], path)
            if "to" in ref:
                person(ref["to"], path)
    for cid in closed:
        if cid not in ids:
            errs.append(f"closes: unknown commitment id {cid}")
    for slug, (path, c) in convos.items():
        for cm in c.get("commitments", []):
            if "done" in cm:
                stats["commitment.done"] += 1
            elif cm.get("id") in closed:
                stats["commitment.closed-later"] += 1
            elif "due" in cm and cm["due"] < today:
                stats["commitment.open-overdue"] += 1
            elif "due" in cm:
                stats["commitment.open-future"] += 1
            else:
                stats["commitment.open-undated"] += 1
    sizes = collections.Counter(len(v) for v in threads.values())
    if min(sizes) < 2 or max(sizes) > 8:
        errs.append(f"thread sizes out of 2..8: {sorted(sizes.items())}")
    needed = ["commitment.done", "commitment.closed-later", "commitment.open-overdue",
              "commitment.open-future", "turn.me", "turn.them", "turn.slug",
              "referral.person", "referral.org", "referral.free", "private",
              "people.private", "people.team", "people.cadence",
              "thread.explicit", "thread.by-with"] + [f"channel.{c}" for c in CHANNELS]
    for k in needed:
        if not stats[k]:
            errs.append(f"no instance of {k}")
    print(f"people={len(people)} orgs={len(orgs)} conversations={len(convos)} "
          f"threads={len(threads)} sizes={dict(sorted(sizes.items()))}")
    print(dict(sorted(stats.items())))
    for e in errs[:50]:
        print("ERROR", e)
    print(f"{len(errs)} problems")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
