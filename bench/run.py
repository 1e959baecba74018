#!/usr/bin/env python3
"""Benchmark `convo` against the baselines on synthetic notebooks.

    python bench/run.py [--sizes 1000,10000,50000] [--repeat 3]
                        [--workdir bench/out] [--output FILE] [--no-site] [--jobs N]

For each size it generates (once, cached in WORKDIR) a notebook with
bench/generate.py, then times whole processes and their peak memory:

    a          baseline (a): python-frontmatter loads every note
    validate   convo validate, cold (its own cache directory, deleted before every run)
    due        convo --today T due, warm (one untimed run first)
    brief      convo --today T brief <busiest person>, warm
    threads    convo --today T threads, warm
    referrals  convo --today T referrals, warm
    edit-due   convo --today T due right after one note was edited (on a copy of the
               notebook, with its own cache: the edit path people hit most)
    edit-threads  convo --today T threads right after one note was edited (the same copy)
    edit-brief    convo --today T brief <busiest person> right after one note was edited
    search     convo search pricing, warm (its index kept in the cache)
    lsp        an editor's session of convo lsp: start, open a note, four edits each answered
               with diagnostics, shut down (bench/lsp_latency.py --changes 4), warm
    m          baseline (m): a plain mailbox + email script reads an mbox of N messages
               (bench/mail_import.py's mailbox and script)
    import     convo import mail of that mbox into a fresh notebook of its 200 correspondents
    reimport   convo import mail of it again, nothing new (one untimed import first)
    b          baseline (b): plain mkdocs + material build of the notes
    site       convo site build -d OUT
    site-j1    convo site build -j 1 -d OUT (one process)
    site-edit  convo site build -d OUT again after one note was edited (on the copy)

Runs are *interleaved*: each round runs every command once, baselines included,
so a load that comes and goes on a shared machine hits baseline and command
alike; the ratios compare medians of the same rounds. Time: the median of
--repeat rounds of `time.perf_counter()` around `subprocess.run`; CPU: user +
system time of the process tree (GNU time), reported beside it because it
suffers less from other load. Peak memory: the maximum resident set size of the
process tree's largest process, from GNU `/usr/bin/time -f %M` when it works,
else from a small Python launcher that runs the command and reads
`getrusage(RUSAGE_CHILDREN).ru_maxrss` (its only children are the command's).
A `convo` command that fails is recorded in the table with its exit code and
last stderr line; the run goes on. On Linux the report also says how many CPUs
the machine's other work used on average meanwhile (busy time from /proc/stat
minus this benchmark's own CPU time): a cold `validate` reads in several
processes, so it suffers more than the baselines when that is high.

`--jobs N` sets `CONVO_JOBS=N` for every `convo` command (how many processes read
the notes on a cold load; 1 is one process). For a one-core figure run the whole
benchmark as `taskset -c 0 python bench/run.py ...`: convo then reads in one
process by itself (it counts the CPUs it may run on) and the baselines share that core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate
import mail_import

PY = sys.executable
TODAY = generate.BENCH_TODAY.isoformat()
ALL = ["a", "validate", "due", "brief", "threads", "referrals", "edit-due", "edit-threads", "edit-brief",
       "search", "lsp", "m", "import", "reimport", "b", "site", "site-j1", "site-edit"]
MAIL = {"m", "import", "reimport"}  # on an mbox of as many messages as the notebook has conversations
SITE = {"b", "site", "site-j1", "site-edit"}
# run on a copy of the notebook, one note edited before each run
EDITED = {"edit-due", "edit-threads", "edit-brief", "site-edit"}
LABEL = {
    "a": "baseline (a): python-frontmatter load",
    "validate": "`convo validate` (cold)",
    "due": "`convo due` (warm)",
    "brief": "`convo brief` (warm)",
    "threads": "`convo threads` (warm)",
    "referrals": "`convo referrals` (warm)",
    "edit-due": "`convo due` after editing one note",
    "edit-threads": "`convo threads` after editing one note",
    "edit-brief": "`convo brief` after editing one note",
    "search": "`convo search pricing` (warm)",
    "lsp": "`convo lsp`: open, 4 edits answered, shut down",
    "m": "baseline (m): mailbox + email read an mbox",
    "import": "`convo import mail` (a fresh notebook)",
    "reimport": "`convo import mail` again (nothing new)",
    "b": "baseline (b): mkdocs build",
    "site": "`convo site build`",
    "site-j1": "`convo site build -j 1`",
    "site-edit": "`convo site build` after editing one note",
}
RATIO = {"validate": "a", "due": "a", "brief": "a", "threads": "a", "referrals": "a", "edit-due": "a",
         "edit-threads": "a", "edit-brief": "a", "search": "a", "lsp": "a", "import": "m", "reimport": "m",
         "site": "b", "site-j1": "b", "site-edit": "site"}

LAUNCHER = r"""
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
"""


# ------------------------------------------------------------ measurement
def gnu_time_works() -> bool:
    if not os.path.exists("/usr/bin/time"):
        return False
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as f:
        try:
            subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", f.name, PY, "-c", "pass"],
                           check=True, capture_output=True, timeout=60)
            return int(f.read().strip().splitlines()[-1].split()[0]) > 0
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            return False


USE_GNU_TIME = gnu_time_works()


def measure(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run cmd once; return seconds, peak RSS (MB), exit code, stderr tail."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as f:
        rss_file = f.name
    if USE_GNU_TIME:
        wrapped = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file, *cmd]
    else:
        wrapped = [PY, "-c", LAUNCHER, rss_file, *cmd]
    t0 = time.perf_counter()
    # its own session, so a timeout can end the whole tree it started
    proc = subprocess.Popen(wrapped, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
        rc, err = proc.returncode, stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        rc, err = "timeout", f"timed out after {timeout:.0f}s"
    seconds = time.perf_counter() - t0
    rss_mb = cpu = None
    try:
        with open(rss_file) as f:
            lines = f.read().strip().splitlines()
        fields = lines[-1].split()
        rss_mb = int(fields[0]) / 1024  # KB on Linux
        if len(fields) == 3:
            cpu = float(fields[1]) + float(fields[2])
    except (OSError, ValueError, IndexError):
        pass
    finally:
        os.unlink(rss_file)
    tail = [ln for ln in err.strip().splitlines() if ln.strip()]
    return {"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb, "rc": rc,
            "err": tail[-1][:200] if tail else ""}


def convo(nb: Path, *args: str) -> list[str]:
    return [PY, "-m", "convo_notes", "-C", str(nb), *args]


EDIT_MARK = "\n<!-- bench edit -->\n"


def edit_one_note(nb: Path) -> None:
    """Edit one conversation of the copy (a line added to its body, or taken away again),
    dated a few seconds back, as an editor's save a moment before the command."""
    every = sorted((nb / "notes" / "conversations").rglob("*.md"))
    target = every[min(14, len(every) - 1)]  # always the same note
    text = target.read_text(encoding="utf-8")
    target.write_text(text[: -len(EDIT_MARK)] if text.endswith(EDIT_MARK) else text + EDIT_MARK,
                      encoding="utf-8")
    when = time.time() - 5
    os.utime(target, (when, when))
    time.sleep(0.3)  # past the ctime's racy window (see convo_notes.cache.records.racy)


