"""The site's pure render functions (qbank.site.render): what a page says about verification,
what it reveals and when, what it lets the search index see, how code is embedded, and that
every generated link resolves. No MkDocs build and no browser here (tests/test_site.py builds
and drives the real site); where the structure of the HTML matters, the page's Markdown is
converted with the site's own Markdown extensions (read from mkdocs.yml)."""

import functools
import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml

from qbank.bank.catalog import TITLE_MAX, default_title
from qbank.bank.schema import DIFFICULTIES, TOPICS, Question
from qbank.bank.validate import seed_index
from qbank.grading.verification import ReportError, Verdict, Verification, load_proofs, load_verification
from qbank.site import render

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
USES = {PASSES: {"attention_weights"}, FAILS: {"causal_mask"}}  # what qbank.bank.checks reads from the file


def question(**changes) -> Question:
    data = dict(
        id="demo-question", title="Softmax rows", topic="attention", difficulty="easy", tags=["softmax", "demo"],
        question="What does the softmax do to a row of scores divided by √d_k?", sources=["001-how-3"],
        answer={"short": "It turns them into a probability distribution over the keys.",
                "detailed": "Each weight is $e^{s_i} / \\sum_j e^{s_j}$.\n\n$$\nw = \\mathrm{softmax}(s)\n$$\n\n"
                            "```python\nw = s.softmax(-1)\n```\n"},
        claims=[{"claim": "Rows sum to one for every d_k.", "check": PASSES, "kind": "component"},
                {"claim": "The mask is lower triangular.", "check": FAILS, "kind": "component"},
                {"claim": "Each row is unchanged by adding a constant.", "check": PASSES, "kind": "component"},
                {"claim": "Heads learn grammar.", "unprovable": "Needs a trained model."}],
        solution=["solutions.attention:attention_weights"],
        errata=[{"source": "001-how-3", "says": "Softmax overflows.", "correct": "It subtracts the maximum first.",
                 "check": SKIPS, "kind": "fact"}],
        related=[],
    )
    data.update(changes)
    return Question.model_validate(data)


def make_site(verification: Verification, questions=None) -> render.Site:
    found, doc, rest = render.scan_checks(CHECK_FILE, "checks/test_demo.py")
    checks = {n: render._with_uses(info, USES.get(n, set())) for n, info in found.items()}
    return render.Site(questions or [question()], checks, {"checks/test_demo.py": doc}, seed_index(), verification,
                       solution_sections={"solutions/attention.py": {"attention_weights"}},
                       check_rest={"checks/test_demo.py": rest})


def ran(**verdicts: Verdict) -> Verification:
    return Verification(dict(verdicts), path="build/verification.json", generated="2026-11-22T04:25:04+0000",
                        torch="2.13.0+cpu", python="3.11.7", implementation="solutions")


REPORT = {PASSES: Verdict("passed", 0.12), FAILS: Verdict("failed", 0.5, "AssertionError: row 2 is not 0"),
          SKIPS: Verdict("skipped", 0.0, "solutions does not provide 'causal_mask'")}


def claim_line(page: str, claim: str) -> str:
    return next(line for line in page.splitlines() if claim in line)


# --- Markdown -> HTML with the site's own extensions, and a small tree to look at ------------

