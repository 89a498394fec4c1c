"""The study site's generated pages, as pure functions from the bank to Markdown.

`collect(root, report)` reads everything the pages need once (the questions, the checks'
line ranges, the seed index, the verification report) into a `Site`; every `render_*`
function then turns a `Site` into the Markdown of one page, with no I/O and no MkDocs
import, so it can be unit-tested and reused by a plain pre-build script. The MkDocs hook
(`site/hooks.py`) only hands the results to MkDocs.

Page layout (paths are relative to the docs dir, `site/`):

    index.md                     home (hand-written; the hook expands its shortcodes)
    topics/index.md              all topics          topics/<topic>/index.md  one topic
    questions/<id>.md            one question
    checks/index.md              verification status checks/<test_x>.md       one check file
    errata.md  coverage.md  contract.md  tags.md (hand-written)
    figures/<name>.svg           qbank.site.figures       starters/<component>.py  contract stubs

Solution and check code is never pasted into a page: pages carry `--8<--` snippet lines
(named sections of `solutions/`, line ranges of `checks/` found from the AST) that
pymdownx.snippets resolves at build time.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from qbank import contract
from qbank.bank.loader import Bank, load_bank
from qbank.bank.schema import DIFFICULTIES, TOPICS, Question
from qbank.bank.validate import SECTION, SeedIndex, seed_index
from qbank.grading.verification import Verdict, Verification, load_verification

# Each topic's contract component(s), for "implement it yourself" links.
TOPIC_COMPONENTS: dict[str, tuple[str, ...]] = {
    "attention": ("attention",),
    "masking": ("masking",),
    "multi-head": ("multi_head",),
    "encoder-decoder": ("cross_attention",),
    "normalization": ("normalization",),
    "feed-forward": ("feed_forward",),
    "positional-encoding": ("positional",),
    "architecture": ("encoder_layer",),
}

LABELS = {"passed": "passed", "failed": "failed", "skipped": "skipped", "not run": "not run",
          "unprovable": "no check"}


# --- what the pages are made of ----------------------------------------------------------

@dataclass(frozen=True)
class CheckInfo:
    node: str  # checks/test_x.py::test_y
    file: str  # checks/test_x.py
    name: str  # test_y
    start: int  # first line, decorators included
    end: int  # last line
    uses: frozenset[str] = frozenset()  # contract names it asks `impl` for (directly or via a helper)


@dataclass(frozen=True)
class FigureRef:
    """What a page needs to know about a figure (the drawing itself is qbank.site.figures')."""

    name: str
    title: str
    caption: str
    topic: str
    questions: tuple[str, ...]  # ids of the questions that show it

    @property
    def path(self) -> str:
        return f"figures/{self.name}.svg"


@dataclass
class Site:
    questions: list[Question]  # in site order: topic, then difficulty, then id
    checks: dict[str, CheckInfo]
    check_docs: dict[str, str]  # checks/test_x.py -> its module docstring
    seeds: SeedIndex
    verification: Verification
    figures: list[FigureRef] = field(default_factory=list)
    solution_sections: dict[str, set[str]] = field(default_factory=dict)  # solutions/x.py -> snippet names
    stale: str | None = None  # why the report may be out of date, if it may

    def __post_init__(self) -> None:
        self.by_id = {q.id: q for q in self.questions}
        self.claimed_by: dict[str, list[tuple[Question, str]]] = {}  # check -> (question, what it proves)
        for q in self.questions:
            for entry in [*q.claims, *q.errata]:
                if entry.check:
                    text = entry.claim if hasattr(entry, "claim") else f"erratum of {entry.source}: {entry.correct}"
                    self.claimed_by.setdefault(entry.check, []).append((q, text))

    def topic_questions(self, topic: str) -> list[Question]:
        return [q for q in self.questions if q.topic == topic]

    def check_files(self) -> list[str]:
        return sorted({c.file for c in self.checks.values()})

    def figures_of(self, q: Question) -> list[FigureRef]:
        return [f for f in self.figures if q.id in f.questions]


def collect(root: Path, report: Path, bank: Bank | None = None, figures: bool = True) -> Site:
    """Read everything the pages show. `report` missing means every check is "not run"."""
    bank = bank or load_bank(root)
    order = {t: i for i, t in enumerate(TOPICS)}
    questions = sorted(bank.questions, key=lambda q: (order[q.topic], DIFFICULTIES.index(q.difficulty), q.id))
    checks, docs = {}, {}
    for path in sorted((root / "checks").glob("test_*.py")):
        found, docs[f"checks/{path.name}"] = scan_checks(path.read_text(encoding="utf-8"), f"checks/{path.name}")
        checks.update(found)
    sections = {}
    for path in sorted((root / "solutions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        sections[f"solutions/{path.name}"] = {n.name for n in contract.NAMES.values()
                                              if SECTION.format(name=n.name) in text}
    verification = load_verification(report)
    site = Site(questions, checks, docs, seed_index(), verification,
                solution_sections=sections, stale=_staleness(root, verification))
    if figures:
        from qbank.site.figures import FIGURES

        site.figures = [FigureRef(f.name, f.title, f.caption, f.topic,
                                  tuple(q.id for q in questions if f.attach(q))) for f in FIGURES]
    return site


def scan_checks(source: str, file: str) -> tuple[dict[str, CheckInfo], str]:
    """Every top-level `test_*` function of a check file with its line range, and the
    contract names it uses (`impl.NAME`, also through a module-level helper it calls)."""
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}

    def direct(node: ast.AST) -> set[str]:
        return {a.attr for a in ast.walk(node) if isinstance(a, ast.Attribute)
                and isinstance(a.value, ast.Name) and a.value.id == "impl" and a.attr in contract.NAMES}

    def calls(node: ast.AST) -> set[str]:
        return {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call)
                and isinstance(c.func, ast.Name) and c.func.id in functions}

    found = {}
    for name, node in functions.items():
        if not name.startswith("test_"):
            continue
        uses = direct(node)
        for helper in calls(node):
            uses |= direct(functions[helper])
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        found[f"{file}::{name}"] = CheckInfo(f"{file}::{name}", file, name, start, node.end_lineno,
                                             frozenset(uses))
    return found, ast.get_docstring(tree) or ""


