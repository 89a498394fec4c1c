"""`qbank verify`, `qbank practice` + `qbank grade`: the bank's checks, run in a pytest
subprocess, reported one line per check, failures first, in words.

Most of these run no check (the report is built from a made-up run). The few that do run
real checks (each pytest subprocess costs ~3 s of torch import) run only the checks their
assertions need (`--check`), and share one run between all the assertions about it
(module-scoped fixtures)."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qbank.bank.catalog import Claim, Entry, Erratum
from qbank.bank.checks import check_functions
from qbank.cli.main import app
from qbank.contract import COMPONENTS
from qbank.grading.grade import (CheckResult, Cited, GradeError, LearnerFileError, Run, _follow, component_checks,
                                 components_of, explain, headline, misspelled, resolve_component, select)
from qbank.grading.verification import Verdict

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken_impls"
UNLOADABLE = ROOT / "tests" / "unloadable_impls"


def run(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def flat(text: str) -> str:
    return " ".join(text.split())


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
    assert select(graded, ["through_helpers"]) == ["checks/test_demo.py::test_through_helpers"]
    assert select(graded, ["checks/test_demo.py"]) == graded
    with pytest.raises(GradeError, match="did you mean test_direct"):
        select(graded, ["test_direkt"])


def test_the_component_of_a_file_is_read_from_its_definitions_without_importing_it(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("import torch_that_does_not_exist\n\ndef causal_mask(T):\n    ...\n\n"
                    "class MultiHeadAttention:\n    pass\n\nclass MultiheadAttention:\n    pass\n\n"
                    "def layer_norm(x):\n    ...\n")
    assert components_of(mine) == ["masking", "multi_head"]
    assert misspelled(mine) == {}  # MultiHeadAttention is there; a function is no typo of a class
    (tmp_path / "typo.py").write_text("class MultiheadAttention:\n    pass\n\ndef split_head(x):\n    ...\n")
    assert misspelled(tmp_path / "typo.py") == {"MultiheadAttention": "MultiHeadAttention", "split_head": "split_heads"}
    with pytest.raises(LearnerFileError, match=r"syntax_error.py:5: SyntaxError"):
        components_of(UNLOADABLE / "syntax_error.py")
    # names imported from an earlier file serve the checks that need them, but are not graded again
    (tmp_path / "gqa.py").write_text("from attention import scaled_dot_product_attention\n"
                                     "from multi_head import merge_heads, split_heads\n\n"
                                     "def grouped_query_attention(q, k, v):\n    ...\n")
    assert components_of(tmp_path / "gqa.py") == ["gqa"]
    (tmp_path / "reexport.py").write_text("from mylib import causal_mask, padding_mask\n")
    assert components_of(tmp_path / "reexport.py") == ["masking"]  # a file that only imports: what it imports


def test_component_names_take_dashes_or_underscores_and_a_misspelling_gets_a_suggestion():
    assert resolve_component("multi-head") == resolve_component("Multi_Head") == "multi_head"
    assert resolve_component("feed-forward") == "feed_forward"
    with pytest.raises(GradeError, match="unknown component 'atention'.*did you mean attention"):
        resolve_component("atention")


def test_no_claim_that_grades_your_code_calls_your_file_the_reference():
    """Finding 17: a graded claim that reads "The reference ... equals PyTorch's ..." must read as being
    about the learner's file, not the bank's solution."""
    from qbank.bank.catalog import load_catalog
    from qbank.cli.report import _as_yours

    graded = [(e.id, c.claim) for e in load_catalog(ROOT).entries for c in e.claims if c.kind == "component"]
    graded += [(e.id, x.correct) for e in load_catalog(ROOT).entries for x in e.errata if x.kind == "component"]
    assert len(graded) > 100
    left = [(qid, s) for qid, s in graded if re.search(r"\b[Tt]he reference\b", _as_yours(s, "Your attention.py"))]
    assert not left, f"graded claims that still say 'the reference' to a learner: {left}"


def test_the_most_direct_claim_heads_a_check_and_the_count_of_the_others_is_kept():
    node = "checks/test_attention.py::test_x"
    side = Entry("side", "scaling", "easy", (), "Q?", "S", "D",
                 (Claim("A side remark.", check=node, kind="component"),))
    own = Entry("own", "attention", "easy", (), "Q?", "S", "D",
                (Claim("Attention equals SDPA.", check=node, kind="component"),),
                errata=(Erratum("000-1", "wrong", "Right.", check=node, kind="component"),),
                solution=("solutions.attention:scaled_dot_product_attention",))
    from qbank.grading.grade import _citations

    cited = _citations([side, own])[node]
    assert len(cited) == 3
    assert headline(node, cited, {"scaled_dot_product_attention"}).sentence == "Attention equals SDPA."
    assert headline(node, [], {"attention_weights"}) == Cited("", "X.", "component")


def test_failures_come_first_own_check_file_and_earliest_contract_name_first():
    from qbank.grading.grade import _ordered

    def result(node, outcome):
        return CheckResult(node, Verdict(outcome), Cited("q", node, "component"))

    results = [result("checks/test_other.py::test_o", "failed"), result("checks/test_attention.py::test_p", "passed"),
               result("checks/test_attention.py::test_sdpa", "failed"),
               result("checks/test_attention.py::test_weights", "failed")]
    reads = {"checks/test_other.py::test_o": {"attention_weights"},
             "checks/test_attention.py::test_sdpa": {"scaled_dot_product_attention"},
             "checks/test_attention.py::test_weights": {"attention_weights"}}
    ordered = _ordered(results, {"checks/test_attention.py"}, reads)
    assert [r.node.split("::")[1] for r in ordered] == ["test_weights", "test_sdpa", "test_o", "test_p"]


def test_failure_messages_are_put_in_words():
    assert "not implemented yet" in explain(Verdict("failed", message="NotImplementedError", where="x.py:3"))
    skipped = Verdict("skipped", message="mine.py does not provide 'causal_mask' (contract component 'masking')")
    assert explain(skipped) == "needs causal_mask (component masking), which this implementation does not define"
    noisy = Verdict("failed", message="AssertionError: a fully masked row produced NaN\nassert not tensor(True)\n"
                              " +  where tensor(True) = <built-in method any>()")
    assert explain(noisy) == "AssertionError: a fully masked row produced NaN"
    close = Verdict("failed", message="AssertionError: Tensor-likes are not close!\n\nMismatched elements: 2 / 2 "
                                      "(100.0%)\nGreatest absolute difference: 1.0 at index (1, 0) "
                                      "(up to 1e-07 allowed)\nGreatest relative difference: 1.0 at index (0, 0) "
                                      "(up to 1e-07 allowed)",
                    compare={"summary": "largest difference at index (1, 0): got 0, expected 1"})
    assert explain(close) == ("AssertionError: Tensor-likes are not close!\nMismatched elements: 2 / 2 (100.0%) "
                              "(absolute tolerance 1e-07, relative 1e-07)")


# -- what a failure shows (the pieces the checks' process computes; no subprocess) -----------


def test_every_input_of_a_failing_example_is_named_including_labelled_draws():
    from qbank.grading.failure import failure_details

    error = AssertionError("Tensor-likes are not close!")
    error.add_note("Failing test case: test_masked(\n    impl=<implementation /tmp/mine.py>,\n"
                   "    qkv=(tensor([[1., 0.]], dtype=torch.float64), tensor([[0., 1.]], dtype=torch.float64),\n"
                   "         from_numpy(array([[0.5]]))),\n    data=data(...),\n)")
    error.add_note("Draw 1 (mask): tensor([[ True, False]])")
    error.add_note("Draw 2: 3")
    error.add_note("You can reproduce this test case by temporarily adding @reproduce_failure('6.1', b'AXic') as "
                   "a decorator on your test function")
    details = failure_details(error)
    assert details["inputs"] == [["q", "[[1, 0]]  (float64, shape [1, 2])"],
                                 ["k", "[[0, 1]]  (float64, shape [1, 2])"],
                                 ["v", "[[0.5]]  (float64, shape [1, 1])"],
                                 ["mask", "[[True, False]]  (bool, shape [1, 2])"],
                                 ["draw 2", "3"]]
    assert details["reproduce"] == "@reproduce_failure('6.1', b'AXic')"
    group = ExceptionGroup("two failures", [error, ValueError("other")])
    assert failure_details(group)["others"] == 1 and failure_details(group)["inputs"][0][0] == "q"


def test_a_failed_comparison_gives_expected_and_got_and_where_they_differ_most():
    import torch

    from qbank.grading.failure import comparison

    got = torch.tensor([[0.25, 0.75], [0.5, 0.5]], dtype=torch.float64)
    want = torch.tensor([[0.25, 0.75], [0.9, 0.1]], dtype=torch.float64)
    found = comparison(got, want)
    assert found["summary"] == "largest difference at index (1, 0): got 0.5, expected 0.9 (difference 0.4)"
    assert found["got"] == "[[0.25, 0.75], [0.5, 0.5]]  (float64, shape [2, 2])"
    assert comparison(torch.tensor([float("nan")]), torch.tensor([1.0]))["summary"] == \
        "largest difference at index (0,): got nan, expected 1"
    assert comparison(torch.zeros(2, 3), torch.zeros(3, 2))["summary"] == "got shape [2, 3], expected [3, 2]"
    assert comparison(torch.zeros(2), torch.zeros(2, dtype=torch.float64))["summary"] == \
        "got dtype float32, expected float64"
    big = comparison(torch.zeros(100), torch.ones(100))
    assert "got" not in big and big["summary"].startswith("largest difference at index (0,)")


def test_the_checks_assert_close_carries_the_comparison_and_the_default_profile_skips_explain():
    import torch
    from hypothesis import Phase, settings

    import checks.conftest  # registers the profiles

    checks.conftest.install_torch_hooks()  # wraps torch.testing.assert_close (as pytest_configure does)

    with pytest.raises(AssertionError) as caught:
        torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    assert caught.value._qbank_comparison["summary"].endswith("got 2, expected 3 (difference 1)")
    assert any("got      [1, 2]" in note for note in caught.value.__notes__)
    assert Phase.explain not in settings.get_profile("fast").phases
    assert Phase.explain not in settings.get_profile("grade").phases
    assert Phase.explain in settings.get_profile("thorough").phases
    assert settings.get_profile("grade").max_examples == 20 < settings.get_profile("fast").max_examples == 40


# -- the report (a made-up run; no subprocess) -------------------------------------------------


def _made_up_run(learner: Path) -> Run:
    def result(name, verdict, sentence, kind="component"):
        return CheckResult(f"checks/test_attention.py::{name}", verdict, Cited("q", sentence, kind))

    unimplemented = Verdict("failed", message="NotImplementedError", where=f"{learner}:3")
    wrong = Verdict("failed", message="AssertionError: Tensor-likes are not close!",
                    inputs=(("q", "[[1, 0]]  (float64, shape [1, 2])"),
                            ("mask", "[[True, False]]  (bool, shape [1, 2])")),
                    compare={"summary": "largest difference at index (0, 0): got 1, expected 0.5 (difference 0.5)",
                             "got": "[[1]]", "expected": "[[0.5]]"},
                    reproduce="@reproduce_failure('6.1', b'AX')", where="/bank/checks/test_attention.py:9")
    long_claim = "The reference implementation equals PyTorch's scaled_dot_product_attention " + "and more " * 12
    return Run([result("test_masked", wrong, long_claim.strip() + "."),
                result("test_a", unimplemented, "Rows sum to one."),
                result("test_b", unimplemented, "Outputs average the values."),
                result("test_c", Verdict("passed"), "The weights are [T, S]."),
                result("test_d", Verdict("skipped", message="x does not provide 'causal_mask' (contract component "
                                                            "'masking')"), "Causal rows.")],
               seed=42, impl=str(learner), learner=learner, components=["attention"], not_graded=3)


def test_the_grade_report_puts_failures_first_one_line_per_check_and_lists_them_again_at_the_end(tmp_path):
    from rich.console import Console

    from qbank.cli.report import claim_report

    learner = tmp_path / "attention.py"
    learner.write_text("def attention_weights(q, k, mask=None):\n    # todo\n    raise NotImplementedError\n")
    console = Console(file=(out := __import__("io").StringIO()), width=80, force_terminal=False)
    claim_report(console, _made_up_run(learner), learner=learner, rerun=["qbank", "grade", "attention.py"])
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0].startswith("✗ fails   Your attention.py equals PyTorch's") and len(lines[0]) > 80  # never wrapped
    assert "the reference implementation" not in text.lower()
    assert "input     q = [[1, 0]]" in text and "          mask = [[True, False]]" in text
    assert "expected  [[0.5]]" in text and "got       [[1]]" in text
    assert "largest difference at index (0, 0): got 1, expected 0.5" in text
    assert "re-run    qbank grade attention.py --check test_masked" in text
    assert "@reproduce_failure('6.1', b'AX')" in text
    # the two unimplemented checks share one reason, said once
    assert text.count("not implemented yet") == 1
    assert "2 checks fail because attention_weights is not implemented yet (raises NotImplementedError at " \
           "attention.py:3):" in text
    assert text.index("✗ fails   Outputs average") < text.index("✓ holds   The weights are [T, S].") \
        < text.index("- skipped Causal rows.")
    assert "needs causal_mask (component masking), which your attention.py does not define" in text
    closing = text[text.index("5 checks grade your attention.py: 1 hold, 3 fail, 1 skipped."):]
    assert "(40 Hypothesis examples a check, seed 42," in closing and "kind component" in closing
    assert [line.split("(")[-1] for line in closing.splitlines() if line.startswith("  ✗")] == \
        ["test_masked)", "test_a)", "test_b)"]
    assert "3 other claims of these questions are facts" in closing


def test_failed_only_and_quiet_leave_out_what_holds_or_everything_but_the_closing_lines(tmp_path):
    from rich.console import Console

    from qbank.cli.report import claim_report

    learner = tmp_path / "attention.py"
    learner.write_text("x = 1\n")
    for options, present, absent in [({"failed_only": True}, ["✗ fails", "- skipped"], ["✓ holds"]),
                                     ({"quiet": True}, ["5 checks grade", "  ✗ "],
                                      ["✓ holds", "✗ fails", "input"])]:
        console = Console(file=(out := __import__("io").StringIO()), width=100)
        claim_report(console, _made_up_run(learner), learner=learner, **options)
        assert all(p in out.getvalue() for p in present) and not any(a in out.getvalue() for a in absent), options


def test_progress_is_read_from_the_checks_process_as_each_check_finishes(tmp_path):
    ticks = tmp_path / "progress.txt"
    ticks.write_text("")
    script = (f"import time\nf = open({str(ticks)!r}, 'a', buffering=1)\nf.write('checks 3\\n')\n"
              "for w in ('passed a', 'failed b', 'passed c'):\n    time.sleep(0.05)\n    f.write(w + '\\n')\n")
    seen = []
    _follow(subprocess.Popen([sys.executable, "-c", script]), ticks, lambda *a: seen.append(a))
    assert seen[-1] == (3, 3, 1) and (1, 3, 0) in seen


# -- practice and the README -----------------------------------------------------------------


def test_practice_lists_every_component_on_whole_lines_and_takes_dashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = run("practice")
    lines = [line for line in listing.stdout.splitlines() if line.strip()]
    for c in COMPONENTS.values():  # one line each, never wrapped, even past 80 columns
        [line] = [line for line in lines if line.startswith(c.name + " ")]
        assert line.endswith(", ".join(n.name for n in c.names))
    result = run("practice", "multi-head")
    assert result.exit_code == 0 and (tmp_path / "multi_head.py").is_file()
    wrong = run("practice", "multihead-atention")
    assert wrong.exit_code == 2 and "did you mean multi_head?" in wrong.stderr


def test_the_readme_lists_every_component_of_the_contract():
    spec = __import__("importlib.util").util.spec_from_file_location("readme_components",
                                                                     ROOT / "scripts" / "readme_components.py")
    module = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.current((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "README.md lost its generated component block"
    assert found == module.block(), "run: python scripts/readme_components.py"


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
    (tmp_path / "typo.py").write_text("class MultiheadAttention:\n    pass\n")
    typo = run("grade", str(tmp_path / "typo.py"))
    assert typo.exit_code == 2 and "MultiheadAttention (did you mean MultiHeadAttention?)" in typo.stderr
    unknown = run("grade", str(tmp_path / "typo.py"), "--component", "multihead")
    assert unknown.exit_code == 2 and "did you mean multi_head?" in unknown.stderr


def test_verify_an_unknown_id_or_topic_is_an_error(in_root):
    result = run("verify", "no-such-question")
    assert result.exit_code == 2 and "unknown question id 'no-such-question'" in result.stderr
    result = run("verify", "--topic", "nope")
    assert result.exit_code == 2 and "unknown topic 'nope'" in result.stderr


# -- real runs (a pytest subprocess each, of a few checks) -------------------------------------

MASKED = "test_masked_attention_matches_torch_scaled_dot_product_attention"
EXACT_ZERO = "test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype"  # parametrized


@pytest.fixture(scope="module")
def flipped_mask(tmp_path_factory, worker_cache):
    """`qbank grade` of a learner's attention with the mask's polarity flipped (masked_fill(mask)
    instead of masked_fill(~mask)), in its own folder with a helper module it imports, run from
    that folder with Hypothesis's cache redirected: the run, the folder, the cache and the
    bank's own .hypothesis before and after."""
    folder = tmp_path_factory.mktemp("learner")
    source = (ROOT / "solutions" / "attention.py").read_text()
    assert "masked_fill(~mask" in source
    (folder / "my_constants.py").write_text("NEG_INF = float('-inf')\n")
    flipped = source.replace('masked_fill(~mask, float("-inf"))', "masked_fill(mask, NEG_INF)")
    assert flipped != source
    (folder / "attention.py").write_text("from my_constants import NEG_INF\n" + flipped)
    cache = worker_cache  # forked from the grading worker, as on a learner's machine
    bank_hypothesis = sorted(p.relative_to(ROOT) for p in (ROOT / ".hypothesis").rglob("*")) \
        if (ROOT / ".hypothesis").is_dir() else []
    env = {**os.environ, "QBANK_CACHE": str(cache), "QBANK_WORKER": "1"}  # the tests' worker: same $PYTHONPATH
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "qbank", "grade", "attention.py", "--check", MASKED,
                           "--check", "test_output_is_a_convex_combination_of_the_value_rows", "--check", EXACT_ZERO,
                           "--seed", "7"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    after = sorted(p.relative_to(ROOT) for p in (ROOT / ".hypothesis").rglob("*")) \
        if (ROOT / ".hypothesis").is_dir() else []
    return proc, folder, cache, bank_hypothesis, after


