"""The `--impl` plug-in: the same checks grade any implementation.

PyTorch's own modules (qbank.adapters.pytorch) must pass every check that reads the
implementation: a check that rejects them is a wrong check. Deliberately broken
implementations must fail exactly the checks their bug falsifies, with a readable message; a
file that does not import must be reported as file:line without a traceback; one that defines
no contract name, or misspells one, must stop the run loudly instead of passing with every
check skipped.

Each pytest session (tests/pytest_fork.py) still collects and runs its checks, so each runs
only the checks its assertions need, and one run serves every assertion about it
(module-scoped fixtures).
"""

import json
import os
from pathlib import Path

import pytest

from qbank.bank.checks import check_functions
from qbank.grading.impl import contract_problem, load_implementation, near_misses
from tests.proof_runs import run_library
from tests.pytest_fork import Run, run_reported

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_impls"
UNLOADABLE = ROOT / "tests" / "unloadable_impls"
A = "checks/test_attention.py::"


def run_checks(impl: str, *targets: str, tmp_path: Path) -> tuple[Run, dict]:
    report = tmp_path / "report.json"
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis")}
    proc = run_reported([*targets, "-q", "-p", "no:cacheprovider", "--impl", impl, "--qbank-report", str(report)],
                        report, env=env)
    checks = json.loads(report.read_text())["checks"] if report.exists() else {}
    return proc, checks


def outcomes(checks: dict, outcome: str) -> set[str]:
    return {node.split("::")[1] for node, entry in checks.items() if entry["outcome"] == outcome}


def first_reading(name: str) -> str:
    """A check that reads `name` from the implementation and nothing else."""
    return next(node for node, reads in check_functions(ROOT).items() if reads == {name})


def test_pytorch_own_implementation_passes_every_check_that_reads_the_implementation(tmp_path):
    # graded as a learner's file is, on every check that reads the implementation (tests/proof_runs.py)
    run = run_library("pytorch", tmp_path / "report.json")
    checks = run["checks"]
    assert run["returncode"] == 0, run["stdout"][-3000:]
    assert not outcomes(checks, "failed")
    assert len(outcomes(checks, "passed")) >= 20, "the adapter should exercise most checks"
    # the adapter leaves out only what PyTorch has no public module for, and only those skip
    import qbank.adapters.pytorch as adapter
    from qbank.contract import NAMES

    absent = [name for name in NAMES if not hasattr(adapter, name)]
    assert set(absent) == set(adapter.ABSENT), "qbank/adapters/pytorch.py's ABSENT must list exactly what it leaves out"
    for node, entry in checks.items():
        if entry["outcome"] == "skipped":
            assert any(f"'{name}'" in entry["message"] for name in absent), (node, entry)


MUST_FAIL = {"test_attention_matches_torch_scaled_dot_product_attention",
             "test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
             "checks/test_scaling.py::test_with_scaling_the_softmax_does_not_saturate_as_dk_grows"}
STILL_HOLD = {"test_each_row_of_weights_is_a_probability_distribution_over_the_keys",
              "test_output_is_a_convex_combination_of_the_value_rows"}


@pytest.fixture(scope="module")
def unscaled(tmp_path_factory):
    """Attention without the 1/sqrt(Dk): the checks its bug breaks, two it leaves true, and one
    check each of two components it does not define."""
    # sorted: a set's order changes from process to process, and a run is reused by its arguments
    nodes = [n if n.startswith("checks/") else A + n for n in sorted([*MUST_FAIL, *STILL_HOLD])]
    nodes += [first_reading("MultiHeadAttention"), first_reading("causal_mask")]
    return run_checks(str(BROKEN / "attention" / "unscaled.py"), *nodes, tmp_path=tmp_path_factory.mktemp("unscaled"))


def test_attention_without_scaling_fails_the_scaling_and_reference_checks(unscaled):
    proc, checks = unscaled
    assert proc.returncode == 1
    assert {n.split("::")[-1] for n in MUST_FAIL} <= outcomes(checks, "failed")
    assert STILL_HOLD <= outcomes(checks, "passed")  # properties that hold with or without the scaling
    message = checks["checks/test_scaling.py::test_with_scaling_the_softmax_does_not_saturate_as_dk_grows"]["message"]
    assert "scaled attention saturates" in message


def test_a_failure_in_the_report_names_its_inputs_and_compares_expected_with_got(unscaled):
    _, checks = unscaled
    entry = checks[A + "test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk"]
    assert [name for name, _ in entry["inputs"]] == ["q", "k", "v"]  # the qkv tuple, split
    assert entry["compare"]["summary"].startswith("largest difference at index (")
    assert entry["compare"]["expected"] and entry["compare"]["got"]
    # a failure on one of the check's own @example inputs needs no blob: every run tries them first
    assert entry.get("explicit") or entry["reproduce"].startswith("@reproduce_failure("), entry
    assert entry["where"].startswith(str(ROOT / "checks" / "test_attention.py"))


def test_checks_of_names_an_implementation_lacks_are_skipped_naming_the_name(unscaled):
    _, checks = unscaled
    skipped = {node: e["message"] for node, e in checks.items() if e["outcome"] == "skipped"}
    assert len(skipped) == 2, checks
    assert all("does not provide" in m for m in skipped.values()), skipped
    assert any("'MultiHeadAttention'" in m for m in skipped.values())
    assert any("'causal_mask'" in m for m in skipped.values())


