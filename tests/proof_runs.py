"""The proofs of the checks themselves: each check that grades code fails for some classic bug,
and passes with correct code written by others.

Three kinds of run, each a pytest session of its own (tests/pytest_fork.py: forked from a process
that imported torch once, derandomized, and reused while nothing it reads has changed):

- the kill matrix: every file under tests/broken_impls/ (one classic bug each) on the checks
  its MUST_FAIL names;
- the libraries: PyTorch's and Hugging Face's own code, through the adapters in qbank/adapters/,
  on every check that reads a contract name, graded as a learner's file is (`qbank grade`'s
  profile: each check's explicit examples, then 20 drawn ones);
- the code bases: tests/capability_impls/, learners' code written in GPT-2's and LLaMA's style,
  which declare what they lack (causal-only, one norm placement, no mask argument).

`make setup`'s main job runs them all (`python -m tests.proof_runs`) and writes
build/check-proofs.json: for each check, the bugs it fails for and the code it passes with,
which the site shows on the check's page. The tests assert on the same runs
(tests/test_broken_impls.py, test_impl_plugin.py, test_adapter_*.py, test_capabilities.py) and
read them back when nothing changed since the main job ran them.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

from checks.conftest import declared_must_fail
from qbank.bank.checks import check_functions
from tests.pytest_fork import fork_context, inputs_digest, run_reported

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_impls"
KILL_MATRIX = ROOT / "build" / "kill-matrix.json"
PROOFS = ROOT / "build" / "check-proofs.json"
PROFILE = ("--hypothesis-profile", "grade")


@dataclass(frozen=True)
class Library:
    label: str  # what the site calls it
    adapter: str  # the module graded (--impl)
    files: tuple[str, ...]  # the check files whose graded checks it runs on (all of them if empty)
    needs: str | None = None  # a package that must be installed (the `oracles` extra)


LIBRARIES = {
    "pytorch": Library("PyTorch's own modules", "qbank.adapters.pytorch", ()),
    "hf-llama": Library("Hugging Face transformers' LLaMA layers", "qbank.adapters.huggingface", (
        "checks/test_rms_norm.py",  # LlamaRMSNorm
        "checks/test_swiglu.py",  # LlamaMLP
        "checks/test_decoder_block.py",  # LlamaDecoderLayer
        "checks/test_accounting.py",  # LlamaDecoderLayer, counted on the meta device
    ), "transformers"),
    "hf-attention": Library("Hugging Face transformers' LLaMA attention and caches", "qbank.adapters.huggingface", (
        "checks/test_rope.py",  # LlamaRotaryEmbedding, apply_rotary_pos_emb, GPT-J's interleaved rotation
        "checks/test_gqa.py",  # LlamaAttention with num_key_value_heads < num_attention_heads, SDPA's grouping
        "checks/test_kv_cache.py",  # DynamicCache, causal_mask_function
        "checks/test_sliding_window.py",  # DynamicSlidingWindowLayer, sliding_window_causal_mask_function
    ), "transformers"),
    "hf-generation": Library("Hugging Face transformers' generation and loss", "qbank.adapters.hf_generation", (
        "checks/test_cross_entropy.py", "checks/test_sampling.py", "checks/test_beam_search.py",
        "checks/test_speculative.py"), "transformers"),
    "hf-schedules": Library("Hugging Face transformers' learning-rate schedules", "qbank.adapters.hf_schedules",
                            ("checks/test_lr_schedule.py",), "transformers"),
    "hf-tokenizers": Library("Hugging Face tokenizers' BPE", "qbank.adapters.hf_tokenizers", ("checks/test_bpe.py",),
                             "tokenizers"),
}


@dataclass(frozen=True)
class CodeBase:
    label: str
    impl: str  # a file under tests/capability_impls/
    files: tuple[str, ...]  # the check files it is graded on, whole


CODE_BASES = {
    "gpt2-style": CodeBase("a GPT-2-style code base (fused QKV, causal-only, pre-norm only)",
                           "tests/capability_impls/gpt2_style.py",
                           ("checks/test_multi_head.py", "checks/test_masking.py", "checks/test_encoder_layer.py")),
    "llama-style": CodeBase("a LLaMA-style code base (causal-only grouped-query attention, no mask argument)",
                            "tests/capability_impls/llama_style.py",
                            ("checks/test_gqa.py", "checks/test_kv_cache.py", "checks/test_sliding_window.py")),
}


def requires(module: str) -> pytest.MarkDecorator:
    """Skip a test file when `module` is not installed, without importing it while collecting
    (transformers takes ~1.3 s to import, in every pytest-xdist worker that collects the file)."""
    return pytest.mark.skipif(find_spec(module) is None,
                              reason=f"{module} is not installed: it is in the `oracles` extra (make setup)")


def graded_nodes(*files: str) -> list[str]:
    """The checks in `files` (all check files if none) that call a contract name on `impl`."""
    return [node for node, reads in check_functions(ROOT).items()
            if reads and (not files or node.split("::")[0] in files)]


def _verdicts(report: Path, run) -> dict:
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return {"returncode": run.returncode, "stdout": run.stdout,
            "checks": json.loads(report.read_text(encoding="utf-8"))["checks"]}


def run_kill_matrix(report: Path = KILL_MATRIX) -> dict:
    """{'returncode', 'stdout', 'checks': 'checks/test_x.py::test_y @ tests/broken_impls/c/bug.py' -> verdict}"""
    run = run_reported(["checks", "-q", "-p", "no:cacheprovider", "--impl-each", str(BROKEN),
                        "--hypothesis-profile", "kill", "--tb=no", "--qbank-report", str(report)], report)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    return _verdicts(report, run)


def run_library(name: str, report: Path, timeout: int = 900) -> dict:
    """The graded checks of LIBRARIES[name]'s files against its adapter: {'returncode', 'stdout', 'checks'}."""
    library = LIBRARIES[name]
    nodes = graded_nodes(*library.files)
    assert nodes, f"no check in {library.files} reads the implementation"
    run = run_reported([*nodes, "-q", "-p", "no:cacheprovider", *PROFILE, "--impl", library.adapter,
                        "--qbank-report", str(report)], report, timeout=timeout)
    return _verdicts(report, run)