def test_a_failure_names_every_input_including_the_drawn_mask_and_shows_expected_and_got(flipped_mask):
    proc, *_ = flipped_mask
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("Grading your attention.py (attention)")
    failure = out[out.index("✗ fails"):out.index("✓ holds")]
    assert "With a boolean mask (True = may attend) it still equals PyTorch's scaled_dot_product_attention." in failure
    for name in ("q", "k", "v", "mask"):
        assert re.search(rf"^(input)?\s+{name} = \[", failure, re.M), (name, failure)
    assert "(bool, shape [" in failure and "data(" not in failure
    assert re.search(r"^expected  \[", failure, re.M) and re.search(r"^got       \[", failure, re.M)
    assert "largest difference at index (" in failure and "got nan" in failure
    assert f"re-run    qbank grade attention.py --seed 7 --check {MASKED}" in failure
    assert "@reproduce_failure(" in failure and "Traceback" not in proc.stdout + proc.stderr
    assert "✓ holds   The output is a weighted average of the value rows." in out
    closing = out[out.index("3 checks grade your attention.py: 1 hold, 2 fail. (20 Hypothesis examples a check"):]
    assert f"({MASKED})" in closing


def test_a_failing_parametrized_case_is_named_as_its_check_names_it(flipped_mask):
    """The case line shows the parameter id as written ("scores ±1"), not pytest's escaped node id."""
    proc, *_ = flipped_mask
    (failure,) = [block for block in proc.stdout.split("\n\n") if f"--check {EXACT_ZERO}" in block]
    case = re.search(r"^case\s+(.*)$", failure, re.M)
    assert case and case.group(1).startswith("scores ±1-"), case and case.group(0)


