"""`qbank verify`, `qbank practice` + `qbank grade`: the bank's checks, run in a pytest
subprocess, reported claim by claim in words. These run real checks (torch is imported by
the subprocess), so each runs few of them."""

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qbank.bank.catalog import Claim, Entry
from qbank.cli.main import app
from qbank.bank.checks import check_functions
from qbank.grading.grade import (LearnerFileError, Verdict, word, claim_verdicts, component_checks,
                           components_of, explain)

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_impls"
UNLOADABLE = ROOT / "tests" / "unloadable_impls"


def run(*args):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


# -- which checks grade what (no subprocess) -----------------------------------------------


def test_a_check_belongs_to_the_components_whose_names_it_reads_directly_or_through_helpers(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture
        def mha(impl):
            return impl.MultiHeadAttention(4, 2)
    """))
    (checks / "test_demo.py").write_text(textwrap.dedent("""
        def _weights(impl, q):
            return impl.attention_weights(q, q)

        def _twice(impl, q):
            return _weights(impl, q), _weights(impl, q)

        def test_direct(impl):
            impl.scaled_dot_product_attention(1, 2, 3)

        def test_through_helpers(impl):
            _twice(impl, 1)

        def test_through_a_fixture(mha):
            mha(1, 1, 1)

        def test_needs_two_components(impl):
            impl.attention_weights(1, 1, impl.causal_mask(3))

        def test_a_fact_of_mathematics():
            assert 1 + 1 == 2
    """))
    reads = {node.split("::")[1]: names for node, names in check_functions(tmp_path).items()}
    assert reads == {"test_direct": {"scaled_dot_product_attention"}, "test_through_helpers": {"attention_weights"},
                     "test_through_a_fixture": {"MultiHeadAttention"},
                     "test_needs_two_components": {"attention_weights", "causal_mask"},
                     "test_a_fact_of_mathematics": set()}
    graded, left_out = component_checks(tmp_path, ["attention"])
    assert [n.split("::")[1] for n in graded] == ["test_direct", "test_through_helpers"]
    assert left_out == {"checks/test_demo.py::test_needs_two_components": {"masking"}}
    graded, left_out = component_checks(tmp_path, ["attention", "masking"])
    assert len(graded) == 3 and not left_out


def test_the_component_of_a_file_is_read_from_its_definitions_without_importing_it(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("import torch_that_does_not_exist\n\ndef causal_mask(T):\n    ...\n\n"
                    "class MultiHeadAttention:\n    pass\n")
    assert components_of(mine) == ["masking", "multi_head"]
    with pytest.raises(LearnerFileError, match=r"syntax_error.py:5: SyntaxError"):
        components_of(UNLOADABLE / "syntax_error.py")


def test_verdicts_map_back_to_claims_and_errata():
    entry = Entry("q", "attention", "easy", ("t",), "Q?", "S", "D",
                  (Claim("It holds.", check="checks/test_a.py::test_a"), Claim("Opinion.", unprovable="taste")))
    verdicts = {"checks/test_a.py::test_a": Verdict("failed", message="AssertionError: no")}
    [c] = claim_verdicts([entry], verdicts)
    assert (c.question, c.claim, word(c.verdict)) == ("q", "It holds.", "fails")


def test_failure_messages_are_put_in_words():
    assert "not implemented yet" in explain(Verdict("failed", message="NotImplementedError", where="x.py:3"))
    skipped = Verdict("skipped", message="mine.py does not provide 'causal_mask' (contract component 'masking')")
    assert explain(skipped) == "needs causal_mask (component masking), which this implementation does not define"
    noisy = Verdict("failed", message="AssertionError: a fully masked row produced NaN\nassert not tensor(True)\n"
                              " +  where tensor(True) = <built-in method any>()")
    assert explain(noisy) == "AssertionError: a fully masked row produced NaN"


# -- errors before any check runs ----------------------------------------------------------


def test_grading_a_file_with_a_syntax_error_names_the_file_and_line(in_root):
    result = run("grade", str(UNLOADABLE / "syntax_error.py"))
    assert result.exit_code == 2
    assert "syntax_error.py:5: SyntaxError" in result.stderr and "Traceback" not in result.output


def test_grading_a_missing_file_or_one_without_contract_names_is_an_error(in_root, tmp_path):
    missing = run("grade", str(tmp_path / "nowhere.py"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    (tmp_path / "empty.py").write_text("x = 1\n")
    empty = run("grade", str(tmp_path / "empty.py"))
    assert empty.exit_code == 2 and "defines none of the contract's names" in empty.stderr


def test_verify_an_unknown_id_or_topic_is_an_error(in_root):
    result = run("verify", "no-such-question")
    assert result.exit_code == 2 and "unknown question id 'no-such-question'" in result.stderr
    result = run("verify", "--topic", "nope")
    assert result.exit_code == 2 and "unknown topic 'nope'" in result.stderr


# -- real runs (a pytest subprocess each) --------------------------------------------------


def test_a_learner_file_that_fails_on_import_is_reported_as_file_and_line(in_root, tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("import torch\n\nWIDTH = torch.zeros(3)[5]\n\n\ndef attention_weights(q, k, mask=None):\n"
                    "    return q\n")
    result = run("grade", str(mine))
    assert result.exit_code == 2
    assert "mine.py:3: IndexError" in result.stderr and "Traceback" not in result.output


def test_practice_then_grade_the_untouched_starter_fails_with_readable_messages(in_root, tmp_path):
    starter = tmp_path / "attention.py"
    assert run("practice", "attention", "-o", str(starter)).exit_code == 0
    result = run("grade", str(starter))
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())  # as read, whatever the line breaks
    assert "attention_weights is not implemented yet (raises NotImplementedError at attention.py:" in out
    assert "scaled_dot_product_attention is not implemented yet" in out
    assert "✓ holds" not in out and "0 of " in out and "Traceback" not in result.output
    assert "✗ fails" in out and "Each row of the weights is a probability distribution" in out


def test_grade_on_a_copy_of_the_reference_solution_passes(in_root, tmp_path):
    mine = tmp_path / "my_attention.py"
    shutil.copy(ROOT / "solutions" / "attention.py", mine)
    result = run("grade", str(mine))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "✗ fails" not in out and "0 fail, 0 skipped" in out
    assert "✓ holds" in out and "Each row of the weights is a probability distribution" in out


def test_verify_says_which_claims_hold_with_the_smallest_failing_example_of_each_that_fails(in_root):
    # the bank's checks against a plausible mistake (softmax over the queries): one run shows
    # both verdicts in words, the assertion message and Hypothesis's smallest failing input
    wrong = BROKEN / "attention" / "softmax_over_queries.py"
    result = run("verify", "scaled-dot-product-attention", "--impl", str(wrong))
    assert result.exit_code == 1, result.output
    out = result.stdout
    flat = " ".join(out.split())
    assert "✓ holds Reordering the keys together with their values leaves the output unchanged." in flat
    assert "✗ fails Each row of the weights is a probability distribution over the keys." in flat
    assert "AssertionError: Tensor-likes are not close!" in out
    assert "smallest failing example:" in out and "qkv=" in out
    assert "Failing test case" not in out and "impl=<implementation" not in out  # the example, cleaned
    assert "Traceback" not in result.output
    assert re.search(r"\d+ of 9 claims hold, [1-9] fail", flat)