def run_code_base(name: str, report: Path) -> dict:
    """CODE_BASES[name] on its check files, whole: {'returncode', 'stdout', 'checks'}."""
    base = CODE_BASES[name]
    run = run_reported([*base.files, "-q", "-p", "no:cacheprovider", *PROFILE, "--impl", base.impl,
                        "--qbank-report", str(report)], report)
    return _verdicts(report, run)


def must_fail(path: Path) -> set[str]:
    """A broken implementation's MUST_FAIL: the checks its bug must fail (none if it has none)."""
    return set(declared_must_fail(path.resolve()) or ())


def bug_of(path: Path) -> str:
    """A broken implementation's bug in one sentence: the first of its docstring."""
    doc = " ".join((ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").split())
    end = doc.find(". ")
    return doc[:end + 1] if end >= 0 else doc


def summarize(kill: dict, libraries: dict[str, dict], code_bases: dict[str, dict]) -> dict:
    """build/check-proofs.json from the runs' verdicts: for each check, 'fails_for' (the broken
    implementations it fails) and 'passes_with' (the libraries and code bases it passes with);
    'sources' says what each of those is; 'problems' lists every verdict that contradicts a proof
    (a check passing a bug its file says it must fail, or failing a library)."""
    checks: dict[str, dict] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []

    def entry(node: str) -> dict:
        return checks.setdefault(node, {"fails_for": [], "passes_with": []})

    for key, verdict in kill["checks"].items():
        node, where = key.split(" @ ")
        if verdict["outcome"] == "failed":
            entry(node)["fails_for"].append(where)
            sources.setdefault(where, bug_of(ROOT / where))
        elif node in must_fail(ROOT / where):
            problems.append(f"{node} {verdict['outcome']} for {where}, whose bug it must fail")
    for kind, runs, labels in (("library", libraries, LIBRARIES), ("code base", code_bases, CODE_BASES)):
        for name, run in runs.items():
            sources[name] = labels[name].label
            for node, verdict in run["checks"].items():
                if verdict["outcome"] == "passed":
                    entry(node)["passes_with"].append(name)
                elif verdict["outcome"] == "failed":
                    problems.append(f"{node} failed for the {kind} {name}: {verdict['message'][:200]}")
    for node in checks.values():
        node["fails_for"].sort()
    return {"generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "checks": dict(sorted(checks.items())),
            "sources": dict(sorted(sources.items())), "problems": problems}


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else PROOFS
    tmp = ROOT / "build" / "proofs"
    tmp.mkdir(parents=True, exist_ok=True)
    libraries = [n for n, lib in LIBRARIES.items() if lib.needs is None or find_spec(lib.needs)]
    jobs = {"kill matrix": lambda: run_kill_matrix(),
            **{n: (lambda n=n: run_library(n, tmp / f"{n}.json")) for n in libraries},
            **{n: (lambda n=n: run_code_base(n, tmp / f"{n}.json")) for n in CODE_BASES}}
    fork_context()  # set up once, before the threads share it
    inputs_digest()
    start = time.perf_counter()

    def timed(name: str):
        began = time.perf_counter()
        result = jobs[name]()
        print(f"  {name}: {len(result['checks'])} verdicts in {time.perf_counter() - began:.0f} s", flush=True)
        return result

    with ThreadPoolExecutor(2) as pool:  # the kill matrix first: it is the longest
        results = dict(zip(jobs, pool.map(timed, jobs)))
    summary = summarize(results.pop("kill matrix"), {n: results[n] for n in libraries},
                        {n: results[n] for n in CODE_BASES})
    summary["inputs"] = inputs_digest()  # what the runs read: the site warns when that has changed since
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    caught = sum(bool(c["fails_for"]) for c in summary["checks"].values())
    print(f"proofs of the checks: {caught} checks fail for a classic bug, {len(libraries)} libraries and "
          f"{len(CODE_BASES)} code bases graded, in {time.perf_counter() - start:.0f} s -> {out.relative_to(ROOT)}")
    for problem in summary["problems"]:
        print(f"  PROBLEM {problem}", file=sys.stderr)
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
