"""`qbank verify` and `qbank grade`: run checks, and say which hold, one line per check.

The checks run in a pytest SUBPROCESS from the bank's root:

    python -m pytest <node ids> -p no:cacheprovider -q --impl SPEC --qbank-report TMP.json
        --qbank-progress TMP.txt --qbank-exit --hypothesis-profile fast|grade --hypothesis-seed N

so the CLI itself never imports torch, and a learner's file that crashes the interpreter
cannot take the CLI down with it. Outside CI the process is forked from a worker that has
already imported torch, numpy, pytest and Hypothesis (qbank/grading/worker.py): the same
command, ~2.5 s sooner. Only the check files holding the selected checks are
collected; pytest's plugins are not auto-loaded (a learner's own pytest plugins neither slow
nor change the run); the process ends as soon as the report is written. Nothing is written
into the bank or beside the learner's file: no bytecode, and Hypothesis keeps its example
database in the user's cache folder. Every run passes a seed (so `--seed N` replays it); with a
seed Hypothesis does not replay saved examples, so the database is not what reproduces a failure.

The report (written by `checks/conftest.py`) gives each check's outcome and, for a failure,
its message, every input by name, expected against got, the `@reproduce_failure` blob and
where the exception was raised. `CheckResult` pairs it with the claims that cite the check,
headed by the most direct one (from the question whose solution names what the check reads).

Which checks grade a component (`qbank grade FILE`): the checks that read contract names
from the implementation under test (`impl.NAME`), directly or through a helper or fixture
defined in the same check file, and read only names of that component (found by reading
the check files' syntax trees, without importing them). These back the claims of kind
`component`. A check that also needs another component (a masking check that calls
`attention_weights` and `causal_mask`) is left out and counted, unless the file implements
that component too: it would only be skipped. A check that reads no contract name backs a
`fact` or `library` claim: it does not depend on the learner's code, so it does not grade it.
"""

from __future__ import annotations

import ast
import difflib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qbank.bank.catalog import Catalog, Entry
from qbank.bank.checks import check_functions
from qbank.contract import COMPONENTS, NAMES
from qbank.errors import QbankError
from qbank.grading import worker
from qbank.grading.failure import BANK_EXAMPLES, GRADE_EXAMPLES
from qbank.grading.impl import near_misses
from qbank.grading.verification import Verdict, load_verification
from qbank.progress.store import cache_folder

WORDS = {"passed": "holds", "failed": "fails", "skipped": "skipped", "not run": "not run"}


def word(verdict: Verdict) -> str:
    """The verdict as a claim's status reads: holds, fails, skipped, not run."""
    return WORDS[verdict.outcome]


class GradeError(QbankError):
    """The checks could not be run (the message says why)."""


class LearnerFileError(GradeError):
    """The learner's file does not import (message: 'file:line: Error: what')."""


@dataclass(frozen=True)
class Cited:
    """A claim (or an erratum's correction) that cites a check."""

    question: str
    sentence: str
    kind: str | None  # component | fact | library
    erratum: str | None = None  # the seed item an erratum corrects


@dataclass
class CheckResult:
    node: str
    verdict: Verdict
    headline: Cited  # the most direct claim citing the check (its name in words if none does)
    cited: int = 1  # how many claims and errata cite it (of the questions asked about, for verify)

    @property
    def name(self) -> str:
        return self.node.split("::")[-1]


@dataclass
class Run:
    results: list[CheckResult]  # failures first, the most direct first; then the rest in order
    returncode: int = 0
    output: str = ""
    seed: int | None = None
    impl: str | None = None  # what was run against (None: the bank's solutions)
    learner: Path | None = None  # grade: the learner's file
    components: list[str] = field(default_factory=list)  # grade: what the file implements
    left_out: dict[str, set[str]] = field(default_factory=dict)  # grade: checks needing other components
    not_graded: int = 0  # grade: fact and library claims of the same questions
    unprovable: int = 0  # verify: claims argued, not checked
    elapsed: float = 0.0
    examples: int = BANK_EXAMPLES  # Hypothesis examples per check

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.verdict.outcome == outcome)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict.outcome == "failed"]


