#!/usr/bin/env python3
"""Benchmark `convo` against the baselines on synthetic notebooks.

    python bench/run.py [--sizes 1000,10000,50000] [--repeat 3]
                        [--workdir bench/out] [--output FILE] [--no-site]

For each size it generates (once, cached in WORKDIR) a notebook with
bench/generate.py, then times whole processes and their peak memory:

    a         baseline (a): python-frontmatter loads every note
    validate  convo validate, cold (its cache directory, CONVO_CACHE_DIR, deleted before every run)
    due       convo --today T due, warm (one untimed run first)
    brief     convo --today T brief <busiest person>, warm
    b         baseline (b): plain mkdocs + material build of the notes
    site      convo site build -d OUT

Time: the median of --repeat runs of `time.perf_counter()` around
`subprocess.run`. Peak memory: the maximum resident set size of the process
tree's largest process, from GNU `/usr/bin/time -f %M` when it works, else
from a small Python launcher that runs the command and reads
`getrusage(RUSAGE_CHILDREN).ru_maxrss` (its only children are the command's).
A `convo` command that fails is recorded in the table with its exit code and
last stderr line; the run goes on.
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

PY = sys.executable
TODAY = generate.BENCH_TODAY.isoformat()
ALL = ["a", "validate", "due", "brief", "b", "site"]
SITE = {"b", "site"}
LABEL = {
    "a": "baseline (a): python-frontmatter load",
    "validate": "`convo validate` (cold)",
    "due": "`convo due` (warm)",
    "brief": "`convo brief` (warm)",
    "b": "baseline (b): mkdocs build",
    "site": "`convo site build`",
}
RATIO = {"validate": "a", "due": "a", "brief": "a", "site": "b"}

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
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, PY, "-c", "pass"],
                           check=True, capture_output=True, timeout=60)
            return int(f.read().strip().splitlines()[-1]) > 0
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            return False


USE_GNU_TIME = gnu_time_works()


def measure(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run cmd once; return seconds, peak RSS (MB), exit code, stderr tail."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as f:
        rss_file = f.name
    if USE_GNU_TIME:
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
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
    rss_mb = None
    try:
        with open(rss_file) as f:
            lines = f.read().strip().splitlines()
        rss_mb = int(lines[-1]) / 1024  # KB on Linux
    except (OSError, ValueError, IndexError):
        pass
    finally:
        os.unlink(rss_file)
    tail = [ln for ln in err.strip().splitlines() if ln.strip()]
    return {"seconds": seconds, "rss_mb": rss_mb, "rc": rc,
            "err": tail[-1][:200] if tail else ""}


def convo(nb: Path, *args: str) -> list[str]:
    return [PY, "-m", "convo_notes", "-C", str(nb), *args]


def bench_size(n: int, args, env: dict, convo_env: dict) -> dict:
    nb = (Path(args.workdir) / f"nb-{n}-seed{args.seed}").resolve()
    meta_path = nb / "bench-meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if not meta or meta.get("conversations") != n or meta.get("seed") != args.seed:
        t0 = time.perf_counter()
        meta = generate.generate(str(nb), n, args.seed)
        print(f"# generated {nb} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    person = meta["busiest_person"]
    out = nb.parent / f"site-{n}"
    # convo keeps its cache outside the notebook; give each size its own.
    cache = nb.parent / f"cache-{n}"
    convo_env = {**convo_env, "CONVO_CACHE_DIR": str(cache)}

    def clear_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def clear_out() -> None:
        shutil.rmtree(out, ignore_errors=True)

    # key -> (command, env, before-each-run, warm-up first?)
    plan = {
        "a": ([PY, str(HERE / "baseline_frontmatter.py"), str(nb)], env, None, False),
        "validate": (convo(nb, "validate"), convo_env, clear_cache, False),
        "due": (convo(nb, "--today", TODAY, "due"), convo_env, None, True),
        "brief": (convo(nb, "--today", TODAY, "brief", person), convo_env, None, True),
        "b": ([PY, str(HERE / "baseline_mkdocs.py"), str(nb), str(out)], env, clear_out, False),
        "site": (convo(nb, "site", "build", "-d", str(out)), convo_env, clear_out, False),
    }
    results: dict = {"n": n, "notebook": str(nb), "brief_person": person,
                     "brief_person_conversations": meta["busiest_person_conversations"],
                     "commands": {}}
    for key in args.commands:
        if args.no_site and key in SITE:
            continue
        cmd, cenv, before, warm = plan[key]
        repeat = args.site_repeat if key in SITE else args.repeat
        runs = []
        if warm:
            warmup = measure(cmd, cenv, args.timeout)
            if warmup["rc"] not in (0, 1):
                runs.append(warmup)  # a broken command: don't try it again
        for _ in range(repeat if not runs else 0):
            if before:
                before()
            runs.append(measure(cmd, cenv, args.timeout))
            if runs[-1]["rc"] not in (0, 1):
                break
        ok = [r for r in runs if r["rc"] in (0, 1)]
        entry = {
            "cmd": " ".join(cmd),
            "runs": runs,
            "seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
            "rss_mb": max((r["rss_mb"] or 0) for r in runs) or None,
            "rc": sorted({str(r["rc"]) for r in runs}),
            "err": next((r["err"] for r in runs if r["rc"] != 0), ""),
        }
        results["commands"][key] = entry
        status = "ok" if entry["rc"] == ["0"] else f"rc={','.join(entry['rc'])}"
        secs = f"{entry['seconds']:.2f}s" if entry["seconds"] is not None else "-"
        print(f"# n={n} {key}: {secs} {status} {entry['err']}", file=sys.stderr)
    clear_out()
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


def fmt_s(v) -> str:
    return "-" if v is None else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def report(all_results: list[dict], m: dict, args) -> str:
    out = [
        f"# convo benchmarks ({dt.datetime.now().isoformat(timespec='seconds')})",
        "",
        (f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_mb']} MB RAM, "
         f"Python {m['python']}, {m['platform']}. Peak RSS via {m['memory_probe']}."),
        (f"Median of {args.repeat} runs ({args.site_repeat} for site builds); "
         f"`--today {TODAY}`; notebooks from `bench/generate.py --seed {args.seed}`."),
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
            "| command | seconds | ratio to baseline | peak RSS MB | status |",
            "|---|---:|---:|---:|---|",
        ]
        notes = []
        for key in ALL:
            if key not in cmds:
                continue
            e = cmds[key]
            ratio = ""
            base = RATIO.get(key)
            if base and base in cmds and e["seconds"] and cmds[base]["seconds"]:
                ratio = f"{e['seconds'] / cmds[base]['seconds']:.2f}× ({base})"
            rss = "-" if e["rss_mb"] is None else f"{e['rss_mb']:.0f}"
            status = ("ok" if e["rc"] == ["0"] else f"exit {','.join(e['rc'])}"
                      if set(e["rc"]) <= {"0", "1"} else f"FAILED rc={','.join(e['rc'])}")
            if e["rc"] != ["0"]:
                notes.append(f"- {key}: `{e['cmd']}` → {e['err'] or 'no stderr'}")
            out.append(f"| {LABEL[key]} | {fmt_s(e['seconds'])} | {ratio} | {rss} | {status} |")
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
    for var in ("CONVO_TODAY", "CONVO_ME", "CONVO_NOTEBOOK"):
        env.pop(var, None)
    # run the working tree's convo_notes, installed or not
    convo_env = dict(env)
    convo_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)

    # Bytecode once, up front: with PYTHONDONTWRITEBYTECODE set, every timed run would
    # otherwise compile convo_notes from source (about 0.03 s each).
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "src")], check=False)

    m = machine()
    results = [bench_size(n, args, env, convo_env) for n in sorted(args.sizes)]
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
