"""The mutation-testing report: `make mutants` runs mutmut over solutions/ with checks/ as the
suite, then this script reads mutmut's results and writes build/mutants.md.

A mutant that survives is either killed by a new or sharper check, or listed in
tests/equivalent_mutants/<component>.yaml with why it cannot change anything the bank claims (matched by
file and by the exact stripped lines the mutant removes and adds, so the list survives
renumbering). A mutant that made the checks time out (an endless loop) or crash the
interpreter counts as killed: the checks noticed it.
Exit status 1 when a survivor is neither killed nor listed, or when a mutant was not run
(not checked, no check covers it, suspicious, interrupted).

    python scripts/mutants.py [--report build/mutants.md] [PATTERN ...]

PATTERNs (fnmatch, as given to `mutmut run`, e.g. "solutions.rope*") restrict the report to the
mutants a partial run tried.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "equivalent_mutants"  # one YAML list per component
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}  # the checks noticed the change


@dataclass(frozen=True)
class Mutant:
    name: str  # solutions.masking.x_padding_mask__mutmut_1, solutions.gqa.xǁGroupedQueryAttentionǁforward__mutmut_2
    status: str  # killed, survived, no tests, timeout, ...
    file: str = ""
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def component(self) -> str:
        return self.name.split(".")[1]

    @property
    def diff(self) -> str:
        return "\n".join([*(f"- {line}" for line in self.removed), *(f"+ {line}" for line in self.added)])


def mutmut(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def results() -> list[Mutant]:
    """Every mutant with its status: `mutmut results --all true` prints `    NAME: STATUS` lines."""
    out = []
    for line in mutmut("results", "--all", "true").splitlines():
        found = re.fullmatch(r"\s*(\S+__mutmut_\d+): (.+)", line)
        if found:
            out.append(Mutant(found.group(1), found.group(2).strip()))
    return out


def parse_show(name: str, status: str, text: str) -> Mutant:
    """`mutmut show NAME` prints `# NAME: STATUS`, then a unified diff of the mutated function:
    `--- path`, `+++ path`, hunks. Only the lines after the `+++` header are the diff's body."""
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("+++ ")), None)
    if header is None or header == 0 or not lines[header - 1].startswith("--- "):
        sys.exit(f"mutmut show {name}: no diff header in\n{text}")
    body = lines[header + 1:]
    removed = tuple(line[1:].strip() for line in body if line.startswith("-"))
    added = tuple(line[1:].strip() for line in body if line.startswith("+"))
    return Mutant(name, status, lines[header][4:].strip(), removed, added)


def with_diff(m: Mutant) -> Mutant:
    return parse_show(m.name, m.status, mutmut("show", m.name))


def equivalents() -> list[dict]:
    listed: list[dict] = []
    for path in sorted(EQUIVALENT.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            missing = {"file", "removed", "added", "why"} - set(entry)
            if missing:
                sys.exit(f"{path.relative_to(ROOT)}: entry {entry} lacks {sorted(missing)}")
            listed.append(entry)
    return listed


def matches(m: Mutant, entry: dict) -> bool:
    return (entry["file"] == m.file and tuple(entry["removed"]) == m.removed
            and tuple(entry["added"]) == m.added)


def why_equivalent(m: Mutant, listed: list[dict]) -> str | None:
    return next((entry["why"] for entry in listed if matches(m, entry)), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", default=str(ROOT / "build" / "mutants.md"))
    parser.add_argument("patterns", nargs="*", help='restrict to these mutant names (fnmatch), e.g. "solutions.rope*"')
    args = parser.parse_args()
    mutants = results()
    if args.patterns:
        mutants = [m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in args.patterns)]
    if not mutants:
        sys.exit("no mutmut results: run `make mutants` (mutmut run) first")
    listed = equivalents()
    survivors = [with_diff(m) for m in mutants if m.status == "survived"]
    equivalent = {m.name: why for m in survivors if (why := why_equivalent(m, listed))}
    alive = [m for m in survivors if m.name not in equivalent]
    other = [m for m in mutants if m.status not in DETECTED and m.status != "survived"]

    def score(group: list[Mutant]) -> tuple[int, int]:
        killed = sum(m.status in DETECTED for m in group)
        return killed, len(group) - sum(m.name in equivalent for m in group)

    killed, scored = score(mutants)
    lines = [
        "# Mutation testing of solutions/ (mutmut, checks/ as the suite)", "",
        f"- mutants: {len(mutants)}; killed: {killed} (of which timeouts: "
        f"{sum(m.status == 'timeout' for m in mutants)}); equivalent (listed in tests/equivalent_mutants/): "
        f"{len(equivalent)}; surviving: {len(alive)}; not run: {len(other)}",
        f"- score: {killed} of {scored} non-equivalent mutants killed ({100 * killed / max(scored, 1):.1f} %)", "",
        "| component | mutants | killed | equivalent | surviving | score |", "|---|---:|---:|---:|---:|---:|",
    ]
    by_component: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_component.setdefault(m.component, []).append(m)
    alive_count = Counter(m.component for m in alive)
    for component, group in sorted(by_component.items()):
        k, s = score(group)
        lines.append(f"| {component} | {len(group)} | {k} | {len(group) - s} | {alive_count[component]} | "
                     f"{100 * k / max(s, 1):.1f} % |")
    lines.append("")
    if alive:
        lines += ["## Surviving (kill each with a check, or list it as equivalent with why)", ""]
        lines += [f"### {m.name} ({m.file})\n\n```diff\n{m.diff}\n```\n" for m in alive]
    if other:
        lines += ["## Not run", ""] + [f"- {m.name}: {m.status}" for m in other] + [""]
    if equivalent:
        lines += ["## Equivalent", ""] + [f"- `{name}`: {why}" for name, why in equivalent.items()] + [""]
    if not args.patterns:  # a partial run cannot tell a stale entry from one it did not try
        stale = [e for e in listed if not any(matches(m, e) for m in survivors)]
        if stale:
            lines += ["## Listed as equivalent but no longer surviving (remove from the list)", ""]
            lines += [f"- {e['file']}: {' / '.join(e['removed'])}" for e in stale] + [""]
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[:5]))
    print(f"report: {report}")
    return 1 if alive or other else 0


if __name__ == "__main__":
    sys.exit(main())