# -- which checks ---------------------------------------------------------------------------


def component_checks(root: Path, components: list[str],
                     reads: dict[str, set[str]] | None = None) -> tuple[list[str], dict[str, set[str]]]:
    """The checks that grade `components`: those reading their contract names and no
    other. Also returns the checks left out because they need more (node -> the
    components they also need). `reads` is `check_functions(root)` if already read."""
    names = {n.name for c in components for n in COMPONENTS[c].names}
    graded, needs_more = [], {}
    for node, reads in (reads if reads is not None else check_functions(root)).items():
        if reads and reads <= names:
            graded.append(node)
        elif reads & names:
            needs_more[node] = {NAMES[n].component for n in reads - names}
    return graded, needs_more


def resolve_component(name: str) -> str:
    """The contract component `name` means: 'multi-head', 'Multi_Head' -> 'multi_head'.
    An unknown name raises GradeError with the closest ones."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in COMPONENTS:
        return key
    close = difflib.get_close_matches(key, list(COMPONENTS), n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise GradeError(f"unknown component {name!r}; choose from: {', '.join(COMPONENTS)}{hint}")


def select(nodes: list[str], wanted: list[str]) -> list[str]:
    """The checks named by `wanted`: a check's function name ('test_x'), part of it
    ('masked_attention'), a check file ('checks/test_attention.py') or a full node id."""
    if not wanted:
        return nodes
    chosen = []
    for w in wanted:
        if ".py" in w:
            found = [n for n in nodes if n == w or n.startswith(w.rstrip(":") + "::")]
        else:
            w = w.split("::")[-1]
            exact = [n for n in nodes if n.split("::")[-1] in (w, f"test_{w}")]
            found = exact or [n for n in nodes if w in n.split("::")[-1]]
        if not found:
            close = difflib.get_close_matches(w.split("::")[-1], [n.split("::")[-1] for n in nodes], n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise GradeError(f"no check here is named like {w!r}{hint}")
        chosen += found
    return list(dict.fromkeys(chosen))


# -- the learner's file --------------------------------------------------------------------


def definitions(path: Path) -> dict[str, str | None]:
    """Top-level names a learner's file defines, read without importing it (no torch):
    name -> "class", "function" or None (a value or an import). A syntax error raises
    LearnerFileError 'file:line: SyntaxError: ...'."""
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
    names: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = "class"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = "function"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update({t.id: None for t in targets if isinstance(t, ast.Name)})
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update({(a.asname or a.name).split(".")[0]: "import" for a in node.names})
    return names


def defined_names(path: Path) -> set[str]:
    return set(definitions(path))


def components_of(path: Path) -> list[str]:
    """The contract components whose names the file defines itself, in contract order. Names it
    imports (a finished component from an earlier file, say) are there for the checks that need
    them, but do not make their component one to grade; a file that only imports is graded on
    what it imports."""
    found = definitions(path)
    own = {name for name, kind in found.items() if kind != "import"}
    names = own if any(n.name in own for comp in COMPONENTS.values() for n in comp.names) else set(found)
    return [c for c, comp in COMPONENTS.items() if any(n.name in names for n in comp.names)]


def misspelled(path: Path) -> dict[str, str]:
    """Names of the file that look like contract names they are not ('MultiheadAttention')."""
    return near_misses({n: None if k == "import" else k for n, k in definitions(path).items()})


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

Progress = Callable[[int, int, int], None]  # (checks done, checks in all, failed so far)


def hypothesis_folder() -> Path:
    """Where Hypothesis keeps its example database for qbank's runs: the user's cache folder
    ($QBANK_CACHE, else ~/.cache/qbank/hypothesis on Linux), never the bank."""
    return cache_folder() / "hypothesis"


def pytest_command(nodes: list[str], impl: str | None, seed: int | None, profile: str = "fast") -> list[str]:
    """The pytest command line of a run (without the report options): shown to reproduce one."""
    command = [*nodes, "-p", "no:cacheprovider"]
    if impl:
        command += ["--impl", impl]
    command += ["--hypothesis-profile", profile]
    if seed is not None:
        command += ["--hypothesis-seed", str(seed)]
    return command


def how_checks_run() -> str:
    """How the next run starts, for the line the CLI prints before it."""
    if not worker.enabled():
        return "a pytest subprocess; torch loads first"
    if worker.running(cache_folder()):
        return "pytest, forked from the worker that keeps torch loaded"
    return "a pytest process; torch loads first, in a worker kept for the next runs"


def run_checks(root: Path, nodes: list[str], impl: str | None = None, seed: int | None = None,
               progress: Progress | None = None, profile: str = "fast") -> tuple[dict[str, Verdict], int, str]:
    """Run the checks `nodes` in a pytest subprocess: one Verdict per node, pytest's exit code
    and its output. `progress(done, total, failed)` is called as checks finish; `profile` is a
    Hypothesis profile of checks/conftest.py (`fast`: the bank's 40 examples; `grade`: 20)."""
    if not nodes:
        return {}, 0, ""
    with tempfile.TemporaryDirectory(prefix="qbank-") as tmp:
        report, ticks, log = Path(tmp) / "report.json", Path(tmp) / "progress.txt", Path(tmp) / "output.txt"
        args = [*pytest_command(nodes, impl, seed, profile),
                "-p", "no:unraisableexception", "-p", "no:logging", "-p", "_hypothesis_pytestplugin", "-q",
                "--no-header",
                "--tb=line",  # the report reads the exception itself; pytest need not format tracebacks
                "--qbank-report", str(report), "--qbank-progress", str(ticks), "--qbank-exit"]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
        env.update(PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ in the bank or beside the learner's file
                   PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                   HYPOTHESIS_STORAGE_DIRECTORY=str(hypothesis_folder()))
        ticks.touch()
        proc = None
        if worker.enabled():  # forked from a process that has imported torch (qbank/grading/worker.py)
            proc = worker.launch(args, root, env, log, cache_folder())
        try:
            if proc is None:
                with log.open("w", encoding="utf-8") as out:
                    proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=root, stdout=out,
                                            stderr=subprocess.STDOUT, env=env)
            _follow(proc, ticks, progress)
        except OSError as e:
            raise GradeError(f"cannot run pytest: {e}") from None
        except BaseException:  # Ctrl-C: the run ends with the CLI
            if proc is not None:
                proc.kill()
            raise
        output = log.read_text(encoding="utf-8", errors="replace")
        read = load_verification(report) if report.is_file() else None
        if read is not None and read.error:
            if "cannot load the implementation under test: " in read.error:
                raise LearnerFileError(read.error.split("cannot load the implementation under test: ", 1)[1])
            raise LearnerFileError(read.error)
        if proc.returncode not in (0, 1) or read is None:
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise GradeError(f"pytest could not run the checks (exit code {proc.returncode}):\n{tail}")
    return {node: read.verdict(node) for node in nodes}, proc.returncode, output


