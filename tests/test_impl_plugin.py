"""The `--impl` plug-in: the same checks grade any implementation.

PyTorch's own modules (qbank.adapters.pytorch) must pass every check: a check that rejects
them is a wrong check. Deliberately broken implementations must fail exactly the checks
their bug falsifies, with a readable message, and a file that does not import must be
reported as file:line without a traceback.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_impls"
UNLOADABLE = ROOT / "tests" / "unloadable_impls"


def run_checks(impl: str, *targets: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *(targets or ["checks"]), "-q", "-p", "no:cacheprovider",
         "--impl", impl, "--qbank-report", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    checks = json.loads(report.read_text())["checks"] if report.exists() else {}
    return proc, checks


def outcomes(checks: dict, outcome: str) -> set[str]:
    return {node.split("::")[1] for node, entry in checks.items() if entry["outcome"] == outcome}


def test_pytorch_own_implementation_passes_every_check(tmp_path):
    proc, checks = run_checks("qbank.adapters.pytorch", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not outcomes(checks, "failed")
    assert len(outcomes(checks, "passed")) >= 20, "the adapter should exercise most checks"
    # the adapter leaves out only what PyTorch has no public module for, and only those skip
    import qbank.adapters.pytorch as adapter
    from qbank.contract import NAMES

    absent = [name for name in NAMES if not hasattr(adapter, name)]
    assert set(absent) <= {"split_heads", "merge_heads", "sinusoidal_positions",
                           # no SwiGLU, LLaMA width rule or LLaMA block in PyTorch: tests/test_adapter_huggingface.py
                           "SwiGLU", "swiglu_hidden_width", "DecoderBlock",
                           # no RoPE, GQA module, KV cache or tiled softmax in PyTorch (it has SDPA with
                           # enable_gqa, causal_lower_right, softmax, logsumexp): tests/test_adapter_huggingface_attention.py
                           "rope_frequencies", "apply_rope", "apply_rope_interleaved", "interleaved_to_halves",
                           "GroupedQueryAttention", "KVCache", "RollingKVCache", "sliding_window_mask", "decode_step",
                           "attention_block", "merge_blocks", "tiled_attention"}, absent
    for node, entry in checks.items():
        if entry["outcome"] == "skipped":
            assert any(f"'{name}'" in entry["message"] for name in absent), (node, entry)


def test_attention_without_scaling_fails_the_scaling_and_reference_checks(tmp_path):
    proc, checks = run_checks(str(BROKEN / "attention" / "unscaled.py"), "checks/test_attention.py",
                              "checks/test_scaling.py", tmp_path=tmp_path)
    assert proc.returncode == 1
    failed = outcomes(checks, "failed")
    assert {"test_attention_matches_torch_scaled_dot_product_attention",
            "test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
            "test_with_scaling_the_softmax_does_not_saturate_as_dk_grows"} <= failed
    # properties that hold with or without the scaling still pass
    assert {"test_each_row_of_weights_is_a_probability_distribution_over_the_keys",
            "test_output_is_a_convex_combination_of_the_value_rows"} <= outcomes(checks, "passed")
    message = checks["checks/test_scaling.py::test_with_scaling_the_softmax_does_not_saturate_as_dk_grows"]["message"]
    assert "scaled attention saturates" in message


def test_softmax_over_the_wrong_axis_fails_the_distribution_check_with_a_readable_message(tmp_path):
    proc, checks = run_checks(str(BROKEN / "attention" / "softmax_over_queries.py"), "checks/test_attention.py",
                              tmp_path=tmp_path)
    assert proc.returncode == 1
    assert "test_each_row_of_weights_is_a_probability_distribution_over_the_keys" in outcomes(checks, "failed")
    # hypothesis shows the smallest counterexample (its wording changed across versions)
    assert "Failing test case" in proc.stdout or "Falsifying example" in proc.stdout
    assert "Tensor-likes are not close" in proc.stdout or "Mismatched elements" in proc.stdout


def test_checks_of_names_an_implementation_lacks_are_skipped_naming_the_name(tmp_path):
    proc, checks = run_checks(str(BROKEN / "attention" / "unscaled.py"), "checks", tmp_path=tmp_path)
    skipped = {node: e["message"] for node, e in checks.items() if e["outcome"] == "skipped"}
    assert skipped, "checks of other components should be skipped"
    assert all("does not provide" in m for m in skipped.values()), skipped
    assert any("'MultiHeadAttention'" in m for m in skipped.values())


@pytest.mark.parametrize("name, where, error", [
    ("syntax_error.py", "syntax_error.py:5", "SyntaxError"),
    ("raises_on_import.py", "raises_on_import.py:3", "IndexError"),
])
def test_an_implementation_that_does_not_import_is_reported_as_file_and_line(tmp_path, name, where, error):
    proc, _ = run_checks(str(UNLOADABLE / name), "checks/test_attention.py", tmp_path=tmp_path)
    assert proc.returncode == 4
    output = proc.stdout + proc.stderr
    assert where in output and error in output, output[-2000:]
    assert "Traceback" not in output


def test_a_missing_implementation_is_a_clear_error(tmp_path):
    proc, _ = run_checks(str(tmp_path / "nowhere.py"), "checks/test_attention.py", tmp_path=tmp_path)
    assert proc.returncode == 4
    assert "no such file" in proc.stdout + proc.stderr
