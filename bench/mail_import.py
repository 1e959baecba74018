#!/usr/bin/env python3
"""Benchmark `convo import mail` against a plain mailbox + email script on the same mbox.

    python bench/mail_import.py [--messages 10000] [--repeat 3] [--workdir bench/out/mail]

It writes (once, cached) a deterministic mbox of N messages: threads of 1 to 12
messages between 200 correspondents and two of us, spread over a year, with
replies carrying In-Reply-To and References, a share of HTML-only messages,
quoted replies and signatures. Then it times whole processes (median of
--repeat runs):

    baseline   a plain script: mailbox.mbox + email.message_from_binary_file(policy=default),
               reading every message's From, To, Date, Subject, Message-ID, References and body text
    import     convo import mail into a fresh copy of a notebook with the 200 people (--create-people off)
    reimport   convo import mail again, the mailbox unchanged

Targets (docs/performance.md): import at most 2x the baseline, reimport at most 0.3x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.message
import email.utils
import json
import mailbox
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASELINE = r'''
import email, email.policy, mailbox, sys
count = 0
box = mailbox.mbox(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
                   create=False)
for msg in box:
    fields = (msg["from"], msg["to"], msg["date"], msg["subject"], msg["message-id"], msg["references"])
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    count += 1
print(count)
'''
WORDS = ("pilot plan budget schedule contract review pricing terminal berth gate data report meeting invoice "
         "shipment forecast proposal draft supplier volume renewal timeline risk scope").split()


def write_mailbox(path: Path, count: int, seed: int = 7) -> None:
    """The synthetic mbox (see the module)."""
    rng = random.Random(seed)
    box = mailbox.mbox(str(path))
    start = dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    made = 0
    thread = 0
    box.lock()
    try:
        while made < count:
            thread += 1
            who = rng.randrange(200)
            them = f"Person {who} <person{who}@org{who % 40}.example>"
            us = "Sam Okafor <sam@us.example>"
            subject = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
            when = start + dt.timedelta(minutes=rng.randrange(525_600))
            ids: list[str] = []
            for i in range(min(rng.randint(1, 12), count - made)):
                theirs = i % 2 == 0
                msg = email.message.EmailMessage()
                msg["From"], msg["To"] = (them, us) if theirs else (us, them)
                msg["Subject"] = ("Re: " if i else "") + subject
                msg["Date"] = email.utils.format_datetime(when)
                mid = f"<t{thread}.m{i}@{'org' if theirs else 'us'}.example>"
                msg["Message-ID"] = mid
                if ids:
                    msg["In-Reply-To"] = ids[-1]
                    msg["References"] = " ".join(ids[-10:])
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
                quoted = "\n".join("> " + rng.choice(WORDS) for _ in range(5)) if ids else ""
                body = f"Hi,\n\n{text}\n\nOn a day, someone wrote:\n{quoted}\n\n-- \nSignature line\n"
                if rng.random() < 0.15:
                    msg.set_content(f"<html><body><p>{text}</p><blockquote>{quoted}</blockquote></body></html>",
                                    subtype="html")
                else:
                    msg.set_content(body)
                box.add(msg)
                ids.append(mid)
                made += 1
                when += dt.timedelta(hours=rng.randint(1, 60))
    finally:
        box.flush()
        box.unlock()
        box.close()


def write_notebook(root: Path) -> None:
    """A notebook with us and the 200 correspondents (people matched by address)."""
    (root / "notes" / "people").mkdir(parents=True)
    (root / "convo.yml").write_text("me: sam\n", encoding="utf-8")
    (root / "notes/people/sam.md").write_text("---\nname: Sam Okafor\nemail: sam@us.example\nteam: true\n---\n",
                                              encoding="utf-8")
    for who in range(200):
        (root / f"notes/people/person-{who}.md").write_text(
            f"---\nname: Person {who}\nemail: person{who}@org{who % 40}.example\n---\n", encoding="utf-8")


def timed(command: list[str]) -> float:
    begin = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - begin
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / "out" / "mail")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    box = args.workdir / f"mail-{args.messages}.mbox"
    if not box.exists():
        write_mailbox(box, args.messages)
    script = args.workdir / "baseline_mail.py"
    script.write_text(BASELINE, encoding="utf-8")
    convo = [sys.executable, "-m", "convo_notes"]
    baseline, first, again = [], [], []
    for run in range(args.repeat):
        baseline.append(timed([sys.executable, str(script), str(box)]))
        root = args.workdir / f"nb-{run}"
        shutil.rmtree(root, ignore_errors=True)
        write_notebook(root)
        first.append(timed([*convo, "-C", str(root), "import", "mail", str(box)]))
        again.append(timed([*convo, "-C", str(root), "import", "mail", str(box)]))
        notes = len(list((root / "notes" / "mail").glob("*.md")))
    b, i, r = (statistics.median(x) for x in (baseline, first, again))
    result = {"messages": args.messages, "notes": notes, "baseline_s": round(b, 2), "import_s": round(i, 2),
              "reimport_s": round(r, 2), "import_ratio": round(i / b, 2), "reimport_ratio": round(r / b, 2)}
    print(json.dumps(result, indent=2))
    print(f"\n| messages | baseline | import | reimport |\n|---|---|---|---|\n"
          f"| {args.messages:,} | {b:.2f} s | {i:.2f} s ({i / b:.2f}x) | {r:.2f} s ({r / b:.2f}x) |")


if __name__ == "__main__":
    main()