def _follow(proc: subprocess.Popen, ticks: Path, progress: Progress | None) -> None:
    """Wait for `proc`, reporting each check it finishes from its progress file."""
    done = failed = total = seen = 0
    while True:
        finished = proc.poll() is not None
        if progress is not None:
            text = ticks.read_text(encoding="utf-8")
            lines = text.splitlines() if finished or text.endswith("\n") else text.splitlines()[:-1]
            for line in lines[seen:]:
                status, _, rest = line.partition(" ")
                if status == "checks":
                    total = int(rest)
                else:
                    done += 1
                    failed += status == "failed"
                progress(done, total, failed)
            seen = len(lines)
        if finished:
            return
        try:
            proc.wait(timeout=0.1)  # returns as soon as the run ends (a sleep would wait it out)
        except subprocess.TimeoutExpired:
            pass


# -- which claim heads a check ---------------------------------------------------------------


def _citations(entries: list[Entry]) -> dict[str, list[tuple[Entry, Cited]]]:
    out: dict[str, list[tuple[Entry, Cited]]] = {}
    for e in entries:
        for c in e.claims:
            if c.check:
                out.setdefault(c.check, []).append((e, Cited(e.id, c.claim, c.kind)))
        for x in e.errata:
            if x.check:
                out.setdefault(x.check, []).append((e, Cited(e.id, x.correct, x.kind, erratum=x.source)))
    return out