def bench_size(n: int, args, env: dict, convo_env: dict) -> dict:
    where, meta = generate.cached(args.workdir, n, args.seed)
    nb = Path(where)
    person = meta["busiest_person"]
    wanted = [k for k in args.commands if not (args.no_site and k in SITE)]
    copy = nb.parent / f"{nb.name}-edited"
    if EDITED & set(wanted):  # the edits never touch the notebook the warm commands read
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(nb, copy)
        time.sleep(0.5)  # past the racy window of the copy's ctimes (convo_notes.cache.records.racy)
    out = nb.parent / f"site-{n}"
    out_edit = nb.parent / f"site-{n}-edited"
    # convo keeps its cache outside the notebook: the warm commands share one, the cold
    # validate and the edited copy have their own
    cache, cold, edited = (nb.parent / f"cache-{n}{tail}" for tail in ("", "-cold", "-edited"))

    def using(where: Path) -> dict:
        return {**convo_env, "CONVO_CACHE_DIR": str(where)}

    def clear(where: Path):
        return lambda: shutil.rmtree(where, ignore_errors=True)

    def edit() -> None:
        edit_one_note(copy)

    box, mail_nb, mail_again = (nb.parent / name for name in (f"mail-{n}.mbox", f"mail-{n}-nb", f"mail-{n}-again"))
    if MAIL & set(wanted):
        if not box.exists():
            mail_import.write_mailbox(box, n)
        (nb.parent / "baseline_mail.py").write_text(mail_import.BASELINE, encoding="utf-8")
        for root in (mail_nb, mail_again):
            shutil.rmtree(root, ignore_errors=True)
            mail_import.write_notebook(root)

    def fresh_mail_notebook() -> None:
        shutil.rmtree(mail_nb, ignore_errors=True)
        mail_import.write_notebook(mail_nb)

    # key -> (command, env, before-each-run, warm-up first?)
    plan = {
        "a": ([PY, str(HERE / "baseline_frontmatter.py"), str(nb)], env, None, False),
        "validate": (convo(nb, "validate"), using(cold), clear(cold), False),
        "due": (convo(nb, "--today", TODAY, "due"), using(cache), None, True),
        "brief": (convo(nb, "--today", TODAY, "brief", person), using(cache), None, True),
        "threads": (convo(nb, "--today", TODAY, "threads"), using(cache), None, True),
        "referrals": (convo(nb, "--today", TODAY, "referrals"), using(cache), None, True),
        "edit-due": (convo(copy, "--today", TODAY, "due"), using(edited), edit, True),
        "edit-threads": (convo(copy, "--today", TODAY, "threads"), using(edited), edit, True),
        "edit-brief": (convo(copy, "--today", TODAY, "brief", person), using(edited), edit, True),
        "search": (convo(nb, "search", "pricing"), using(cache), None, True),
        "lsp": ([PY, str(HERE / "lsp_latency.py"), "--notebook", str(nb), "--changes", "4"], using(cache), None, True),
        "m": ([PY, str(nb.parent / "baseline_mail.py"), str(box)], env, None, False),
        "import": (convo(mail_nb, "import", "mail", str(box)), using(edited), fresh_mail_notebook, False),
        "reimport": (convo(mail_again, "import", "mail", str(box)), using(edited), None, True),
        "b": ([PY, str(HERE / "baseline_mkdocs.py"), str(nb), str(out)], env, clear(out), False),
        "site": (convo(nb, "site", "build", "-d", str(out)), using(cache), clear(out), False),
        "site-j1": (convo(nb, "site", "build", "-j", "1", "-d", str(out)), using(cache), clear(out), False),
        "site-edit": (convo(copy, "site", "build", "-d", str(out_edit)), using(edited), edit, True),
    }
    results: dict = {"n": n, "notebook": str(nb), "brief_person": person,
                     "brief_person_conversations": meta["busiest_person_conversations"],
                     "commands": {}}
    runs: dict[str, list] = {key: [] for key in wanted}
    for key in wanted:  # warm-ups, untimed
        cmd, cenv, _before, warm = plan[key]
        if warm:
            first = measure(cmd, cenv, args.timeout)
            if first["rc"] not in (0, 1):
                runs[key].append(first)  # a broken command: don't try it again
    rounds = max(args.repeat, args.site_repeat if SITE & set(wanted) else 0)
    for round_ in range(rounds):
        for key in wanted:  # interleaved: every command once a round, baselines included
            repeat = args.site_repeat if key in SITE else args.repeat
            done = runs[key]
            if round_ >= repeat or (done and done[-1]["rc"] not in (0, 1)):
                continue
            cmd, cenv, before, _warm = plan[key]
            if before:
                before()
            done.append(measure(cmd, cenv, args.timeout))
    for key in wanted:
        cmd = plan[key][0]
        ok = [r for r in runs[key] if r["rc"] in (0, 1)]
        cpus = [r["cpu"] for r in ok if r.get("cpu") is not None]
        entry = {
            "cmd": " ".join(cmd),
            "runs": runs[key],
            "seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
            "cpu": statistics.median(cpus) if cpus else None,
            "rss_mb": max((r["rss_mb"] or 0) for r in runs[key]) or None,
            "rc": sorted({str(r["rc"]) for r in runs[key]}),
            "err": next((r["err"] for r in runs[key] if r["rc"] != 0), ""),
        }
        results["commands"][key] = entry
        status = "ok" if entry["rc"] == ["0"] else f"rc={','.join(entry['rc'])}"
        secs = f"{entry['seconds']:.2f}s" if entry["seconds"] is not None else "-"
        print(f"# n={n} {key}: {secs} {status} {entry['err']}", file=sys.stderr)
    for folder in (out, out_edit):
        shutil.rmtree(folder, ignore_errors=True)
    return results


