"""How long the qbank commands take, each against the `import torch` floor of the same run.

    python scripts/bench.py                 # every figure, median of 5 runs each
    python scripts/bench.py --runs 3 --only grade,verify
    python scripts/bench.py --json build/bench.json

Each command runs as a fresh process (as a learner runs it), `--runs` times; the table gives
the median wall-clock time, the median CPU time (user + system, the process and everything
it waited for: the pytest subprocess of grade and verify counts), and the budget. The floor
is `python -c "import torch"`, measured in the same run the same way: on a machine that
other jobs load, wall-clock times stretch while CPU times barely move, so compare the CPU
column, and read every figure against the floor beside it. The load average is printed too.

The commands run as on a machine where `make setup` ran: the bank's bytecode is compiled
first (`compileall`, and pytest's assertion-rewritten bytecode of the check files, as
`pytest checks` writes it), and one unmeasured run of each command precedes its measured
runs (it fills the catalog cache in a temporary folder). `$PYTHONDONTWRITEBYTECODE` is
dropped: with it set and no bytecode on disk, every run would compile qbank's own modules
(~50 ms of `qbank list`) and the grade run the check files. `qbank grade` and `verify` still
write no bytecode themselves (their pytest subprocess sets the variable); they read it.

`qbank grade` and `verify` fork their pytest run from a worker that keeps torch loaded
(qbank/grading/worker.py): the first run starts it, and the runs after it skip the imports.
Both are measured: the plain rows after a warm-up run (the worker is up), the "first run" rows
with the worker stopped before each run. Their CPU time adds what the worker and the runs it
forked spent (read from /proc), so nothing the command waited for goes uncounted.

Budgets (wall-clock on an idle machine, where wall ~ CPU for these single-threaded runs):
`qbank grade FILE` for one component <= 5 s, `qbank verify ID` <= 4 s, `qbank --help`
<= 0.15 s, `qbank list` / `show` / `stats` <= 0.2 s. Also measured, without a budget:
a failing grade, and the same failing implementation through plain
`pytest <the same checks> --impl FILE` (which should cost about what `qbank grade` does).
They were set on a machine whose floor was 2.4 s; this one's floor moves between ~2.2 and
~3.0 s over an hour, and every figure moves with it. So each figure is judged twice: as
measured, and scaled to that reference floor (cpu x 2.4 / floor of the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_FLOOR = 2.4  # cpu s of `import torch` on the idle 2-core machine the budgets were set on
sys.path.insert(0, str(ROOT))

from qbank.grading import worker  # noqa: E402
BROKEN = ROOT / "tests" / "broken_impls"


def worker_cpu(cache: Path) -> float:
    """CPU seconds of the grading workers of `cache` (qbank/grading/worker.py) and of the runs
    they forked and reaped: a run forked by a worker is not a child of the command, so
    RUSAGE_CHILDREN misses it. 0 where /proc is not there."""
    total = 0.0
    for pid in worker.pids(cache):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(x) for x in stat.rsplit(")", 1)[1].split()[11:15])
        total += (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")
    return total


def measure(command: list[str], runs: int, cwd: Path, env: dict, warmup: int = 1, cold: bool = False) -> dict:
    """Median wall and CPU seconds of `runs` fresh runs of `command` (its exit code is kept),
    after `warmup` runs that are not measured; the load average (1 min) before and after.
    The CPU time counts the grading worker's (see worker_cpu); `cold`: no worker is running
    before each run, so the run starts one, and its imports count."""
    cache = Path(env["QBANK_CACHE"])
    for _ in range(warmup):
        subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = os.getloadavg()[0]
    walls, cpus, codes = [], [], set()
    for _ in range(runs):
        if cold:
            worker.stop(cache)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_before = worker_cpu(cache)
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                    + worker_cpu(cache) - worker_before)
        codes.add(proc.returncode)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "runs": runs,
            "exit": sorted(codes), "load": [round(load, 2), round(os.getloadavg()[0], 2)],
            "all_cpu": [round(c, 3) for c in cpus]}


def compile_bytecode(env: dict) -> None:
    """The bytecode `make setup` leaves: every module of the bank compiled, and pytest's
    assertion-rewritten check files (written by its `pytest checks` run)."""
    python = sys.executable
    subprocess.run([python, "-m", "compileall", "-q", "qbank", "solutions", "checks", "scripts"], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, check=True)
    subprocess.run([python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "checks"], cwd=ROOT,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def cases(work: Path, component: str, question: str,
          other: str) -> list[tuple[str, str, float | None, list[str]]]:
    """(key, label, budget in seconds, command) for each figure."""
    python = sys.executable
    qbank = [python, "-m", "qbank"]
    mine = work / f"{component}.py"
    shutil.copy(ROOT / "solutions" / f"{component}.py", mine)
    broken = sorted((BROKEN / component).glob("*.py"))
    out = [
        ("floor", 'python -c "import torch"', None, [python, "-c", "import torch"]),
        ("help", "qbank --help", 0.15, [*qbank, "--help"]),
        ("list", "qbank list", 0.2, [*qbank, "list"]),
        ("show", f"qbank show {question}", 0.2, [*qbank, "show", question]),
        ("stats", "qbank stats", 0.2, [*qbank, "stats"]),
        ("grade", f"qbank grade {component}.py (a correct copy)", 5.0, [*qbank, "grade", str(mine)]),
        ("grade-first", "  the same, first run (starts the worker)", 5.0, [*qbank, "grade", str(mine)]),
        ("grade-no-worker", "  the same, QBANK_WORKER=0 (as with CI=true)", None,
         ["env", "QBANK_WORKER=0", *qbank, "grade", str(mine)]),
        ("verify", f"qbank verify {question}", 4.0, [*qbank, "verify", question]),
        ("verify-first", "  the same, first run (starts the worker)", 4.0, [*qbank, "verify", question]),
        ("verify-other", f"qbank verify {other}", 4.0, [*qbank, "verify", other]),
    ]
    if broken:
        wrong = work / "wrong" / f"{component}.py"
        wrong.parent.mkdir()
        shutil.copy(broken[0], wrong)
        from qbank.grading.grade import component_checks

        nodes, _ = component_checks(ROOT, [component])
        out += [("grade-failing", f"qbank grade (tests/broken_impls/{component}/{broken[0].name})", None,
                 [*qbank, "grade", str(wrong)]),
                ("pytest-failing", f"pytest <the same {len(nodes)} checks> --impl (same file)", None,
                 [python, "-m", "pytest", *nodes, "-q", "-p", "no:cacheprovider", "--impl", str(wrong)])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh runs of each command (the median is shown)")
    parser.add_argument("--only", default="", help="comma-separated keys: floor is always measured "
                                                   "(help,list,show,stats,grade,verify,grade-failing,...)")
    parser.add_argument("--component", default="attention", help="the component graded (a copy of its solution)")
    parser.add_argument("--question", default="why-scale-by-sqrt-dk", help="the question verified and shown")
    parser.add_argument("--other", default="layer-norm", help="a question of another topic, verified too")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs of each command before its runs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    wanted = {k for k in args.only.split(",") if k} | {"floor"}
    with tempfile.TemporaryDirectory(prefix="qbank-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "QBANK_DB": str(work / "progress.sqlite3"), "QBANK_CACHE": str(work / "cache"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        env.pop("CI", None)
        env.pop("QBANK_WORKER", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        rows = {}
        start_load = os.getloadavg()
        print(f"load average {start_load[0]:.1f} {start_load[1]:.1f} {start_load[2]:.1f} (1, 5, 15 min) on "
              f"{os.cpu_count()} cores; median of {args.runs} runs after {args.warmup} unmeasured", flush=True)
        compile_bytecode(env)
        for key, label, budget, command in cases(work, args.component, args.question, args.other):
            if args.only and key not in wanted:
                continue
            rows[key] = {"label": label, "budget": budget,
                         **measure(command, args.runs, ROOT, env, args.warmup, cold=key.endswith("-first"))}
            r = rows[key]
            print(f"  measured {label}: wall {r['wall']:.2f} s, cpu {r['cpu']:.2f} s (load {r['load'][0]:.1f}"
                  f"-{r['load'][1]:.1f})", file=sys.stderr, flush=True)
        worker.stop(work / "cache")
    floor = rows["floor"]
    scale = REFERENCE_FLOOR / floor["cpu"]
    print(f"\n{'command':<56} {'wall':>6} {'cpu':>6} {'cpu-floor':>9} {'budget':>6}  verdict  "
          f"{'at ' + format(REFERENCE_FLOOR, 'g') + ' s':>8}  verdict  load")
    for key, r in rows.items():
        over = "" if r["budget"] is None else ("OK" if r["cpu"] <= r["budget"] else "OVER")
        scaled = "" if r["budget"] is None else ("OK" if r["cpu"] * scale <= r["budget"] else "OVER")
        budget = "" if r["budget"] is None else f"{r['budget']:g} s"
        extra = "" if key == "floor" else f"{r['cpu'] - floor['cpu']:+9.2f}"
        print(f"{r['label']:<56} {r['wall']:6.2f} {r['cpu']:6.2f} {extra:>9} {budget:>6}  {over:<7}  "
              f"{r['cpu'] * scale:8.2f}  {scaled:<7}  {r['load'][0]:.1f}-{r['load'][1]:.1f}")
    end_load = os.getloadavg()
    print(f"\nfloor (import torch): wall {floor['wall']:.2f} s, cpu {floor['cpu']:.2f} s. Budgets are judged on cpu "
          f"(what an idle machine's wall-clock would be). Load average {start_load[0]:.1f} at the start, "
          f"{end_load[0]:.1f} at the end, on {os.cpu_count()} cores. The \"at {REFERENCE_FLOOR:g} s\" column "
          f"scales each cpu figure to a machine whose floor is {REFERENCE_FLOOR:g} s (the one the budgets were set "
          f"on): this machine's speed drifts by 10-25 % over an hour, and every figure drifts with it.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"load": [start_load[0], end_load[0]], "cores": os.cpu_count(),
                                         "figures": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
