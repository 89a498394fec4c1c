"""The question format and `qbank validate`: good files pass, every kind of bad file is
reported at the right file, line and field, in one run, without a traceback, and nothing
is ever written."""

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qbank.bank.loader import load_bank
from qbank.bank.validate import lint_markdown, validate

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
id: {id}
topic: attention
difficulty: easy
tags: [softmax]
question: What does the softmax do to a row of scores?
sources: [001-how-3]
answer:
  short: It turns them into a probability distribution.
  detailed: |
    Each weight is $e^{{s_i}} / \\sum_j e^{{s_j}}$.

    $$
    w = \\mathrm{{softmax}}(s)
    $$

    That is all.
claims:
  - claim: Rows sum to one.
    check: checks/test_demo.py::test_rows_sum_to_one
    kind: fact
  - claim: Heads learn grammar.
    unprovable: Needs a trained model.
solution: [solutions.demo:weights]
related: []
"""

CHECKS = """\
def test_rows_sum_to_one():
    assert 1 + 1 == 2


def helper():
    pass
"""

SOLUTION = """\
# --8<-- [start:weights]
def weights():
    return 1
# --8<-- [end:weights]
"""


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A minimal valid project: one question, one check, one solution."""
    (tmp_path / "questions" / "attention").mkdir(parents=True)
    (tmp_path / "checks").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "questions" / "attention" / "softmax-rows.yaml").write_text(GOOD.format(id="softmax-rows"))
    (tmp_path / "checks" / "test_demo.py").write_text(CHECKS)
    (tmp_path / "solutions" / "demo.py").write_text(SOLUTION)
    (tmp_path / "solutions" / "__init__.py").write_text("")
    return tmp_path


def write(bank: Path, name: str, text: str) -> Path:
    path = bank / "questions" / "attention" / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(bank: Path) -> list[str]:
    return [str(p).replace(str(bank) + "/", "") for p in validate(bank, import_solutions=False).problems]


def test_a_valid_bank_has_no_problems(bank):
    assert problems(bank) == []
    (question,) = load_bank(bank).questions
    assert question.checks == ["checks/test_demo.py::test_rows_sum_to_one"]


def test_the_real_bank_validates_with_every_solution_imported():
    report = validate(ROOT)
    assert [str(p) for p in report.problems] == []


def test_a_claims_kind_must_say_what_its_check_does(bank):
    (bank / "checks" / "test_demo.py").write_text(CHECKS + "\n\ndef test_reads_impl(impl):\n"
                                                  "    assert impl.attention_weights is not None\n")
    text = GOOD.format(id="softmax-rows").replace("kind: fact", "kind: component") + textwrap.dedent("""\
        errata:
          - source: 001-how-3
            says: x
            correct: y
            check: checks/test_demo.py::test_reads_impl
            kind: fact
        """).replace("related: []\n", "")
    write(bank, "softmax-rows.yaml", text.replace("related: []\n", ""))
    assert problems(bank) == [
        "questions/attention/softmax-rows.yaml:20: claims.0.kind: kind component, but test_rows_sum_to_one calls "
        "no contract name on `impl`: it cannot grade an implementation (make it call impl.NAME, or say kind "
        "fact/library)",
        "questions/attention/softmax-rows.yaml:29: errata.0.kind: kind fact, but test_reads_impl grades the "
        "implementation through impl.attention_weights: say kind component"]


def test_a_checked_claim_without_a_kind_is_an_error(bank):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("    kind: fact\n", ""))
    (problem,) = problems(bank)
    assert problem.startswith("questions/attention/softmax-rows.yaml:18: claims.0: a checked entry needs `kind`")


def test_malformed_yaml_is_reported_with_its_line(bank):
    write(bank, "softmax-rows.yaml", "id: softmax-rows\ntags: [a, b\nquestion: x\n")
    (problem,) = problems(bank)
    assert problem.startswith("questions/attention/softmax-rows.yaml:3: (yaml): ")
    assert "opened at line 2" in problem, problem  # where the missing ']' belongs (learner review #25)


def test_a_missing_field_is_reported_at_its_parent(bank):
    text = GOOD.format(id="softmax-rows").replace("  short: It turns them into a probability distribution.\n", "")
    write(bank, "softmax-rows.yaml", text)
    assert problems(bank) == ["questions/attention/softmax-rows.yaml:7: answer.short: Field required"]


