"""`qbank verify` and `qbank grade`: run checks, and say which claims hold.

The checks run in a pytest SUBPROCESS from the bank's root:

    python -m pytest <node ids> -p no:cacheprovider -q --impl SPEC --qbank-report TMP.json

so the CLI itself never imports torch, and a learner's file that crashes the interpreter
cannot take the CLI down with it. The report (written by `checks/conftest.py`) gives
each check's outcome, message, Hypothesis's smallest failing example and the place the
exception was raised; `verdicts` maps those back to the claims that cite the checks.

Which checks grade a component (`qbank grade FILE`): the checks that read contract names
from the implementation under test (`impl.NAME`), directly or through a helper or fixture
defined in the same check file, and read only names of that component (found by reading
the check files' syntax trees, without importing them). A check that also needs another
component (a masking check that calls `attention_weights` and `causal_mask`) is left out
and counted, unless the file implements that component too: it would only be skipped.
A check that reads no contract name states a fact of mathematics or of PyTorch: it does
not depend on the learner's code, so it does not grade it.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qbank.bank.catalog import Catalog, Entry
from qbank.bank.checks import check_functions
from qbank.contract import COMPONENTS, NAMES
from qbank.errors import QbankError
from qbank.grading.verification import Verdict, load_verification

WORDS = {"passed": "holds", "failed": "fails", "skipped": "skipped", "not run": "not run"}


def word(verdict: Verdict) -> str:
    """The verdict as a claim's status reads: holds, fails, skipped, not run."""
    return WORDS[verdict.outcome]


class GradeError(QbankError):
    """The checks could not be run (the message says why)."""


class LearnerFileError(GradeError):
    """The learner's file does not import (message: 'file:line: Error: what')."""


@dataclass(frozen=True)
class ClaimVerdict:
    question: str
    claim: str  # the sentence (for an erratum: what is right)
    check: str
    verdict: Verdict
    erratum: str | None = None  # the seed item an erratum corrects


@dataclass
class Run:
    verdicts: dict[str, Verdict]  # check node id -> verdict
    returncode: int
    output: str = ""
    claims: list[ClaimVerdict] = field(default_factory=list)
    left_out: dict[str, set[str]] = field(default_factory=dict)  # grade: checks needing other components

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.claims if c.verdict.outcome == outcome)


def component_checks(root: Path, components: list[str]) -> tuple[list[str], dict[str, set[str]]]:
    """The checks that grade `components`: those reading their contract names and no
    other. Also returns the checks left out because they need more (node -> the
    components they also need)."""
    names = {n.name for c in components for n in COMPONENTS[c].names}
    graded, needs_more = [], {}
    for node, reads in check_functions(root).items():
        if reads and reads <= names:
            graded.append(node)
        elif reads & names:
            needs_more[node] = {NAMES[n].component for n in reads - names}
    return graded, needs_more


# -- the learner's file --------------------------------------------------------------------


