"""The mutation-testing report: `make mutants` runs mutmut over solutions/ with checks/ as the
suite, then this script reads mutmut's results and writes build/mutants.md.

A mutant that survives is either killed by a new or sharper check, or listed in
tests/equivalent_mutants.yaml with why it cannot change anything the bank claims (matched by
file and by the exact lines the mutant removes and adds, so the list survives renumbering).
Exit status 1 when a survivor is neither killed nor listed, or when a mutant was not run.

    python scripts/mutants.py [--report build/mutants.md]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "equivalent_mutants.yaml"


@dataclass(frozen=True)
class Mutant:
    name: str  # solutions.masking.x_padding_mask__mutmut_1
    status: str  # killed, survived, no tests, timeout, ...
    file: str = ""
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def diff(self) -> str:
        return "\n".join([*(f"- {line}" for line in self.removed), *(f"+ {line}" for line in self.added)])


def mutmut(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def results() -> list[Mutant]:
    out = []
    for line in mutmut("results", "--all", "true").splitlines():
        found = re.fullmatch(r"\s*(\S+__mutmut_\d+): (.+)", line)
        if found:
            out.append(Mutant(found.group(1), found.group(2).strip()))
    return out


def with_diff(m: Mutant) -> Mutant:
    text = mutmut("show", m.name)
    file = next((line[4:].strip() for line in text.splitlines() if line.startswith("+++ ")), "")
    removed = tuple(line[1:].strip() for line in text.splitlines() if line.startswith("-") and not line.startswith("---"))
    added = tuple(line[1:].strip() for line in text.splitlines() if line.startswith("+") and not line.startswith("+++"))
    return Mutant(m.name, m.status, file, removed, added)


def equivalents() -> list[dict]:
    return yaml.safe_load(EQUIVALENT.read_text(encoding="utf-8")) or [] if EQUIVALENT.is_file() else []


def why_equivalent(m: Mutant, listed: list[dict]) -> str | None:
    for entry in listed:
        if (entry["file"] == m.file and tuple(entry.get("removed", ())) == m.removed
                and tuple(entry.get("added", ())) == m.added):
            return entry["why"]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", default=str(ROOT / "build" / "mutants.md"))
    args = parser.parse_args()
    mutants = results()
    if not mutants:
        sys.exit("no mutmut results: run `make mutants` (mutmut run) first")
    listed = equivalents()
    killed = [m for m in mutants if m.status == "killed"]
    survivors = [with_diff(m) for m in mutants if m.status == "survived"]
    equivalent = [(m, why) for m in survivors if (why := why_equivalent(m, listed))]
    alive = [m for m in survivors if not why_equivalent(m, listed)]
    other = [m for m in mutants if m.status not in ("killed", "survived")]
    scored = len(mutants) - len(equivalent)
    lines = [
        "# Mutation testing of solutions/ (mutmut, checks/ as the suite)", "",
        f"- mutants: {len(mutants)}; killed: {len(killed)}; equivalent (listed in "
        f"tests/equivalent_mutants.yaml): {len(equivalent)}; surviving: {len(alive)}; not run: {len(other)}",
        f"- score: {len(killed)} of {scored} non-equivalent mutants killed "
        f"({100 * len(killed) / max(scored, 1):.1f} %)", "",
    ]
    if alive:
        lines += ["## Surviving (kill each with a check, or list it as equivalent with why)", ""]
        lines += [f"### {m.name} ({m.file})\n\n```diff\n{m.diff}\n```\n" for m in alive]
    if other:
        lines += ["## Not run", ""] + [f"- {m.name}: {m.status}" for m in other] + [""]
    if equivalent:
        lines += ["## Equivalent", ""] + [f"- `{m.name}`: {why}" for m, why in equivalent] + [""]
    stale = [e for e in listed if not any(why_equivalent(m, [e]) for m in survivors)]
    if stale:
        lines += ["## Listed as equivalent but no longer surviving (remove from the list)", ""]
        lines += [f"- {e['file']}: {' / '.join(e.get('removed', ()))}" for e in stale] + [""]
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[:6]))
    print(f"report: {report}")
    return 1 if alive or other else 0


if __name__ == "__main__":
    sys.exit(main())