def test_an_unknown_field_is_an_error_at_its_line(bank):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows") + "colour: red\n")
    assert problems(bank) == [
        "questions/attention/softmax-rows.yaml:25: colour: unknown field (not part of the question format)"]


@pytest.mark.parametrize("old, new, expected", [
    ("difficulty: easy", "difficulty: 2", "3: difficulty: Input should be 'easy', 'medium' or 'hard', got 2"),
    ("tags: [softmax]", "tags: softmax", "4: tags: Input should be a valid list"),
    ("topic: attention", "topic: no", "2: topic: Input should be"),  # YAML 1.1 reads `no` as False
    ("sources: [001-how-3]", "sources: [001-how-3, 7]", "6: sources.1: Input should be a valid string"),
])
def test_a_wrong_type_is_reported_not_coerced(bank, old, new, expected):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace(old, new))
    (problem,) = problems(bank)
    assert problem.startswith(f"questions/attention/softmax-rows.yaml:{expected}"), problem


def test_a_duplicate_key_is_reported_not_merged(bank):
    text = GOOD.format(id="softmax-rows").replace("difficulty: easy\n", "difficulty: easy\ndifficulty: hard\n")
    write(bank, "softmax-rows.yaml", text)
    assert problems(bank) == ["questions/attention/softmax-rows.yaml:4: difficulty: duplicate key (first given on line 3)"]


def test_a_duplicate_id_names_both_files(bank):
    write(bank, "softmax-rows-2.yaml", GOOD.format(id="softmax-rows"))
    found = problems(bank)
    assert "questions/attention/softmax-rows.yaml:1: id: duplicate id 'softmax-rows': " \
           "questions/attention/softmax-rows-2.yaml has it already" in [
               p.replace(str(bank) + "/", "") for p in found] or any("duplicate id" in p for p in found)
    assert any("must match the file name" in p for p in found)


def test_a_dangling_check_and_an_unclaimed_check_are_both_reported(bank):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("test_rows_sum_to_one\n", "test_nope\n"))
    assert problems(bank) == [
        "questions/attention/softmax-rows.yaml:19: claims.0.check: "
        "no check checks/test_demo.py::test_nope (no such test function in checks/)",
        "checks/test_demo.py:1: test_rows_sum_to_one: no question claims this check",
    ]


def test_a_dangling_solution_is_reported(bank):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("solutions.demo:weights",
                                                                          "solutions.demo:missing"))
    (problem,) = problems(bank)
    assert problem.startswith("questions/attention/softmax-rows.yaml:23: solution.0: ")
    assert "no snippet marker" in problem


def test_a_solution_that_does_not_import_is_reported(bank, monkeypatch):
    # this process has the real `solutions` imported; let the temporary bank's take its place
    monkeypatch.delitem(sys.modules, "solutions", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    (bank / "solutions" / "demo.py").write_text(SOLUTION + "\nraise RuntimeError('boom')\n")
    found = [str(p) for p in validate(bank).problems]
    assert len(found) == 1 and "solution.0: solutions.demo does not import: RuntimeError: boom" in found[0]
    sys.modules.pop("solutions.demo", None)


def test_an_unknown_seed_item_is_reported(bank):
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("[001-how-3]", "[001-how-3, 001-99]"))
    assert problems(bank) == ["questions/attention/softmax-rows.yaml:6: sources.1: unknown seed item '001-99' "
                              "(the valid ids are in qbank/bank/seed_index.yaml)"]


def test_a_yaml_tag_cannot_construct_objects(bank):
    write(bank, "softmax-rows.yaml", "id: !!python/object/apply:os.system ['echo pwned']\n")
    (problem,) = problems(bank)
    assert "(yaml)" in problem and "python/object" in problem


def test_display_math_needs_blank_lines_around_it():
    assert lint_markdown("text\n\n$$\nx\n$$\n\nmore") == []
    assert lint_markdown("text\n$$\nx\n$$\nmore") == [
        "the $$ block on answer line 2 needs a blank line before it",
        "the $$ block ending on answer line 4 needs a blank line after it"]