# ---------------------------------------------------------------- report
def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    try:
        mem = next(int(ln.split()[1]) // 1024 for ln in
                   Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = None
    return {"nproc": nproc, "cpu": model, "memory_mb": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "memory_probe": "/usr/bin/time -f %M" if USE_GNU_TIME
            else "launcher getrusage(RUSAGE_CHILDREN)"}


def machine_busy() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``), None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:7]) - idle) / os.sysconf("SC_CLK_TCK")  # not steal; guest time is in user already


def own_cpu() -> float:
    """CPU seconds of this process and every child it waited for (the timed commands included)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def fmt_s(v) -> str:
    return "-" if v is None else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def report(all_results: list[dict], m: dict, args) -> str:
    out = [
        f"# convo benchmarks ({dt.datetime.now().isoformat(timespec='seconds')})",
        "",
        (f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_mb']} MB RAM, "
         f"Python {m['python']}, {m['platform']}. Peak RSS via {m['memory_probe']}."),
        (f"Median of {args.repeat} interleaved rounds ({args.site_repeat} for site builds); "
         f"`--today {TODAY}`; notebooks from `bench/generate.py --seed {args.seed}`"
         + (f"; `CONVO_JOBS={args.jobs}`." if args.jobs is not None else ".")),
    ]
    if m.get("other_cores") is not None:
        out.append(f"Other load: the machine's other work used {m['other_cores']:.2f} of its {m['nproc']} CPUs "
                   "on average while this ran (busy time from /proc/stat minus this benchmark's own).")
    out += [
        "",
    ]
    for res in all_results:
        cmds = res["commands"]
        out += [
            f"## {res['n']:,} conversations",
            "",
            (f"Notebook `{res['notebook']}`; brief for `{res['brief_person']}` "
             f"({res['brief_person_conversations']} conversations)."),
            "",
            "| command | seconds | ratio to baseline | CPU seconds | CPU ratio | peak RSS MB | status |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        notes = []
        for key in ALL:
            if key not in cmds:
                continue
            e = cmds[key]
            ratio = cpu_ratio = ""
            base = RATIO.get(key)
            if base and base in cmds and e["seconds"] and cmds[base]["seconds"]:
                ratio = f"{e['seconds'] / cmds[base]['seconds']:.2f}× ({base})"
            if base and base in cmds and e.get("cpu") and cmds[base].get("cpu"):
                cpu_ratio = f"{e['cpu'] / cmds[base]['cpu']:.2f}× ({base})"
            rss = "-" if e["rss_mb"] is None else f"{e['rss_mb']:.0f}"
            status = ("ok" if e["rc"] == ["0"] else f"exit {','.join(e['rc'])}"
                      if set(e["rc"]) <= {"0", "1"} else f"FAILED rc={','.join(e['rc'])}")
            if e["rc"] != ["0"]:
                notes.append(f"- {key}: `{e['cmd']}` → {e['err'] or 'no stderr'}")
            out.append(f"| {LABEL[key]} | {fmt_s(e['seconds'])} | {ratio} | {fmt_s(e.get('cpu'))} | {cpu_ratio} "
                       f"| {rss} | {status} |")
        if notes:
            out += ["", "Failures:", *notes]
        out.append("")
    # growth between consecutive sizes (linear would be the size ratio)
    if len(all_results) > 1:
        pairs = list(itertools.pairwise(all_results))
        head = [f"{p['n'] / 1000:g}k→{q['n'] / 1000:g}k (linear {q['n'] / p['n']:.1f}×)"
                for p, q in pairs]
        out += ["## Growth (time ratio between sizes)", "",
                "| command | " + " | ".join(head) + " |",
                "|---|" + "---:|" * len(pairs)]
        for key in ALL:
            cells = []
            for p, q in pairs:
                a = p["commands"].get(key, {}).get("seconds")
                b = q["commands"].get(key, {}).get("seconds")
                cells.append(f"{b / a:.2f}×" if a and b else "-")
            if any(c != "-" for c in cells):
                out.append(f"| {LABEL[key]} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,50000",
                    help="comma-separated conversation counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--site-repeat", type=int, default=None,
                    help="runs for the two site builds (default: --repeat)")
    ap.add_argument("--workdir", default=str(HERE / "out"),
                    help="where notebooks are generated and cached")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", help="also write the Markdown report here")
    ap.add_argument("--json", help="write raw results as JSON here")
    ap.add_argument("--no-site", action="store_true",
                    help="skip baseline (b) and `convo site build`")
    ap.add_argument("--commands", default=",".join(ALL),
                    help=f"subset of {','.join(ALL)}")
    ap.add_argument("--timeout", type=float, default=3600,
                    help="seconds before one run is abandoned")
    ap.add_argument("--jobs", type=int, default=None,
                    help="CONVO_JOBS for the convo commands (processes reading notes; default: convo decides)")
    args = ap.parse_args()
    args.sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",")]
    args.commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    bad = set(args.commands) - set(ALL)
    if bad:
        ap.error(f"unknown commands: {', '.join(sorted(bad))}")
    if args.site_repeat is None:
        args.site_repeat = args.repeat
    Path(args.workdir).mkdir(parents=True, exist_ok=True)

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    for var in ("CONVO_TODAY", "CONVO_ME", "CONVO_NOTEBOOK", "CONVO_JOBS"):
        env.pop(var, None)
    # run the working tree's convo_notes, installed or not
    convo_env = dict(env)
    convo_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)
    if args.jobs is not None:
        convo_env["CONVO_JOBS"] = str(args.jobs)

    # Bytecode once, up front: with PYTHONDONTWRITEBYTECODE set, every timed run would
    # otherwise compile convo_notes from source (about 0.03 s each).
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "src")], check=False)

    m = machine()
    busy, mine, began = machine_busy(), own_cpu(), time.perf_counter()
    results = [bench_size(n, args, env, convo_env) for n in sorted(args.sizes)]
    if busy is not None:  # how much of the machine something else took meanwhile: say so beside the times
        elapsed = time.perf_counter() - began
        other = ((machine_busy() or busy) - busy) - (own_cpu() - mine)
        m["other_cores"] = max(0.0, other / elapsed) if elapsed > 0 else None
    text = report(results, m, args)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "results": results},
                                              indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