def test_grading_writes_nothing_into_the_bank_or_beside_the_learners_file(flipped_mask):
    proc, folder, cache, before, after = flipped_mask
    assert sorted(p.name for p in folder.iterdir()) == ["attention.py", "my_constants.py"]  # no __pycache__
    # (`make test` keeps its own checks' database in build/, so no other run writes here meanwhile)
    assert before == after, "Hypothesis wrote into the bank's .hypothesis"
    assert (cache / "hypothesis").is_dir(), "Hypothesis's database belongs in the user's cache folder"


def test_a_learner_file_that_fails_on_import_is_reported_as_file_and_line(in_root, tmp_path, grading_worker):
    mine = tmp_path / "mine.py"
    mine.write_text("import torch\nimport nonexistent_pkg\n\n\ndef attention_weights(q, k, mask=None):\n"
                    "    return q\n")
    result = run("grade", str(mine), "--check", "test_each_row_of_weights_is_a_probability_distribution_over_the_keys")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("mine.py:2: ModuleNotFoundError: No module named 'nonexistent_pkg'")
    assert "!" not in result.stderr and "Traceback" not in result.output


def test_practice_then_grade_the_untouched_starter_fails_with_readable_messages(in_root, tmp_path, grading_worker):
    starter = tmp_path / "attention.py"
    assert run("practice", "attention", "-o", str(starter)).exit_code == 0
    result = run("grade", str(starter),
                 "--check", "test_each_row_of_weights_is_a_probability_distribution_over_the_keys",
                 "--check", "test_attention_matches_torch_scaled_dot_product_attention")
    assert result.exit_code == 1, result.output
    out = flat(result.stdout)
    assert "attention_weights is not implemented yet (raises NotImplementedError at attention.py:" in out
    assert "scaled_dot_product_attention is not implemented yet" in out
    assert "✓ holds" not in out and "0 hold, 2 fail" in out and "Traceback" not in result.output
    assert "✗ fails Each row of the weights is a probability distribution" in out