def _staleness(root: Path, verification: Verification) -> str | None:
    when = verification.generated_at()
    if when is None:
        return None
    sources = [*(root / "checks").glob("*.py"), *(root / "solutions").glob("*.py")]
    newest = max(sources, key=lambda p: p.stat().st_mtime, default=None)
    if newest and newest.stat().st_mtime > when.timestamp() + 1:
        changed = datetime.fromtimestamp(newest.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M")
        return f"`{newest.relative_to(root).as_posix()}` changed after the run ({changed})"
    return None


# --- small pieces ----------------------------------------------------------------------------

def rel(src: str, dst: str) -> str:
    """Link from the page `src` to `dst` (both relative to the docs dir), as MkDocs resolves it."""
    anchor = ""
    if "#" in dst:
        dst, anchor = dst.split("#", 1)
        anchor = "#" + anchor
    return posixpath.relpath(dst, posixpath.dirname(src) or ".") + anchor


def question_page(qid: str) -> str:
    return f"questions/{qid}.md"


def topic_page(topic: str) -> str:
    return f"topics/{topic}/index.md"


def check_page(file: str) -> str:
    return f"checks/{Path(file).stem}.md"


def check_link(src: str, node: str, site: Site) -> str:
    info = site.checks.get(node)
    label = f"`{node.removeprefix('checks/')}`"
    if info is None:  # validate reports it; the page still says which check was meant
        return f"{label} (no such check)"
    return f"[{label}]({rel(src, check_page(info.file) + '#' + info.name)})"


def badge(outcome: str, text: str | None = None) -> str:
    css = outcome.replace(" ", "-")
    return f'<span class="qb-badge qb-{css}">{_html(text or LABELS.get(outcome, outcome))}</span>'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _link_text(text: str) -> str:
    return " ".join(text.split()).replace("[", "\\[").replace("]", "\\]")


def _indent(text: str, n: int = 4) -> str:
    return textwrap.indent(text.strip("\n"), " " * n, lambda line: True)


def _front(title: str, **extra) -> str:
    lines = ["---", f"title: {json.dumps(_plain(title), ensure_ascii=False)}"]
    lines += [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in extra.items()]
    return "\n".join(lines + ["---", ""])


def _plain(text: str) -> str:
    """A title for the navigation and the browser tab: no Markdown, no TeX delimiters."""
    return " ".join(text.replace("$", "").replace("`", "").replace("**", "").split())


def _seconds(duration: float | None) -> str:
    if duration is None:
        return ""
    return f"{duration * 1000:.0f} ms" if duration < 1 else f"{duration:.1f} s"


def claim_outcome(entry, site: Site) -> Verdict:
    if entry.check is None:
        return Verdict("unprovable", None, entry.unprovable)
    return site.verification.verdict(entry.check)


def question_counts(q: Question, site: Site) -> Counter:
    """Outcomes of everything the question stakes: its claims and its errata."""
    return Counter(claim_outcome(e, site).outcome for e in [*q.claims, *q.errata])


def overall(counts: Counter) -> str:
    """One word for a set of outcomes: any failure wins, then anything not run, then skips."""
    for outcome in ("failed", "not run", "skipped"):
        if counts[outcome]:
            return outcome
    return "passed" if counts["passed"] else "unprovable"


def summary_badge(counts: Counter) -> str:
    checked = sum(n for o, n in counts.items() if o != "unprovable")
    state = overall(counts)
    if state == "unprovable":
        return badge("unprovable", "no code check")
    if state == "passed":
        return badge("passed", f"{counts['passed']}/{checked} checks passed")
    return badge(state, f"{counts[state]}/{checked} checks {LABELS[state]}")


def _report_line(site: Site) -> str:
    v = site.verification
    if not v.ran:
        return ("**No verification report was found**, so every check below says *not run*. "
                "Run `make verify` (or `.venv/bin/pytest checks --qbank-report build/verification.json`), "
                "then rebuild the site.")
    impl = "" if v.implementation in (None, "solutions") else f", grading `{v.implementation}`"
    text = f"Status from the run of {_when(v.generated)} (torch {v.torch or '?'}{impl})."
    if site.stale:
        text += f" It may be out of date: {site.stale}."
    return text


def _when(generated: str | None) -> str:
    try:
        return datetime.fromisoformat(generated).strftime("%Y-%m-%d %H:%M") if generated else "an unknown time"
    except ValueError:
        return generated or "an unknown time"


def _verdict_details(verdict: Verdict, indent: int) -> str:
    """A failure's message, collapsed; a skip's reason, inline."""
    if verdict.outcome == "failed" and verdict.message:
        body = "```text\n" + verdict.message.replace("```", "'''") + "\n```"
        return "\n\n" + _indent(f'??? failure "What the check reported"\n{_indent(body)}', indent)
    if verdict.outcome == "skipped" and verdict.message:
        return f" *Skipped: {_cell(verdict.message)}.*"
    return ""


def _figure(src: str, fig: FigureRef) -> str:
    return (f'<figure class="qb-figure" markdown="span">\n'
            f'  ![{_link_text(fig.title)}]({rel(src, fig.path)})\n'
            f'  <figcaption markdown="span">**{_link_text(fig.title)}.** {" ".join(fig.caption.split())}'
            f"</figcaption>\n</figure>")


# --- pages -----------------------------------------------------------------------------------

def render_question(q: Question, site: Site) -> str:
    src = question_page(q.id)
    counts = question_counts(q, site)
    out = [_front(q.question, tags=q.tags, search={"boost": 2}),
           f"# {' '.join(q.question.split())}", "",
           f"**Topic:** [{TOPICS[q.topic]}]({rel(src, topic_page(q.topic))}) · "
           f"**Difficulty:** {q.difficulty} · **Verification:** {summary_badge(counts)}", "",
           "*Try it first: answer out loud or on paper, then reveal.*", "",
           '??? abstract "Short answer: what you would say in 30 seconds"',
           _indent(q.answer.short), "",
           '??? success "Detailed answer"',
           _indent(q.answer.detailed), ""]

    out += ["## Claims and their checks", "",
            "Each sentence the answer stakes, and the check that would fail if it were false.", "",
            _report_line(site), ""]
    for c in q.claims:
        verdict = claim_outcome(c, site)
        if c.check:
            proof = f"proved by {check_link(src, c.check, site)}"
        else:
            proof = f"*no code can settle it: {_cell(c.unprovable)}*"
        out.append(f"- {badge(verdict.outcome)} {_cell(c.claim)}<br>\n  <small>{proof}</small>"
                   + _verdict_details(verdict, 4))
    out.append("")

    if q.solution:
        out += ["## Reference solution", ""]
        for ref in q.solution:
            module, name = ref.split(":")
            file = module.replace(".", "/") + ".py"
            contract_link = (f" · its contract: [`{name}`]({rel(src, 'contract.md#' + name)})"
                             if name in contract.NAMES else "")
            out += [f"`{file}` · `{name}`{contract_link}", "",
                    "```python", f'--8<-- "{file}:{name}"', "```", ""]

    figures = site.figures_of(q)
    if figures:
        out += ["## Figures", ""]
        out += [_figure(src, f) + "\n" for f in figures]

    if q.errata:
        out += ["## Errata", "", "Where a source document gets this wrong, and the check that shows it.", ""]
        for e in q.errata:
            verdict = claim_outcome(e, site)
            proof = check_link(src, e.check, site) if e.check else f"*{_cell(e.unprovable)}*"
            body = (f"**It says:** {_cell(e.says)}\n\n**What is right:** {_cell(e.correct)}\n\n"
                    f"{badge(verdict.outcome)} shown by {proof}" + _verdict_details(verdict, 0))
            out += [f'!!! bug "Seed item {e.source}"', _indent(body), ""]

    out += ["## Sources", "", "The items of the source documents this question covers "
            f"([all of them]({rel(src, 'coverage.md')})):", ""]
    for item in q.sources:
        meta = site.seeds.items.get(item)
        if meta is None:
            out.append(f"- `{item}` (not in the seed index)")
            continue
        canon = meta.get("canonical") or []
        tip = "; ".join(f"{c}: {site.seeds.canonical.get(c, '')}" for c in canon).replace('"', "'")
        out.append(f'- [{item}]({rel(src, "coverage.md#item-" + item)} "{_cell(tip)}"): '
                   f"document {meta['document']}, line {meta['line']}"
                   + (f" ({', '.join(canon)})" if canon else ""))
    out.append("")

    related = [r for r in q.related if r in site.by_id]
    if related:
        out += ["## Related questions", ""]
        out += [f"- [{_link_text(site.by_id[r].question)}]({rel(src, question_page(r))})" for r in related]
        out.append("")

    files = sorted({site.checks[n].file for n in q.checks if n in site.checks})
    if files:
        out += ["## Check it yourself", "", "```sh", f".venv/bin/pytest {' '.join(files)}", "```", ""]
    return "\n".join(out)


def render_topic(topic: str, site: Site) -> str:
    src = topic_page(topic)
    questions = site.topic_questions(topic)
    out = [_front(TOPICS[topic]), f"# {TOPICS[topic]}", ""]
    if not questions:
        out += ["No questions on this topic yet.", ""]
    else:
        claims = sum(len(q.claims) for q in questions)
        out += [f"{len(questions)} question{'s' * (len(questions) != 1)}, {claims} claims. "
                "Open one, answer it, then reveal.", "",
                "| Question | Difficulty | Tags | Verification |", "|---|---|---|---|"]
        for q in questions:
            tags = ", ".join(q.tags)
            out.append(f"| [{_cell(_link_text(q.question))}]({rel(src, question_page(q.id))}) | {q.difficulty} "
                       f"| {_cell(tags)} | {summary_badge(question_counts(q, site))} |")
        out.append("")
    for comp in TOPIC_COMPONENTS.get(topic, ()):
        c = contract.COMPONENTS.get(comp)
        if c:
            out += [f"**Implement it yourself:** [{c.title}]({rel(src, 'contract.md#' + comp)}) in the "
                    "implementation contract, graded by the same checks.", ""]
    figures = [f for f in site.figures if f.topic == topic]
    if figures:
        out += ["## Figures", ""] + [_figure(src, f) + "\n" for f in figures]
    return "\n".join(out)


def render_topics(site: Site) -> str:
    return "\n".join([_front("Topics"), "# Topics", "", topic_cards(site, "topics/index.md"), ""])


def topic_cards(site: Site, src: str) -> str:
    """Material grid cards: one per topic, with its counts and its verification status."""
    out = ['<div class="grid cards" markdown>', ""]
    for topic, title in TOPICS.items():
        questions = site.topic_questions(topic)
        counts = sum((question_counts(q, site) for q in questions), Counter())
        status = summary_badge(counts) if questions else ""
        noun = "question" if len(questions) == 1 else "questions"
        errata = sum(len(q.errata) for q in questions)
        counts_text = f"{len(questions)} {noun} · {sum(len(q.claims) for q in questions)} claims" + (
            f" · {errata} errata" if errata else "")
        out += [f"-   **[{title}]({rel(src, topic_page(topic))})**", "", "    ---", "",
                f"    {counts_text} {status}", ""]
    out += ["</div>"]
    return "\n".join(out)


def bank_summary(site: Site) -> str:
    """One paragraph of numbers for the home page."""
    qs = site.questions
    entries = [e for q in qs for e in [*q.claims, *q.errata]]
    counts = Counter(claim_outcome(e, site).outcome for e in entries)
    checked = sum(n for o, n in counts.items() if o != "unprovable")
    covered = {s for q in qs for s in q.sources}
    status = ", ".join(f"{badge(o)} {counts[o]}" for o in ("passed", "failed", "skipped", "not run") if counts[o])
    argued = counts["unprovable"]
    return (f"**{len(qs)} questions** on {len({q.topic for q in qs})} topics stake "
            f"**{sum(len(q.claims) for q in qs)} claims** and correct **{sum(len(q.errata) for q in qs)} "
            f"source errors**. {checked} of these are settled by a check ({status or 'none yet'})"
            + (f" and {argued} argued without one" if argued else "") + ". "
            f"They cover {len(covered & set(site.seeds.items))} of the {len(site.seeds.items)} items of "
            f"the source documents ([coverage](coverage.md)). {_report_line(site)}")


def render_checks_index(site: Site) -> str:
    """The verification page: what the last run proved, and what it did not."""
    src = "checks/index.md"
    v = site.verification
    out = [_front("Verification"), "# Verification", "",
           "Every claim on this site names the check that proves it. This page shows what the last "
           "run of those checks said; nothing here is written by hand.", ""]
    if v.ran:
        out += ["| report | torch | python | implementation graded | run at |", "|---|---|---|---|---|",
                f"| `{Path(v.path).name}` | {v.torch or '?'} | {v.python or '?'} | `{v.implementation or '?'}` "
                f"| {_when(v.generated)} |", ""]
        if site.stale:
            out += ['!!! warning "The report may be out of date"', _indent(f"{site.stale}. Run `make verify`."), ""]
    else:
        out += ['!!! warning "Not run"', _indent(_report_line(site)), ""]
    totals = Counter(v.verdict(n).outcome for n in site.checks)
    out += ["## Checks by file", "", "| check file | " + " | ".join(LABELS[o] for o in
            ("passed", "failed", "skipped", "not run")) + " |", "|---|---:|---:|---:|---:|"]
    for file in site.check_files():
        c = Counter(v.verdict(n).outcome for n, i in site.checks.items() if i.file == file)
        out.append(f"| [`{file}`]({rel(src, check_page(file))}) | "
                   + " | ".join(str(c[o]) for o in ("passed", "failed", "skipped", "not run")) + " |")
    out.append("| **all** | " + " | ".join(f"**{totals[o]}**" for o in ("passed", "failed", "skipped", "not run"))
               + " |")
    out.append("")
    for outcome, heading in (("failed", "Failed"), ("skipped", "Skipped"), ("not run", "Not run")):
        nodes = [n for n in site.checks if v.verdict(n).outcome == outcome]
        if not nodes:
            continue
        out += [f"## {heading}", ""]
        for n in nodes:
            verdict = v.verdict(n)
            out.append(f"- {badge(outcome)} {check_link(src, n, site)}" + _verdict_details(verdict, 4))
        out.append("")
    unprovable = [(q, c) for q in site.questions for c in [*q.claims, *q.errata] if c.check is None]
    if unprovable:
        out += ["## Claims no code can settle", "",
                "Stated in an answer, but argued rather than checked:", ""]
        out += [f"- [{_link_text(q.id)}]({rel(src, question_page(q.id))}): "
                f"{_cell(getattr(c, 'claim', None) or c.correct)} *({_cell(c.unprovable)})*" for q, c in unprovable]
        out.append("")
    out += ["## Reproduce it", "", "```sh",
            "make verify    # pytest checks --qbank-report build/verification.json, then qbank validate",
            "make site      # rebuild this site from the new report", "```", ""]
    return "\n".join(out)


def render_check_file(file: str, site: Site) -> str:
    src = check_page(file)
    v = site.verification
    # Kept out of the search index: the claims are found on the question pages, which cite
    # these checks by name, and indexing every line of highlighted code doubles the build time.
    out = [_front(Path(file).name, search={"exclude": True}), f"# `{file}`", ""]
    doc = site.check_docs.get(file, "")
    if doc:
        out += ['!!! info "What this file checks"', _indent(doc), ""]
    out += ["```sh", f".venv/bin/pytest {file}                       # against solutions/",
            f".venv/bin/pytest {file} --impl your_file.py   # against your implementation", "```", ""]
    for info in sorted((i for i in site.checks.values() if i.file == file), key=lambda i: i.start):
        verdict = v.verdict(info.node)
        timing = f" in {_seconds(verdict.duration)}" if verdict.duration is not None else ""
        out += [f"## `{info.name}` {{ #{info.name} }}", "",
                f"{badge(verdict.outcome)}{timing}" + _verdict_details(verdict, 0), ""]
        claimed = site.claimed_by.get(info.node, [])
        if claimed:
            out += ["Proves:", ""]
            out += [f"- {_cell(text)} ([{_link_text(q.id)}]({rel(src, question_page(q.id))}))" for q, text in claimed]
            out.append("")
        else:
            out += ["*No question claims this check yet.*", ""]
        out += ["```python", f'--8<-- "{file}:{info.start}:{info.end}"', "```", ""]
    out += ['??? note "The whole file, with its helpers"', "", "    ```python", f'    --8<-- "{file}"', "    ```", ""]
    return "\n".join(out)


def render_errata(site: Site) -> str:
    src = "errata.md"
    errata = [(q, e) for q in site.questions for e in q.errata]
    out = [_front("Errata"), "# Errata", "",
           f"{len(errata)} places where a source document is wrong, each with the question that corrects "
           "it and the check that demonstrates the correction.", ""]
    by_doc: dict[str, list] = {}
    for q, e in errata:
        doc = site.seeds.items.get(e.source, {}).get("document", e.source.split("-")[0])
        by_doc.setdefault(doc, []).append((q, e))
    for doc in sorted(by_doc):
        out += [f"## Document {doc}", ""]
        for q, e in sorted(by_doc[doc], key=lambda qe: _item_key(qe[1].source)):
            verdict = claim_outcome(e, site)
            proof = check_link(src, e.check, site) if e.check else f"*{_cell(e.unprovable)}*"
            out += [f"### {e.source}", "",
                    f"[Seed item {e.source}]({rel(src, 'coverage.md#item-' + e.source)}), corrected in "
                    f"[{_link_text(_plain(q.question))}]({rel(src, question_page(q.id))})", "",
                    f"**It says:** {_cell(e.says)}", "", f"**What is right:** {_cell(e.correct)}", "",
                    f"{badge(verdict.outcome)} shown by {proof}" + _verdict_details(verdict, 0), ""]
    if not errata:
        out += ["No errata yet.", ""]
    return "\n".join(out)


def _item_key(item: str) -> tuple:
    doc, _, rest = item.partition("-")
    return (doc, int(rest) if rest.isdigit() else 10_000, rest)


def render_coverage(site: Site) -> str:
    src = "coverage.md"
    covering: dict[str, list[Question]] = {}
    for q in site.questions:
        for s in q.sources:
            covering.setdefault(s, []).append(q)
    items = site.seeds.items
    missing = [i for i in items if i not in covering]
    out = [_front("Seed coverage"), "# Seed coverage", "",
           f"Every item of the five source documents, the canonical question it asks, and the bank's "
           f"questions that cover it: **{len(items) - len(missing)} of {len(items)} items covered**.", ""]
    if missing:
        out += ['!!! warning "Not covered yet"',
                _indent(", ".join(f"[`{m}`](#item-{m})" for m in missing)), ""]
    docs = sorted({meta["document"] for meta in items.values()})
    for doc in docs:
        out += [f"## Document {doc}", "", "| item | line | canonical question | covered by |", "|---|---:|---|---|"]
        for item, meta in items.items():
            if meta["document"] != doc:
                continue
            canon = "<br>".join(f"**{c}** {_cell(site.seeds.canonical.get(c, ''))}"
                                for c in meta.get("canonical") or [])
            qs = "<br>".join(f"[{_cell(_link_text(_plain(q.question)))}]({rel(src, question_page(q.id))})"
                             for q in covering.get(item, [])) or "**not covered**"
            out.append(f'| <span id="item-{item}"></span>`{item}` | {meta["line"]} | {canon} | {qs} |')
        out.append("")
    return "\n".join(out)


def render_contract(site: Site) -> str:
    src = "contract.md"
    doc = contract.__doc__ or ""
    _, _, conventions = doc.partition("Conventions, the same in every component:")
    conventions = conventions.split("Nothing here imports torch.")[0].strip()
    uses: dict[str, list[str]] = {}
    for node, info in site.checks.items():
        for name in info.uses:
            uses.setdefault(name, []).append(node)
    out = [_front("Implementation contract"), "# The implementation contract", "",
           "The checks never import the reference solutions: they ask *the implementation under test* "
           "for the names below. Write any of them in a file of your own, and the same checks that prove "
           "this bank grade your code; the checks of a name your file lacks are skipped, naming it.", "",
           "```sh", ".venv/bin/qbank practice attention           # writes attention.py: the stubs below",
           ".venv/bin/qbank grade attention.py             # which claims hold for your code",
           ".venv/bin/pytest checks --impl attention.py    # the same checks, straight from pytest",
           ".venv/bin/pytest checks --impl qbank.adapters.pytorch   # PyTorch's own modules pass them too",
           "```", ""]
    if conventions:
        out += ["## Conventions", "", textwrap.dedent(conventions), ""]
    for comp in contract.COMPONENTS.values():
        file = f"solutions/{comp.name}.py"
        out += [f"## {comp.title} {{ #{comp.name} }}", "", comp.summary, "",
                f"[Starter file `{comp.name}.py`]({rel(src, 'starters/' + comp.name + '.py')}): these stubs, "
                "to fill in.", ""]
        for name in comp.names:
            graders = uses.get(name.name, [])
            out += [f"### `{name.name}` {{ #{name.name} }}", "", "```python", name.stub.rstrip("\n"), "```", ""]
            if graders:
                out += [f"Graded by {len(graders)} check{'s' * (len(graders) != 1)}: "
                        + ", ".join(check_link(src, n, site) for n in sorted(graders)) + ".", ""]
            if name.name in site.solution_sections.get(file, set()):
                out += ['??? example "Reference solution (try yours first)"', "", "    ```python",
                        f'    --8<-- "{file}:{name.name}"', "    ```", ""]
    return "\n".join(out)


def starter_files() -> dict[str, str]:
    """starters/<component>.py -> the stubs of the contract, ready to fill in."""
    return {f"starters/{c}.py": contract.starter_file(c) for c in contract.COMPONENTS}


def pages(site: Site) -> dict[str, str]:
    """Every generated page: docs-relative path -> Markdown."""
    out = {question_page(q.id): render_question(q, site) for q in site.questions}
    out.update({topic_page(t): render_topic(t, site) for t in TOPICS})
    out.update({check_page(f): render_check_file(f, site) for f in site.check_files()})
    out["topics/index.md"] = render_topics(site)
    out["checks/index.md"] = render_checks_index(site)
    out["errata.md"] = render_errata(site)
    out["coverage.md"] = render_coverage(site)
    out["contract.md"] = render_contract(site)
    return out


def nav(site: Site) -> list:
    """The navigation: MkDocs `nav:` structure (paths relative to the docs dir)."""
    topics = [{title: [topic_page(t), *(question_page(q.id) for q in site.topic_questions(t))]}
              for t, title in TOPICS.items()]
    return [
        {"Home": "index.md"},
        {"Topics": ["topics/index.md", *topics]},
        {"Errata": "errata.md"},
        {"Seed coverage": "coverage.md"},
        {"Contract": "contract.md"},
        {"Verification": ["checks/index.md", *(check_page(f) for f in site.check_files())]},
        {"Tags": "tags.md"},
    ]


SHORTCODES = {
    "summary": lambda site, src: bank_summary(site),
    "topic-cards": lambda site, src: topic_cards(site, src),
}


def expand_shortcodes(markdown: str, src: str, site: Site) -> str:
    """Replace `<!-- qbank:NAME -->` in a hand-written page; an unknown NAME is an error."""
    def sub(m: re.Match) -> str:
        if m.group(1) not in SHORTCODES:
            raise ValueError(f"{src}: unknown shortcode <!-- qbank:{m.group(1)} --> "
                             f"(known: {', '.join(SHORTCODES)})")
        return SHORTCODES[m.group(1)](site, src)

    return re.sub(r"<!--\s*qbank:([a-z-]+)\s*-->", sub, markdown)