def _directness(entry: Entry, cited: Cited, reads: set[str]) -> int:
    """How directly a question's claim speaks about what its check reads: the question's
    solution names one of those names (4), its topic is their component (2), a claim rather
    than an erratum (1)."""
    solution_names = {ref.rpartition(":")[2] for ref in entry.solution}
    components = {NAMES[n].component for n in reads}
    return (4 * bool(solution_names & reads) + 2 * (entry.topic.replace("-", "_") in components)
            + (cited.erratum is None))


def headline(node: str, citations: list[tuple[Entry, Cited]], reads: set[str]) -> Cited:
    """The most direct claim citing `node` (the first in bank order on a tie); the check's
    name in words when no claim cites it."""
    if not citations:
        return Cited("", humanize(node), "component" if reads else None)
    best = max(range(len(citations)), key=lambda i: (_directness(*citations[i], reads), -i))
    return citations[best][1]


def humanize(node: str) -> str:
    """'checks/test_x.py::test_rows_sum_to_one' -> 'Rows sum to one.'"""
    words = node.split("::")[-1].removeprefix("test_").replace("_", " ")
    return words[:1].upper() + words[1:] + "."


def _ordered(results: list[CheckResult], own_files: set[str] = frozenset(),
             reads: dict[str, set[str]] | None = None) -> list[CheckResult]:
    """Failures first, the most direct first: those of the component's own check file, then
    those reading the component's earliest names (the contract lists the building blocks
    first: attention_weights before scaled_dot_product_attention), then in bank order. Then
    every other check in bank order."""
    order = {name: i for i, name in enumerate(NAMES)}

    def directness(r: CheckResult) -> tuple:
        names = (reads or {}).get(r.node) or set()
        return (r.node.split("::")[0] not in own_files, min((order[n] for n in names if n in order), default=0))

    failed = sorted((r for r in results if r.verdict.outcome == "failed"), key=directness)  # stable: bank order
    return failed + [r for r in results if r.verdict.outcome != "failed"]


# -- the two commands ------------------------------------------------------------------------


def verify(catalog: Catalog, entries: list[Entry], impl: str | None = None, checks: list[str] = (),
           seed: int | None = None, progress: Progress | None = None,
           reads: dict[str, set[str]] | None = None) -> Run:
    """Run every check the claims and errata of `entries` cite (or those of them `checks` names).
    `reads` is `check_functions(catalog.root)` if already read."""
    reads = check_functions(catalog.root) if reads is None else reads
    nodes = select(list(dict.fromkeys(n for e in entries for n in e.checks)), list(checks))
    seed = _seed(seed)
    started = time.monotonic()
    verdicts, code, output = run_checks(catalog.root, [n for n in nodes if n in reads], impl, seed, progress)
    for node in nodes:
        if node not in reads:
            verdicts[node] = Verdict("not run", message="this check does not exist (run `qbank validate`)")
    citations = _citations(entries)
    results = [CheckResult(n, verdicts[n], headline(n, citations.get(n, []), reads.get(n, set())),
                           len(citations.get(n, []))) for n in nodes]
    unprovable = sum(1 for e in entries for c in e.claims if c.unprovable)
    return Run(_ordered(results), code, output, seed, impl, unprovable=unprovable,
               elapsed=time.monotonic() - started)


