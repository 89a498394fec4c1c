"""The site's pure render functions (qbank.site.render): what a page says about verification,
how answers are revealed, how code is embedded, and that every generated link resolves.
No MkDocs and no browser here: tests/test_site.py builds and drives the real site."""

import json
import posixpath
import re
from pathlib import Path

import pytest

from qbank.site import render
from qbank.bank.schema import TOPICS, Question
from qbank.bank.validate import seed_index
from qbank.grading.verification import ReportError, Verdict, Verification, load_verification

ROOT = Path(__file__).resolve().parents[1]

CHECK_FILE = '''\
"""Demo checks."""
from hypothesis import given


def _helper(impl):
    return impl.causal_mask(3)


@given(x=st.integers())
@settings(max_examples=5)
def test_rows_sum_to_one(impl, x):
    assert impl.attention_weights is not None


def test_mask_is_lower_triangular(impl):
    assert _helper(impl).all()


def test_softmax_never_overflows():
    assert True
'''
PASSES = "checks/test_demo.py::test_rows_sum_to_one"
FAILS = "checks/test_demo.py::test_mask_is_lower_triangular"
SKIPS = "checks/test_demo.py::test_softmax_never_overflows"


def question(**changes) -> Question:
    data = dict(
        id="demo-question", topic="attention", difficulty="easy", tags=["softmax", "demo"],
        question="What does the softmax do to a row of scores?", sources=["001-how-3"],
        answer={"short": "It turns them into a probability distribution.",
                "detailed": "Each weight is $e^{s_i} / \\sum_j e^{s_j}$.\n\n$$\nw = \\mathrm{softmax}(s)\n$$\n\n"
                            "```python\nw = s.softmax(-1)\n```\n"},
        claims=[{"claim": "Rows sum to one.", "check": PASSES},
                {"claim": "The mask is lower triangular.", "check": FAILS},
                {"claim": "Heads learn grammar.", "unprovable": "Needs a trained model."}],
        solution=["solutions.attention:attention_weights"],
        errata=[{"source": "001-how-3", "says": "Softmax overflows.", "correct": "It subtracts the max.",
                 "check": SKIPS}],
        related=[],
    )
    data.update(changes)
    return Question.model_validate(data)


def make_site(verification: Verification, questions=None) -> render.Site:
    checks, doc = render.scan_checks(CHECK_FILE, "checks/test_demo.py")
    return render.Site(questions or [question()], checks, {"checks/test_demo.py": doc}, seed_index(), verification,
                       solution_sections={"solutions/attention.py": {"attention_weights"}})


def ran(**verdicts: Verdict) -> Verification:
    return Verification(dict(verdicts), path="build/verification.json", generated="2026-11-22T04:25:04+0000",
                        torch="2.13.0+cpu", python="3.11.7", implementation="solutions")


REPORT = {PASSES: Verdict("passed", 0.12), FAILS: Verdict("failed", 0.5, "AssertionError: row 2 is not 0"),
          SKIPS: Verdict("skipped", 0.0, "solutions does not provide 'causal_mask'")}


def claim_line(page: str, claim: str) -> str:
    return next(line for line in page.splitlines() if claim in line)


def test_without_a_report_every_check_says_not_run_and_nothing_passes():
    page = render.render_question(question(), make_site(Verification()))
    assert "No verification report was found" in page
    assert "qb-passed" not in page and "passed" not in page.replace("not run", "")
    assert 'qb-not-run">not run</span> Rows sum to one.' in page
    assert 'qb-not-run">3/3 checks not run' in page  # the summary: 2 claims + 1 erratum checked


def test_a_failed_check_shows_as_failed_with_its_message_collapsed():
    page = render.render_question(question(), make_site(ran(**{k: v for k, v in REPORT.items()})))
    assert 'qb-failed">failed</span>' in claim_line(page, "The mask is lower triangular.")
    assert 'qb-passed">passed</span>' in claim_line(page, "Rows sum to one.")
    assert re.search(r'\?\?\? failure "What the check reported"\n\s+```text\n\s+AssertionError: row 2 is not 0', page)
    assert 'qb-failed">1/3 checks failed' in page  # a failure outranks every pass in the summary


def test_a_check_missing_from_the_report_is_not_run_and_a_skip_gives_its_reason():
    report = ran(**{PASSES: REPORT[PASSES], SKIPS: REPORT[SKIPS]})
    page = render.render_question(question(), make_site(report))
    assert 'qb-not-run">not run</span>' in claim_line(page, "The mask is lower triangular.")
    assert "Skipped: solutions does not provide 'causal_mask'" in page


def test_an_unprovable_claim_is_marked_as_such_never_as_passed():
    page = render.render_question(question(), make_site(ran(**REPORT)))
    line = claim_line(page, "Heads learn grammar.")
    assert "qb-unprovable" in line and "qb-passed" not in line
    assert "Needs a trained model." in page