def test_every_problem_is_reported_in_one_run_without_a_traceback_and_nothing_is_written(bank):
    write(bank, "bad-one.yaml", "id: bad-one\ntopic: attention\ncolour: red\n")
    write(bank, "bad-two.yaml", "id: [unclosed\n")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in bank.rglob("*") if p.is_file()}
    proc = subprocess.run([sys.executable, "-m", "qbank", "validate", "--no-import"], cwd=bank,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in bank.rglob("*") if p.is_file()
             if "__pycache__" not in str(p)}
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert any(line.startswith("questions/attention/bad-one.yaml:3: colour: unknown field") for line in lines), lines
    assert any(line.startswith("questions/attention/bad-two.yaml:2: (yaml):") for line in lines), lines
    assert any(line.startswith("questions/attention/bad-one.yaml:1: question: Field required") for line in lines)
    assert lines[-1].startswith("qbank: error: ") and "problems found" in lines[-1]
    assert before == after


def test_validate_finds_the_bank_from_a_subfolder(bank):
    proc = subprocess.run([sys.executable, "-m", "qbank", "validate", "--no-import"], cwd=bank / "questions",
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 questions, 2 claims (1 proven by a check)")


def test_a_misspelled_field_is_one_problem_that_names_the_field_meant(bank):
    """Finding 25: `cliam` gave "claim: Field required" and "cliam: unknown field"."""
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("  - claim: Rows", "  - cliam: Rows"))
    assert problems(bank) == ["questions/attention/softmax-rows.yaml:18: claims.0.cliam: unknown field; "
                              "did you mean `claim`?"]
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("question:", "questoin:"))
    assert problems(bank) == ["questions/attention/softmax-rows.yaml:5: questoin: unknown field; "
                              "did you mean `question`?"]
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows") + "colour: red\n")  # nothing close
    assert problems(bank) == [
        "questions/attention/softmax-rows.yaml:25: colour: unknown field (not part of the question format)"]


def test_a_link_to_a_question_whose_file_failed_to_load_says_so(bank):
    """Finding 25: each broken file caused follow-on errors that buried the real one."""
    write(bank, "other.yaml", GOOD.format(id="other").replace("related: []", "related: [softmax-rows, nope]")
          .replace("test_rows_sum_to_one", "test_other"))
    (bank / "checks" / "test_demo.py").write_text(CHECKS + "\n\ndef test_other():\n    assert 2 > 1\n")
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("tags: [softmax]", "tags: [softmax"))
    found = problems(bank)
    assert found[0].startswith("questions/attention/softmax-rows.yaml:") and "(yaml)" in found[0]
    assert found[1:] == [
        "questions/attention/other.yaml:24: related.0: no question has id 'softmax-rows' "
        "(its file questions/attention/softmax-rows.yaml failed to load)",
        "questions/attention/other.yaml:24: related.1: no question has id 'nope'"]


def test_a_title_is_optional_short_and_plain(bank):
    (question,) = load_bank(bank).questions
    assert question.title is None and question.short_title == "What does the softmax do to a row of scores?"
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("topic:", "title: Softmax rows\ntopic:"))
    assert problems(bank) == [] and load_bank(bank).questions[0].short_title == "Softmax rows"
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("topic:", "title: Why $\\sqrt{d}$\ntopic:"))
    (problem,) = problems(bank)
    assert problem.startswith("questions/attention/softmax-rows.yaml:2: title: a title is plain text")
    write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace("topic:", f"title: {'x' * 61}\ntopic:"))
    (problem,) = problems(bank)
    assert "title: String should have at most 60 characters" in problem


def test_an_answer_has_no_headings_outside_code():
    assert lint_markdown("**Lead.** text\n\n```python\n# a comment\n```\n") == []
    assert lint_markdown("text\n\n## Section\n\nmore") == [
        "answer line 3: no headings in an answer (the page's outline and its search index are the site's); "
        "use **bold** for a paragraph's lead"]


def test_a_short_answer_is_at_most_80_words_what_you_would_say_in_30_seconds(bank):
    short = "  short: It turns them into a probability distribution.\n"
    for n, ok in ((80, True), (81, False)):
        write(bank, "softmax-rows.yaml", GOOD.format(id="softmax-rows").replace(short, "  short: " + "word " * n + "\n"))
        found = problems(bank)
        assert found == [] if ok else (found and found[0].startswith(
            "questions/attention/softmax-rows.yaml:8: answer.short: ") and "81 words" in found[0]), (n, found)