def test_grade_on_a_copy_of_the_reference_solution_passes(in_root, tmp_path):
    mine = tmp_path / "my_attention.py"
    shutil.copy(ROOT / "solutions" / "attention.py", mine)
    result = run("grade", str(mine), "--check", "checks/test_attention.py")  # QBANK_WORKER=0: as with CI
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "(a pytest subprocess; torch loads first)" in out
    assert "✗ fails" not in out and "9 checks grade your my_attention.py: 9 hold." in out
    assert "✓ holds Each row of the weights is a probability distribution over the keys." in out
    assert "✓ holds Your my_attention.py equals PyTorch's scaled_dot_product_attention." in out


def test_verify_says_which_claims_hold_one_line_per_check_failures_first(in_root, grading_worker):
    # the bank's checks against a plausible mistake (softmax over the queries): one run shows
    # both verdicts in words, each input by name, expected against got, and the closing list
    wrong = BROKEN / "attention" / "softmax_over_queries.py"
    result = run("verify", "scaled-dot-product-attention", "--impl", str(wrong), "--seed", "3")
    assert result.exit_code == 1, result.output
    out = result.stdout
    lines = out.splitlines()
    assert "worker" in lines[0], lines[0]  # forked from the grading worker
    first_hold = next(i for i, line in enumerate(lines) if line.startswith("✓ holds"))
    assert not any(line.startswith("✗ fails") for line in lines[first_hold:])  # failures come first
    reordering = "Reordering the keys together with their values leaves the output unchanged."
    assert f"✓ holds   {reordering}  [grades code]" in out
    assert "✗ fails   Each row of the weights is a probability distribution over the keys.  [grades code]" in out
    assert re.search(r"^input     q = \[", out, re.M) and re.search(r"^expected  \[", out, re.M)
    assert "Failing test case" not in out and "impl=<implementation" not in out
    assert "re-run    qbank verify scaled-dot-product-attention --impl" in out
    assert "Traceback" not in result.output
    assert re.search(r"\d+ checks prove these claims: \d+ hold, [1-9]\d* fail\.", out)
    nodes = [n for n in dict.fromkeys(n for n in _entry("scaled-dot-product-attention").checks)]
    assert sum(1 for line in lines if line.startswith(("✓ holds", "✗ fails"))) == len(nodes)  # one line per check