def test_both_answers_are_collapsed_until_clicked_and_the_detailed_one_is_intact():
    page = render.render_question(question(), make_site(Verification()))
    short = page.index('??? abstract "Short answer')
    detailed = page.index('??? success "Detailed answer"')
    assert short < detailed < page.index("## Claims")
    block = page[detailed:].split("\n## ")[0].splitlines()[1:]
    body = "\n".join(line.removeprefix("    ") for line in block).strip("\n")
    assert body == question().answer.detailed.strip("\n")  # every line kept, indented into the block
    assert all(line.startswith("    ") or not line.strip() for line in block)


def test_solution_code_is_embedded_by_its_snippet_section_never_pasted():
    page = render.render_question(question(), make_site(Verification()))
    assert '```python\n--8<-- "solutions/attention.py:attention_weights"\n```' in page
    assert "masked_fill" not in page  # the code itself only arrives at build time
    assert "(../contract.md#attention_weights)" in page


def test_claims_link_to_their_checks_code_and_errata_to_the_coverage_page():
    page = render.render_question(question(), make_site(Verification()))
    assert "(../checks/test_demo.md#test_rows_sum_to_one)" in page
    assert '!!! bug "Seed item 001-how-3"' in page
    assert "(../coverage.md#item-001-how-3 " in page


def test_check_code_is_located_by_the_ast_decorators_included():
    checks, doc = render.scan_checks(CHECK_FILE, "checks/test_demo.py")
    assert doc == "Demo checks."
    assert set(checks) == {PASSES, FAILS, SKIPS}  # helpers are not checks
    lines = CHECK_FILE.splitlines()
    info = checks[PASSES]
    assert lines[info.start - 1].startswith("@given") and lines[info.end - 1].strip().startswith("assert")
    assert checks[PASSES].uses == {"attention_weights"}
    assert checks[FAILS].uses == {"causal_mask"}  # through the helper it calls
    page = render.render_check_file("checks/test_demo.py", make_site(ran(**REPORT)))
    assert f'--8<-- "checks/test_demo.py:{info.start}:{info.end}"' in page
    assert "## `test_rows_sum_to_one` { #test_rows_sum_to_one }" in page
    assert "AssertionError: row 2 is not 0" in page


def test_the_report_is_read_and_a_broken_one_is_an_error_not_a_missing_one(tmp_path):
    assert not load_verification(tmp_path / "nope.json").ran
    path = tmp_path / "verification.json"
    path.write_text(json.dumps({"generated": "2026-11-22T04:25:04+0000", "implementation": "solutions",
                                "torch": "2.13.0+cpu", "python": "3.11.7",
                                "checks": {PASSES: {"outcome": "passed", "duration": 0.1, "message": ""}}}))
    v = load_verification(path)
    assert v.ran and v.torch == "2.13.0+cpu" and v.verdict(PASSES).outcome == "passed"
    assert v.verdict(FAILS).outcome == "not run"
    path.write_text("{not json")
    with pytest.raises(ReportError, match="not a verification report"):
        load_verification(path)
    path.write_text(json.dumps({"checks": {PASSES: {"outcome": "green"}}}))
    with pytest.raises(ReportError, match="outcome 'green'"):
        load_verification(path)


def test_unknown_shortcode_is_an_error():
    site = make_site(Verification())
    assert "grid cards" in render.expand_shortcodes("<!-- qbank:topic-cards -->", "index.md", site)
    with pytest.raises(ValueError, match="unknown shortcode"):
        render.expand_shortcodes("<!-- qbank:nope -->", "index.md", site)


# --- the real bank -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_site() -> render.Site:
    return render.collect(ROOT, ROOT / "build" / "no-such-report.json")


def test_every_link_of_every_generated_page_resolves(real_site):
    pages = render.pages(real_site)
    static = {p.relative_to(ROOT / "site").as_posix() for p in (ROOT / "site").rglob("*") if p.is_file()}
    targets = set(pages) | static | {f.path for f in real_site.figures} | set(render.starter_files())
    for src, markdown in pages.items():
        for link in re.findall(r"\]\(([^)\s]+)", markdown):
            if link.startswith(("#", "http")):
                continue
            path = link.partition("#")[0]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(src), path))
            assert target in targets, f"{src} links to {link}: no such file"


def test_one_page_per_question_and_the_nav_lists_every_page(real_site):
    pages = render.pages(real_site)
    assert {f"questions/{q.id}.md" for q in real_site.questions} <= set(pages)
    assert {f"topics/{t}/index.md" for t in TOPICS} <= set(pages)

    def flatten(items):
        for item in items:
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict):
                for value in item.values():
                    yield from flatten([value] if isinstance(value, str) else value)

    listed = list(flatten(render.nav(real_site)))
    assert len(listed) == len(set(listed))
    assert set(listed) == set(pages) | {"index.md", "tags.md"}


def test_the_coverage_page_lists_every_seed_item(real_site):
    page = render.render_coverage(real_site)
    for item in seed_index().items:
        assert f'<span id="item-{item}"></span>' in page


def test_the_errata_page_lists_every_erratum_of_the_bank(real_site):
    page = render.render_errata(real_site)
    errata = [(q, e) for q in real_site.questions for e in q.errata]
    assert page.count("\n### ") == len(errata)
    for q, e in errata:
        assert f"questions/{q.id}.md" in page and e.correct.split()[0] in page