def defined_names(path: Path) -> set[str]:
    """Top-level names a learner's file defines, read without importing it (no torch).
    A syntax error raises LearnerFileError 'file:line: SyntaxError: ...'."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LearnerFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise LearnerFileError(f"{path}: cannot read it: {e}") from None
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as e:
        raise LearnerFileError(f"{path}:{e.lineno}: SyntaxError: {e.msg}") from None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def components_of(path: Path) -> list[str]:
    """The contract components whose names the file defines, in contract order."""
    names = defined_names(path)
    return [c for c, comp in COMPONENTS.items() if any(n.name in names for n in comp.names)]


def enclosing_function(path: Path, line: int) -> str | None:
    """The innermost def or class of `path` around `line` ('MultiHeadAttention.forward')."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    best = None

    def visit(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    best = name
                    visit(child, name + ".")

    visit(tree, "")
    return best


# -- running -------------------------------------------------------------------------------


def run_checks(root: Path, nodes: list[str], impl: str | None = None, profile: str | None = None) -> Run:
    """Run the checks `nodes` in a pytest subprocess; one Verdict per node. `profile` is
    a Hypothesis profile of checks/conftest.py (default: the bank's own)."""
    if not nodes:
        return Run({}, 0)
    with tempfile.TemporaryDirectory(prefix="qbank-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pytest", *nodes, "-p", "no:cacheprovider", "-q", "--no-header",
                   "--qbank-report", str(report)]
        if impl:
            command += ["--impl", impl]
        if profile:
            command += ["--hypothesis-profile", profile]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # no __pycache__ beside the learner's file
        try:
            proc = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
        except OSError as e:
            raise GradeError(f"cannot run pytest: {e}") from None
        output = proc.stdout + proc.stderr
        if proc.returncode == 4 and "cannot load the implementation under test" in output:
            found = re.search(r"cannot load the implementation under test: (.+)", output)
            raise LearnerFileError(found.group(1).strip() if found else output.strip()[-2000:])
        if proc.returncode not in (0, 1) or not report.is_file():
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise GradeError(f"pytest could not run the checks (exit code {proc.returncode}):\n{tail}")
        report_read = load_verification(report)
    verdicts = {node: report_read.verdict(node) for node in nodes}
    return Run(verdicts, proc.returncode, output)


def claim_verdicts(entries: list[Entry], verdicts: dict[str, Verdict]) -> list[ClaimVerdict]:
    """Every claim and erratum of `entries` whose check ran, with its verdict, in bank order."""
    out = []
    for e in entries:
        for c in e.claims:
            if c.check in verdicts:
                out.append(ClaimVerdict(e.id, c.claim, c.check, verdicts[c.check]))
        for x in e.errata:
            if x.check in verdicts:
                out.append(ClaimVerdict(e.id, x.correct, x.check, verdicts[x.check], erratum=x.source))
    return out


def verify(catalog: Catalog, entries: list[Entry], impl: str | None = None) -> Run:
    """Run every check the claims and errata of `entries` cite."""
    existing = check_functions(catalog.root)
    nodes = list(dict.fromkeys(n for e in entries for n in e.checks))
    missing = [n for n in nodes if n not in existing]
    # another implementation may fail many checks: skip Hypothesis's slow explain phase then
    run = run_checks(catalog.root, [n for n in nodes if n in existing], impl, profile="grade" if impl else None)
    for node in missing:
        run.verdicts[node] = Verdict("not run", message="this check does not exist (run `qbank validate`)")
    run.claims = claim_verdicts(entries, run.verdicts)
    return run


def grade(catalog: Catalog, path: Path, components: list[str]) -> Run:
    """Run the checks of `components` against the learner's file at `path`."""
    nodes, needs_more = component_checks(catalog.root, components)
    if not nodes:
        raise GradeError(f"no check grades {', '.join(components)} on its own yet")
    run = run_checks(catalog.root, nodes, str(path), profile="grade")  # no explain phase: fast failures
    run.left_out = needs_more
    claimed = {n for e in catalog.entries for n in e.checks}
    run.claims = claim_verdicts(catalog.entries, run.verdicts)
    for node in nodes:  # a check no question claims yet still grades the file
        if node not in claimed:
            run.claims.append(ClaimVerdict("(unclaimed)", humanize(node), node, run.verdicts[node]))
    return run


def humanize(node: str) -> str:
    """'checks/test_x.py::test_rows_sum_to_one' -> 'Rows sum to one.'"""
    words = node.split("::")[-1].removeprefix("test_").replace("_", " ")
    return words[:1].upper() + words[1:] + "."


def explain(verdict: Verdict, learner: Path | None = None) -> str:
    """The failure or skip reason in words, for a person rather than for pytest."""
    message = verdict.message.strip()
    if verdict.outcome == "skipped":
        found = re.search(r"does not provide '(\w+)' \(contract component '(\w+)'\)", message)
        if found:
            return f"needs {found.group(1)} (component {found.group(2)}), which this implementation does not define"
        return message
    if verdict.outcome != "failed":
        return message
    message = _without_introspection(message)
    where = verdict.where
    in_learner = bool(learner and where and where.rsplit(":", 1)[0] == str(learner))
    if message.startswith("NotImplementedError"):
        function = enclosing_function(learner, int(where.rsplit(":", 1)[1])) if in_learner else None
        what = f"{function} is" if function else "something it calls is"
        at = f" at {_short_where(where)}" if where else ""
        return f"{what} not implemented yet (raises NotImplementedError{at})"
    if in_learner:
        function = enclosing_function(learner, int(where.rsplit(":", 1)[1]))
        return f"{message}\n(raised in {function or 'your code'} at {_short_where(where)})"
    return message


def _without_introspection(message: str) -> str:
    """Drop pytest's assertion introspection ("assert ...", "+ where ...") when the check
    gave its own message: the message says it in words, the introspection in reprs."""
    lines = message.splitlines()
    if len(lines) > 1 and lines[0].startswith("AssertionError: "):
        kept = [line for line in lines if not line.lstrip().startswith(("+", "assert "))]
        return "\n".join(kept).strip()
    return message


def _short_where(where: str) -> str:
    path, _, line = where.rpartition(":")
    return f"{Path(path).name}:{line}"