@functools.cache
def _extensions() -> tuple[list, dict]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        names.append(name)
        configs[name] = dict(options or {})
    configs["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    return names, configs


def to_html(page: str) -> str:
    names, configs = _extensions()
    body = page.split("---\n", 2)[2] if page.startswith("---\n") else page  # front matter
    return markdown.Markdown(extensions=names, extension_configs=configs).convert(body)


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def elements(self) -> list["Node"]:
        return [c for c in self.children if isinstance(c, Node)]

    def text(self) -> str:
        return "".join(c.text() if isinstance(c, Node) else c for c in self.children)

    def find_all(self, pred) -> list["Node"]:
        out = []
        for c in self.elements:
            if pred(c):
                out.append(c)
            out += c.find_all(pred)
        return out

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _Tree(HTMLParser):
    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def tree(html: str) -> Node:
    parser = _Tree()
    parser.feed(html)
    return parser.root


def details(root: Node) -> dict[str, Node]:
    """Every collapsed block, by the text of its summary."""
    return {d.elements[0].text().strip(): d for d in root.find_all(lambda n: n.tag == "details")}


# --- verification badges and counts ---------------------------------------------------------

def test_without_a_report_every_check_says_not_run_and_nothing_passes():
    page = render.render_question(question(), make_site(Verification()))
    assert "No verification report was found" in page
    assert "qb-passed" not in page and "passed" not in page.replace("not run", "")
    assert 'qb-not-run">not run</span> The mask is lower triangular.' in page
    # 3 claims and 1 erratum cite 3 distinct checks: the badge counts checks, as every page does
    assert 'qb-not-run">3/3 checks not run' in page


def test_counts_are_of_distinct_checks_everywhere():
    site = make_site(ran(**REPORT))
    t = render.tally(site.questions, site)
    assert (t.claims, t.errata, t.argued, len(t.checks)) == (4, 1, 1, 3)
    assert t.words() == "4 claims · 1 erratum · 3 checks"
    assert "**3 checks**" in render.bank_summary(site)
    assert "4 claims" in render.render_question(question(), site)
    assert "3 checks" in render.render_checks_index(site) and "**3 checks** in 1 file" in render.render_checks_index(site)


def test_a_failed_check_shows_as_failed_with_its_message_collapsed():
    page = render.render_question(question(), make_site(ran(**REPORT)))
    assert 'qb-failed">failed</span>' in claim_line(page, "The mask is lower triangular.")
    assert 'qb-passed">passed</span>' in claim_line(page, "Each row is unchanged")
    assert re.search(r'\?\?\? failure "What the check reported"\n\s+```text\n\s+AssertionError: row 2 is not 0', page)
    assert 'qb-failed">1/3 checks failed' in page  # a failure outranks every pass in the summary


def test_a_failed_claim_keeps_its_report_to_itself_and_the_claims_stay_a_flat_list():
    """Finding 1: a failure block inside a Markdown list item nested every later claim."""
    root = tree(to_html(render.render_question(question(), make_site(ran(**REPORT)))))
    block = details(root)["Claims and their checks (4)"]
    claims = block.find_all(lambda n: "qb-claim" in n.classes())
    assert len(claims) == 4 and all(c.parent is block for c in claims)  # siblings, none nested in another
    assert not block.find_all(lambda n: n.tag in ("ul", "ol", "li"))
    siblings = block.elements
    failed = next(c for c in claims if "lower triangular" in c.text())
    report = siblings[siblings.index(failed) + 1]
    assert report.tag == "details" and "failure" in report.classes()
    assert "AssertionError: row 2 is not 0" in report.text()
    assert siblings[siblings.index(report) + 1] is claims[2]  # the next claim follows, unindented


def test_a_check_missing_from_the_report_is_not_run_and_a_skip_gives_its_reason():
    report = ran(**{PASSES: REPORT[PASSES], SKIPS: REPORT[SKIPS]})
    page = render.render_question(question(), make_site(report))
    assert 'qb-not-run">not run</span>' in claim_line(page, "The mask is lower triangular.")
    assert "Skipped: solutions does not provide 'causal_mask'" in page


def test_an_unprovable_claim_is_marked_as_such_never_as_passed():
    page = render.render_question(question(), make_site(ran(**REPORT)))
    assert "qb-unprovable" in claim_line(page, "Heads learn grammar.") and "qb-passed" not in claim_line(
        page, "Heads learn grammar.")
    assert "argued, not checked: Needs a trained model." in page


# --- try first, then reveal -------------------------------------------------------------------

def test_everything_that_gives_the_answer_away_is_collapsed_below_the_question():
    """Finding 3: claims, solution and errata were open under the collapsed answers."""
    q = question()
    root = tree(to_html(render.render_question(q, make_site(ran(**REPORT)))))
    blocks = details(root)
    order = [title for title in blocks if blocks[title].parent.tag == "div"]
    assert order == ["Short answer: what you would say in 30 seconds", "Detailed answer",
                     "Claims and their checks (4)", "Reference solution",
                     "Errata: where the sources go wrong (1)"]  # try first: in the order one reveals them
    assert all("open" not in blocks[t].attrs for t in order)
    hidden = "".join(blocks[t].text() for t in order)
    for text in [q.answer.short, "w = s.softmax(-1)", "Rows sum to one", "The mask is lower triangular",
                 "It subtracts the maximum first", "Softmax overflows"]:
        assert text in hidden
        visible = root.text()
        for t in order:
            visible = visible.replace(blocks[t].text(), "")
        assert text not in visible, f"{text!r} shows outside the collapsed blocks"


def test_the_search_index_sees_the_question_and_nothing_after_it():
    """Finding 2: the search preview showed the hidden answers. Material's search skips a
    section whose heading, and any element, carries data-search-exclude."""
    page = render.render_question(question(), make_site(ran(**REPORT)))
    headings = [line for line in page.splitlines() if line.startswith("#")]
    assert headings[0] == "# Softmax rows" and all("data-search-exclude" in h for h in headings[1:])
    titled = render.render_question(question(title="Rows of √d_k"), make_site(Verification()))
    assert '# Rows of <span class="qb-math" data-search-exclude>$\\sqrt{d_k}$</span>' \
           '<span class="qb-index-only">√d_k</span>' in titled  # typeset, and plain for the index
    root = tree(to_html(page))
    reveal = next(n for n in root.find_all(lambda n: n.tag == "div" and "data-search-exclude" in n.attrs))
    assert {d.elements[0].text().strip() for d in reveal.find_all(lambda n: n.tag == "details" and n.parent is reveal)} \
        == set(details(root)) - {"What the check reported"}


def test_the_question_renders_its_notation_and_indexes_it_as_plain_text():
    html = to_html(render.render_question(question(), make_site(Verification())))
    paragraph = tree(html).find_all(lambda n: "qb-question" in n.classes())[0]
    math = paragraph.find_all(lambda n: "arithmatex" in n.classes())
    assert [m.text() for m in math] == ["\\(\\sqrt{d_k}\\)"] and "data-search-exclude" in math[0].parent.attrs
    plain = paragraph.find_all(lambda n: "qb-index-only" in n.classes())
    assert [p.text() for p in plain] == ["√d_k"]  # what a search preview shows


def test_typeset_turns_plain_notation_into_math_and_leaves_code_and_names_alone():
    assert render.typeset("Dividing by √d_k keeps Var = 1 for every d_k.") == \
        "Dividing by $\\sqrt{d_k}$ keeps Var = 1 for every $d_k$."
    assert render.typeset("W_Q = W_K, √d_model and d_ff") == "$W_Q$ = $W_K$, $\\sqrt{d_{model}}$ and $d_{ff}$"
    kept = "max_len, is_pad, norm_first, `d_k` in code, $d_k$ already math, x_tW_Q"
    assert render.typeset(kept) == kept


# --- what a claim grades --------------------------------------------------------------------

def test_each_claim_says_whether_it_grades_your_code_and_which_contract_names():
    page = render.render_question(question(), make_site(ran(**REPORT)))
    line = page.split("Rows sum to one", 1)[1].split("{ .qb-claim }")[0]
    assert "qb-kind-component" in line and "grades your code" in line
    assert "[`attention_weights`](../contract/attention.md#attention_weights)" in line
    erratum = page.split("It subtracts the maximum first.", 1)[1].split("{ .qb-erratum }")[0]
    assert "qb-kind-fact" in erratum and "contract/" not in erratum
    assert "(../contract/attention.md)" in page.split("## Practise it", 1)[1]  # the components its claims grade


def test_the_contract_has_a_page_per_component_listing_the_claims_that_grade_it():
    site = make_site(ran(**REPORT))
    pages = render.pages(site)
    attention, masking = pages["contract/attention.md"], pages["contract/masking.md"]
    assert "The 2 claims that grade it" in attention
    assert "Rows sum to one" in attention and "Each row is unchanged" in attention
    assert "lower triangular" not in attention  # it grades masking
    assert "The 1 claim that grades it" in masking
    assert "lower triangular" in masking
    assert '{ download="attention.py" }' in attention  # the starter downloads instead of opening as text
    assert "## `attention_weights` { #attention_weights }" in attention
    front = pages["contract/index.md"]  # the first page links every component and every name
    assert "[Scaled dot-product attention](attention.md)" in front
    assert "[`attention_weights`](attention.md#attention_weights)" in front
    assert "1 claim |" in front and "2 claims |" in front
    contract_nav = next(item["Contract"] for item in render.nav(site) if "Contract" in item)
    assert contract_nav[0] == "contract/index.md" and "contract/attention.md" in contract_nav


# --- sources ------------------------------------------------------------------------------------

def test_a_source_reads_as_its_documents_title_and_what_the_item_is_about():
    """Finding 4: "003-34" meant nothing to a learner."""
    site = make_site(Verification())
    line = render.source_line("questions/x.md", "003-34", site)
    assert line.startswith("*Complete list of Transformer interview questions*, Q34: the attention function")
    assert "`003-34`" in line and "coverage.md#item-003-34" in line
    page = render.render_question(question(), site)
    assert "*Transformers in NLP: an overview and interview questions*, overview step 3: self-attention" in page


def test_every_seed_item_and_document_is_described():
    index = seed_index()
    assert set(index.documents) == {m["document"] for m in index.items.values()}
    assert all(d["title"] and d["kind"] for d in index.documents.values())
    assert all(m.get("about") for m in index.items.values())


# --- browsing ----------------------------------------------------------------------------------

def questions_of_each_kind() -> list[Question]:
    return [question(id=f"q-{d}-{t}", topic=t, difficulty=d, title=None,
                     question=f"What is {d} about {t}? And more.", tags=[f"tag-{d}"])
            for d in DIFFICULTIES for t in ("attention", "masking")]


def test_a_question_without_a_title_gets_one_from_its_question():
    assert question(title=None).short_title == "What does the softmax do to a row of scores divided by √d_k?"
    long = "Compare encoder-only (BERT), decoder-only (GPT) and encoder–decoder (T5) Transformers. Then more."
    assert len(default_title(long)) <= TITLE_MAX + 1 and default_title(long).endswith("…")
    page = render.render_question(question(), make_site(Verification()))
    assert page.startswith('---\ntitle: "Softmax rows"')  # the navigation lists the short title


def test_all_questions_can_be_filtered_by_topic_difficulty_and_tag():
    qs = questions_of_each_kind()
    page = render.render_all_questions(make_site(Verification(), qs))
    form = page.split('<form class="qb-filter"', 1)[1].split("</form>", 1)[0]
    for value in ["attention", "masking", *DIFFICULTIES, "tag-easy", "tag-hard"]:
        assert f'<option value="{value}">' in form
    assert '<option value="encoder-decoder">' not in form  # a topic with no questions is no choice
    rows = [line for line in page.splitlines() if line.startswith("| [")]
    assert len(rows) == len(qs)
    for q, row in zip(qs, rows):
        assert f'data-topic="{q.topic}"' in row and f'data-difficulty="{q.difficulty}"' in row
        assert f'data-tag="tag-{q.difficulty}"' in row


def test_the_difficulty_index_lists_every_question_under_its_difficulty_across_topics():
    qs = questions_of_each_kind()
    page = render.render_difficulty(make_site(Verification(), qs))
    for d in DIFFICULTIES:
        section = page.split(f"{{ #{d} }}", 1)[1].split("\n## ", 1)[0]
        assert {m for m in re.findall(r"\(questions/(q-[a-z-]+)\.md", section)} == \
            {q.id for q in qs if q.difficulty == d}


def test_the_errata_page_groups_errata_by_topic_with_links_to_their_questions():
    qs = [question(id="a-1", topic="masking"), question(id="a-2", topic="attention")]
    page = render.render_errata_page(make_site(ran(**REPORT), qs))
    assert page.index("{ #attention }") < page.index("(questions/a-2.md)") < page.index("{ #masking }") \
        < page.index("(questions/a-1.md)")  # topic order, each erratum under its question's topic
    said, right = page.index("**It says:** Softmax overflows."), page.index('??? success "What is right"')
    assert said < right < page.index("    It subtracts the maximum first.")  # think first, then open it


# --- code ---------------------------------------------------------------------------------------

def test_solution_code_is_embedded_by_its_snippet_section_never_pasted():
    page = render.render_question(question(), make_site(Verification()))
    assert '```python\n    --8<-- "solutions/attention.py:attention_weights"\n    ```' in page
    assert "masked_fill" not in page  # the code itself only arrives at build time
    assert "(../contract/attention.md#attention_weights)" in page


def test_check_code_is_located_by_the_ast_decorators_included_and_shown_once():
    found, doc, rest = render.scan_checks(CHECK_FILE, "checks/test_demo.py")
    assert doc == "Demo checks."
    assert set(found) == {PASSES, FAILS, SKIPS}  # helpers are not checks
    lines = CHECK_FILE.splitlines()
    info = found[PASSES]
    assert lines[info.start - 1].startswith("@given") and lines[info.end - 1].strip().startswith("assert")
    assert rest == "2:6"  # the imports and the helper: each check is shown on its own, never twice
    page = render.render_check_file("checks/test_demo.py", make_site(ran(**REPORT)))
    assert f'--8<-- "checks/test_demo.py:{info.start}:{info.end}"' in page
    assert '--8<-- "checks/test_demo.py:2:6"' in page
    assert "## `test_rows_sum_to_one` { #test_rows_sum_to_one }" in page
    assert "AssertionError: row 2 is not 0" in page


def test_a_check_page_lists_the_bugs_the_check_fails_for_collapsed_and_the_code_it_passes_with(tmp_path):
    path = tmp_path / "check-proofs.json"
    bug = "tests/broken_impls/attention/unscaled.py"
    path.write_text(json.dumps({"checks": {PASSES: {"fails_for": [bug], "passes_with": ["pytorch", "hf-llama"]}},
                                "sources": {bug: "The scores are not scaled.", "pytorch": "PyTorch's own modules",
                                            "hf-llama": "Hugging Face's LLaMA"}}))
    site = make_site(ran(**REPORT))
    site.proofs = load_proofs(path)
    page = render.render_check_file("checks/test_demo.py", site)
    mine = page[page.index("{ #test_rows_sum_to_one }"):]
    mine = mine[:mine.index("```python")]  # the block sits under its own check, before its code
    assert '??? success "Fails for 1 classic bug: it can fail"' in mine  # collapsed
    assert f"    - The scores are not scaled. (`{bug}`)" in mine
    assert "Passes with PyTorch's own modules, Hugging Face's LLaMA." in mine
    assert page.count("classic bug") == 1  # the other checks have no proofs: nothing is shown for them
    assert "classic bug" not in render.render_check_file("checks/test_demo.py", make_site(ran(**REPORT)))
    assert not load_proofs(tmp_path / "none.json").checks
    site.proofs_stale = True  # made from other checks than these: said so, above them all
    page = render.render_check_file("checks/test_demo.py", site)
    assert page.index("may be out of date") < page.index("{ #test_rows_sum_to_one }")
    path.write_text("[1, 2]")
    with pytest.raises(ReportError, match="check-proofs.json: not a proofs file.*make proofs"):
        load_proofs(path)


def test_proofs_made_from_other_checks_solutions_or_contract_are_stale(tmp_path):
    from qbank.site.digest import check_run_digest

    path = tmp_path / "check-proofs.json"
    for inputs, stale in ((check_run_digest(ROOT), False), ("made from other files", True)):
        path.write_text(json.dumps({"checks": {}, "sources": {}, "inputs": inputs}))
        site = render.collect(ROOT, tmp_path / "no-report.json", figures=False, proofs=path)
        assert site.proofs_stale is stale


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
    for src, text in pages.items():
        prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # code blocks hold no links
        for link in re.findall(r"\]\(([^)\s]+)", prose):
            if link.startswith(("#", "http")):
                continue
            path = link.partition("#")[0].partition("?")[0]
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


def test_every_question_page_orders_its_reveal_as_written(real_site):
    """pymdownx.blocks moves the last `???` of a block to the front unless the block opens with
    a paragraph (render_question does): the real pages, converted, keep the order."""
    for q in real_site.questions[:8]:
        root = tree(to_html(render.render_question(q, real_site)))
        reveal = next(n for n in root.find_all(lambda n: n.tag == "div" and "data-search-exclude" in n.attrs))
        titles = [d.elements[0].text().strip() for d in reveal.elements if d.tag == "details"]
        assert titles[:2] == ["Short answer: what you would say in 30 seconds", "Detailed answer"], q.id
        if q.errata:
            assert titles[-1].startswith("Errata"), q.id


def test_the_coverage_page_lists_every_seed_item(real_site):
    page = render.render_coverage(real_site)
    for item in seed_index().items:
        assert f'<span id="item-{item}"></span>' in page


def test_the_errata_page_lists_every_erratum_of_the_bank(real_site):
    page = render.render_errata_page(real_site)
    errata = [(q, e) for q in real_site.questions for e in q.errata]
    assert page.count("{ .qb-erratum }") == len(errata)
    for q, e in errata:
        assert f"questions/{q.id}.md" in page and render.typeset(e.correct) in page