def test_softmax_over_the_wrong_axis_fails_fast_with_a_readable_message(tmp_path):
    node = A + "test_each_row_of_weights_is_a_probability_distribution_over_the_keys"
    proc, checks = run_checks(str(BROKEN / "attention" / "softmax_over_queries.py"), node, tmp_path=tmp_path)
    assert proc.returncode == 1
    assert checks[node]["outcome"] == "failed"
    # hypothesis shows the smallest counterexample (its wording changed across versions), and the
    # comparison says what was expected and what the implementation gave
    assert any(f in proc.stdout for f in ("Failing test case", "Falsifying example", "Failing explicit example"))
    assert "Tensor-likes are not close" in proc.stdout
    assert "qbank: largest difference at index" in proc.stdout and "expected [" in proc.stdout
    # no explain phase, no patch file for `git apply` (and none of the libcst import it needs)
    assert "Explanation:" not in proc.stdout and "git apply" not in proc.stdout
    assert not (tmp_path / "hypothesis" / "patches").exists()


def test_an_implementation_that_does_not_import_stops_the_run_with_file_and_line(tmp_path):
    proc, _ = run_checks(str(UNLOADABLE / "raises_on_import.py"),
                         A + "test_output_is_a_convex_combination_of_the_value_rows", tmp_path=tmp_path)
    assert proc.returncode == 4
    output = proc.stdout + proc.stderr
    assert "raises_on_import.py:3" in output and "IndexError" in output, output[-2000:]
    assert "Traceback" not in output
    report = json.loads((tmp_path / "report.json").read_text())
    assert "raises_on_import.py:3: IndexError" in report["error"] and not report["checks"]


def test_a_syntax_error_is_reported_as_file_and_line_without_a_traceback():
    from qbank.grading.impl import ImplementationError

    with pytest.raises(ImplementationError) as caught:
        load_implementation(str(UNLOADABLE / "syntax_error.py"))
    assert "syntax_error.py:5: SyntaxError" in str(caught.value) and "Traceback" not in str(caught.value)


def test_an_implementation_that_misspells_a_contract_name_stops_the_run_naming_it(tmp_path):
    proc, _ = run_checks(str(UNLOADABLE / "misspelled_name.py"), first_reading("MultiHeadAttention"), tmp_path=tmp_path)
    assert proc.returncode == 4, proc.stdout[-2000:]
    assert "'MultiheadAttention' (did you mean 'MultiHeadAttention'?)" in proc.stdout + proc.stderr


def test_an_implementation_with_no_contract_name_or_a_near_miss_is_a_problem_and_a_right_one_is_not(tmp_path):
    (tmp_path / "nothing.py").write_text("def helper(x):\n    return x\n")
    assert "defines none of the contract's names" in contract_problem(load_implementation(str(tmp_path / "nothing.py")),
                                                                      "nothing.py")
    for spec in ("solutions", "qbank.adapters.pytorch", *map(str, sorted(BROKEN.rglob("*.py")))):
        assert contract_problem(load_implementation(spec), spec) is None, spec
    # a helper whose name is close to a contract name of another kind is no typo
    assert near_misses({"layer_norm": "function", "attention_weights": "function"}) == {}
    assert near_misses({"Layernorm": "class"}) == {"Layernorm": "LayerNorm"}


def test_a_learner_file_imports_its_own_helpers_and_gets_no_bytecode_beside_it(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "my_helpers_for_qbank_test.py").write_text("SCALE = 2\n")
    (folder / "mine.py").write_text("from my_helpers_for_qbank_test import SCALE\n\n\ndef causal_mask(T):\n"
                                    "    return SCALE * T\n")
    module = load_implementation(str(folder / "mine.py"))
    assert module.causal_mask(3) == 6
    assert sorted(p.name for p in folder.iterdir()) == ["mine.py", "my_helpers_for_qbank_test.py"]


def test_a_missing_implementation_is_a_clear_error(tmp_path):
    from qbank.grading.impl import ImplementationError

    with pytest.raises(ImplementationError, match="nowhere.py: no such file"):
        load_implementation(str(tmp_path / "nowhere.py"))
    with pytest.raises(ImplementationError, match="no module named 'no_such_module'"):
        load_implementation("no_such_module")


def test_a_failure_deep_in_torch_is_traced_back_to_the_line_of_the_learners_code(tmp_path):
    from checks.conftest import innermost_in

    mine = tmp_path / "mine.py"
    mine.write_text("import torch\n\n\ndef attention_weights(q, k, mask=None):\n"
                    "    return (q @ k).softmax(-1)  # forgot to transpose k\n")
    module = load_implementation(str(mine))
    import torch

    with pytest.raises(RuntimeError) as caught:
        module.attention_weights(torch.zeros(2, 3), torch.zeros(4, 3))
    assert innermost_in(caught.value, str(mine)) == f"{mine.resolve()}:5"
    assert innermost_in(caught.value, "qbank.adapters.pytorch") == ""  # a module name: no file of the learner's

    from qbank.grading.grade import explain
    from qbank.grading.verification import Verdict

    said = explain(Verdict("failed", message="RuntimeError: mat1 and mat2 shapes cannot be multiplied",
                           where="/site-packages/torch/x.py:1", in_impl=f"{mine.resolve()}:5"), mine.resolve())
    assert said.endswith("(raised in attention_weights at mine.py:5)")