def grade(catalog: Catalog, path: Path, components: list[str], checks: list[str] = (),
          seed: int | None = None, progress: Progress | None = None, thorough: bool = False,
          reads: dict[str, set[str]] | None = None) -> Run:
    """Run the checks of `components` against the learner's file at `path`, with 20 Hypothesis
    examples a check (the bank's 40 when `thorough`). `reads` is `check_functions(catalog.root)`
    if already read."""
    reads = check_functions(catalog.root) if reads is None else reads
    nodes, needs_more = component_checks(catalog.root, components, reads)
    if not nodes:
        raise GradeError(f"no check grades {', '.join(components)} on its own yet")
    nodes = select(nodes, list(checks))
    seed = _seed(seed)
    started = time.monotonic()
    verdicts, code, output = run_checks(catalog.root, nodes, str(path), seed, progress,
                                        "fast" if thorough else "grade")
    citations = _citations(catalog.entries)
    results = [CheckResult(n, verdicts[n], headline(n, citations.get(n, []), reads[n]), len(citations.get(n, [])))
               for n in nodes]
    questions = {e.id for n in nodes for e, _ in citations.get(n, [])}
    not_graded = sum(1 for e in catalog.entries if e.id in questions
                     for c in [*e.claims, *e.errata] if c.check and c.kind in ("fact", "library"))
    own = {f"checks/test_{c}.py" for c in components}
    return Run(_ordered(results, own, reads), code, output, seed, str(path), path, list(components),
               needs_more if not checks else {}, not_graded, elapsed=time.monotonic() - started,
               examples=BANK_EXAMPLES if thorough else GRADE_EXAMPLES)


def _seed(seed: int | None) -> int:
    return seed if seed is not None else random.randrange(1, 10**6)


# -- a failure in words --------------------------------------------------------------------


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
    if verdict.compare:
        message = _without_closeness_detail(message)
    where = verdict.in_impl or verdict.where
    in_learner = bool(learner and where and where.rsplit(":", 1)[0] == str(learner))
    if not_implemented(verdict):
        function = enclosing_function(learner, int(where.rsplit(":", 1)[1])) if in_learner else None
        what = f"{function} is" if function else "something it calls is"
        at = f" at {_short_where(where)}" if where else ""
        return f"{what} not implemented yet (raises NotImplementedError{at})"
    if in_learner:
        function = enclosing_function(learner, int(where.rsplit(":", 1)[1]))
        return f"{message}\n(raised in {function or 'your code'} at {_short_where(where)})"
    return message


def not_implemented(verdict: Verdict) -> bool:
    return verdict.outcome == "failed" and verdict.message.startswith("NotImplementedError")


def _without_introspection(message: str) -> str:
    """Drop pytest's assertion introspection ("assert ...", "+ where ...") when the check
    gave its own message: the message says it in words, the introspection in reprs."""
    lines = message.splitlines()
    own_words = lines and lines[0].startswith("AssertionError: ") and not lines[0].startswith("AssertionError: assert ")
    if len(lines) > 1 and own_words:
        kept = [line for line in lines if not line.lstrip().startswith(("+", "assert "))]
        return "\n".join(kept).strip()
    return message


def _without_closeness_detail(message: str) -> str:
    """assert_close's 'Greatest absolute/relative difference' lines, when the comparison says
    it with the values: keep its first line, the mismatch count and the tolerance."""
    lines = [line for line in message.splitlines() if line.strip()]
    kept, allowed = [], ""
    for line in lines:
        if line.startswith("Greatest absolute difference"):
            found = re.search(r"\(up to (\S+) allowed\)", line)
            allowed = f"absolute tolerance {found.group(1)}" if found else ""
        elif line.startswith("Greatest relative difference"):
            found = re.search(r"\(up to (\S+) allowed\)", line)
            allowed += f", relative {found.group(1)}" if found and allowed else ""
        else:
            kept.append(line)
    if allowed and kept:
        kept[-1] += f" ({allowed})"
    return "\n".join(kept)


def _short_where(where: str) -> str:
    path, _, line = where.rpartition(":")
    return f"{Path(path).name}:{line}"