def _entry(question_id: str) -> Entry:
    from qbank.bank.catalog import load_catalog

    return load_catalog(ROOT).get(question_id)


# -- the grading worker the runs are forked from (qbank/grading/worker.py) --------------------

PROBE = textwrap.dedent("""
    import json, os, sys

    def test_probe():
        with open("probe.json", "w") as f:
            json.dump({"cwd": os.getcwd(), "pid": os.getpid(), "torch": "torch" in sys.modules,
                       "qbank": sorted(m for m in sys.modules if m.split(".")[0] == "qbank"),
                       "bytecode": sys.dont_write_bytecode,
                       "hypothesis_folder": str(getattr(sys.modules.get("hypothesis.configuration"),
                                                        "__hypothesis_home_directory_default", None))}, f)
        print("probe says", os.environ["PROBE"])
        assert os.environ["PROBE"] == "pass"
""")


def _forked(cache: Path, folder: Path, probe: str, args=("test_probe.py",)) -> tuple[int, str, dict]:
    from qbank.grading import worker

    out = folder / "output.txt"
    env = {**os.environ, "PROBE": probe, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = worker.launch([*args, "-q", "-p", "no:cacheprovider"], folder, env, out, cache)
    assert run is not None, "no worker could be started"
    code = run.wait(timeout=120)
    probe_file = folder / "probe.json"
    return code, out.read_text(), json.loads(probe_file.read_text()) if probe_file.exists() else {}


def test_a_run_forked_from_the_worker_is_a_pytest_process_of_its_own(grading_worker, tmp_path):
    from qbank.grading import worker

    (tmp_path / "test_probe.py").write_text(PROBE)
    code, out, seen = _forked(grading_worker, tmp_path, "pass")
    assert code == 0 and "1 passed" in out and "probe says pass" not in out  # -q: output only on failure
    served_by = worker.pid(grading_worker)
    assert seen["torch"], "the worker had imported torch before it forked the run"
    assert seen["cwd"] == str(tmp_path) and seen["pid"] != served_by and seen["bytecode"] is True
    assert seen["qbank"] == [], "qbank's own modules are imported afresh by each run, never inherited"
    assert seen["hypothesis_folder"] == str(tmp_path / ".hypothesis")  # not the worker's folder

    code, out, again = _forked(grading_worker, tmp_path, "fail")  # its own environment and exit code
    assert code == 1 and "probe says fail" in out and "1 failed" in out
    assert again["pid"] != seen["pid"] and worker.pid(grading_worker) == served_by
    assert worker.running(grading_worker)


def test_a_run_that_is_killed_or_ends_the_process_leaves_the_worker_serving(grading_worker, tmp_path):
    from qbank.grading import worker

    (tmp_path / "test_sleep.py").write_text("import time\n\ndef test_sleep():\n    time.sleep(60)\n")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = worker.launch(["test_sleep.py", "-q", "-p", "no:cacheprovider"], tmp_path, env,
                        tmp_path / "output.txt", grading_worker)
    with pytest.raises(subprocess.TimeoutExpired):
        run.wait(timeout=0.3)
    run.kill()  # what Ctrl-C in `qbank grade` does
    assert run.wait(timeout=10) == -9
    (tmp_path / "test_exit.py").write_text("import os\nos._exit(0)  # a learner's file may do this\n")
    code, out, _ = _forked(grading_worker, tmp_path, "pass", args=("test_exit.py",))
    assert code == 0 and out == ""  # no report: run_checks calls that "pytest could not run the checks"

    (tmp_path / "test_probe.py").write_text(PROBE)
    assert _forked(grading_worker, tmp_path, "pass")[0] == 0


def test_a_worker_killed_hard_is_replaced_by_a_new_one_for_the_next_run(grading_worker, tmp_path):
    import signal

    from qbank.grading import worker

    (tmp_path / "test_probe.py").write_text(PROBE)
    assert _forked(grading_worker, tmp_path, "pass")[0] == 0
    old = worker.pid(grading_worker)
    os.kill(old, signal.SIGKILL)  # its socket file stays behind, with nothing listening
    while worker.pid(grading_worker):
        pass
    assert worker.socket_path(grading_worker).exists() and not worker.running(grading_worker)
    code, _, seen = _forked(grading_worker, tmp_path, "pass")
    new = worker.pid(grading_worker)
    assert code == 0 and new not in (old, None) and seen["torch"]
    worker.stop(grading_worker)  # SIGTERM, as the session's end does: the worker removes its socket
    assert worker.pid(grading_worker) is None and not worker.socket_path(grading_worker).exists()


def test_no_worker_is_used_with_ci_set_or_qbank_worker_0(monkeypatch):
    from qbank.grading import worker

    assert worker.enabled({}) and worker.enabled({"QBANK_WORKER": "1"})
    assert not worker.enabled({"CI": "true"}) and not worker.enabled({"QBANK_WORKER": "0"})
    assert not worker.enabled({"QBANK_WORKER": "off"})
