"""`qbank validate`: the schema, then every link between the questions, the seed index,
the solutions and the checks. Reports every problem found; changes nothing.
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qbank.bank.checks import check_functions, collect_checks
from qbank.bank.loader import Bank, Problem, load_bank
from qbank.bank.seeds import SeedIndex, item_label, seed_index  # noqa: F401 - also imported from here

SECTION = "# --8<-- [start:{name}]"  # the snippet marker the site embeds a solution by


@dataclass
class Report:
    bank: Bank
    problems: list[Problem]
    uncovered: list[str]  # seed items no question cites
    reads: dict[str, set[str]] = field(default_factory=dict)  # check -> contract names it reads (the site shows them)

    @property
    def claims(self) -> int:
        return sum(len(q.claims) for q in self.bank.questions)

    @property
    def checked_claims(self) -> int:
        return sum(1 for q in self.bank.questions for c in q.claims if c.check)


def validate(root: Path | None = None, import_solutions: bool = True) -> Report:
    bank = load_bank(root)
    problems = list(bank.problems)
    seeds = seed_index()
    checks, found = collect_checks(bank.root / "checks")
    reads = check_functions(bank.root)
    problems += found
    cited: set[str] = set()
    covered: set[str] = set()
    broken = _broken_ids(bank)  # question id -> its file, for the files that failed to load
    for q in bank.questions:
        src = bank.sources[q.id]

        def report(loc, message, q=q):
            problems.append(bank.problem(q.id, loc, message))

        if src.path.stem != q.id:
            report(("id",), f"id {q.id!r} must match the file name {src.path.name!r}")
        if src.path.parent.name != q.topic:
            report(("topic",), f"topic {q.topic!r} must match the folder {src.path.parent.name!r}")
        for name in ("sources", "tags", "related", "solution"):
            values = getattr(q, name)
            for i, value in enumerate(values):
                if value in values[:i]:
                    report((name, i), f"{value!r} is listed twice")
        for i, item in enumerate(q.sources):
            if item not in seeds.items:
                report(("sources", i), f"unknown seed item {item!r} (the valid ids are in qbank/bank/seed_index.yaml)")
            covered.add(item)
        for i, other in enumerate(q.related):
            if other == q.id:
                report(("related", i), "a question cannot be related to itself")
            elif other in broken:  # a follow-on of that file's own problem, reported above
                report(("related", i), f"no question has id {other!r} (its file {broken[other]} failed to load)")
            elif other not in bank.by_id:
                report(("related", i), f"no question has id {other!r}")
        for i, ref in enumerate(q.solution):
            if message := _check_solution(bank.root, ref, import_solutions):
                report(("solution", i), message)
        for name, entries in (("claims", q.claims), ("errata", q.errata)):
            for i, entry in enumerate(entries):
                if entry.check:
                    cited.add(entry.check)
                    if entry.check not in checks:
                        report((name, i, "check"), f"no check {entry.check} (no such test function in checks/)")
                    elif message := _kind_problem(entry.kind, entry.check, reads.get(entry.check, set())):
                        report((name, i, "kind"), message)
        for i, erratum in enumerate(q.errata):
            if erratum.source not in seeds.items:
                report(("errata", i, "source"), f"unknown seed item {erratum.source!r}")
            elif erratum.source not in q.sources:
                report(("errata", i, "source"), f"{erratum.source!r} is corrected here but missing from sources")
        for message in lint_markdown(q.answer.detailed):
            report(("answer", "detailed"), message)
    for src in bank.invalid:  # a file that fails the schema still claims its checks
        cited.update(_strings(src.data))
    for node, (path, line) in checks.items():
        if node not in cited and not bank.unreadable:  # an unreadable file may claim it
            problems.append(Problem(path, line, node.split("::")[1], "no question claims this check"))
    uncovered = [item for item in seeds.items if item not in covered]
    return Report(bank, problems, uncovered, reads)


def _broken_ids(bank: Bank) -> dict[str, str]:
    """The ids of the questions whose file failed to load (the id it gives, else its name)."""
    found = {}
    for path in bank.unreadable:
        found[path.stem] = _shown(bank.root, path)
    for src in bank.invalid:
        qid = src.data.get("id") if isinstance(src.data, dict) else None
        found[qid if isinstance(qid, str) else src.path.stem] = _shown(bank.root, src.path)
        found.setdefault(src.path.stem, _shown(bank.root, src.path))
    return {qid: path for qid, path in found.items() if qid not in bank.by_id}


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _kind_problem(kind: str, check: str, reads: set[str]) -> str | None:
    """A claim's kind must say what its check does: a `component` check calls a contract
    name on `impl` (it grades the implementation); a `fact` or `library` check does not."""
    name = check.split("::")[1]
    if kind == "component" and not reads:
        return (f"kind component, but {name} calls no contract name on `impl`: it cannot grade an "
                f"implementation (make it call impl.NAME, or say kind fact/library)")
    if kind != "component" and reads:
        return (f"kind {kind}, but {name} grades the implementation through impl.{sorted(reads)[0]}: "
                f"say kind component")
    return None


def _strings(data) -> set[str]:
    if isinstance(data, dict):
        return set().union(*map(_strings, data.values()))
    if isinstance(data, list):
        return set().union(*map(_strings, data))
    return {data} if isinstance(data, str) else set()


def lint_markdown(text: str) -> list[str]:
    """Math the site would render wrongly: a $$ block needs a blank line before and after."""
    problems = []
    lines = text.splitlines()
    fences = [i for i, line in enumerate(lines) if line.strip() == "$$"]
    if len(fences) % 2:
        problems.append("unbalanced $$: a display-math block is opened and never closed")
    for start, end in zip(fences[::2], fences[1::2]):
        if start > 0 and lines[start - 1].strip():
            problems.append(f"the $$ block on answer line {start + 1} needs a blank line before it")
        if end + 1 < len(lines) and lines[end + 1].strip():
            problems.append(f"the $$ block ending on answer line {end + 1} needs a blank line after it")
    for i, line in enumerate(lines):
        if "$$" in line and line.strip() != "$$" and not re.fullmatch(r"\s*\$\$.*\$\$\s*", line):
            problems.append(f"answer line {i + 1}: put $$ on a line of its own")
    fence = None
    for i, line in enumerate(lines):
        if m := re.match(r"\s*(```+|~~~+)", line):
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence):
                fence = None
        elif fence is None and re.match(r" {0,3}#{1,6}(\s|$)", line):
            problems.append(f"answer line {i + 1}: no headings in an answer (the page's outline and its search "
                            "index are the site's); use **bold** for a paragraph's lead")
    return problems


def _check_solution(root: Path, ref: str, do_import: bool) -> str | None:
    module_name, name = ref.split(":")
    path = root / (module_name.replace(".", "/") + ".py")
    if not path.is_file():
        return f"no module {module_name} ({path.relative_to(root)} does not exist)"
    if SECTION.format(name=name) not in path.read_text(encoding="utf-8"):
        return f"{path.relative_to(root)} has no snippet marker '{SECTION.format(name=name)}' for {name}"
    if not do_import:
        return None
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
        importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return f"{module_name} does not import: {type(e).__name__}: {e}"
    if not hasattr(module, name):
        return f"{module_name} has no {name!r}"
    return None
