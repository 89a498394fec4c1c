"""The study site's generated pages, as pure functions from the bank to Markdown.

`collect(root, report)` reads everything the pages need once (the questions, the checks'
line ranges and the contract names they read, the seed index, the verification report)
into a `Site`; every `render_*` function then turns a `Site` into the Markdown of one page,
with no I/O and no MkDocs import, so it can be unit-tested and reused by a plain pre-build
script. The MkDocs hook (`site/hooks.py`) only hands the results to MkDocs.

Page layout (paths are relative to the docs dir, `site/`):

    index.md                     home (hand-written; the hook expands its shortcodes)
    questions/index.md           every question, filterable by topic, difficulty and tag
    questions/<id>.md            one question      difficulty.md   every question by difficulty
    topics/index.md              all topics        topics/<topic>/index.md  one topic
    checks/index.md              verification      checks/<test_x>.md       one check file
    errata.md  coverage.md (the sources)  tags.md (hand-written)
    contract/index.md            the contract     contract/<component>.md  one component's stubs
    figures/<name>.svg           qbank.site.figures       starters/<component>.py  contract stubs

Try first, then reveal: a question page shows the question, its topic, difficulty and tags;
everything that gives the answer away (short and detailed answer, figures, the claims with
their checks, the reference solution, the errata) sits in collapsed blocks under a heading
marked `data-search-exclude`, so neither the page nor a search preview shows it unasked.

Counting, the same on every page: a *claim* is a sentence an answer stakes, an *erratum*
corrects a source, and each cites at most one *check* (a test function in `checks/`); one
check can back several claims, so badges count distinct checks.

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
from qbank.bank.checks import check_functions
from qbank.bank.loader import Bank, load_bank
from qbank.bank.schema import DIFFICULTIES, KINDS, TOPICS, Question
from qbank.bank.validate import SECTION, SeedIndex, item_label, seed_index
from qbank.grading.verification import Proofs, Verdict, Verification, load_proofs, load_verification

LABELS = {"passed": "passed", "failed": "failed", "skipped": "skipped", "not run": "not run",
          "unprovable": "no check"}
OUTCOMES = ("passed", "failed", "skipped", "not run")
KIND_LABELS = {"component": "grades your code", "fact": "fact", "library": "library behaviour"}
KIND_HELP = {"component": "its check runs the implementation under test, so `qbank grade` grades yours with it",
             "fact": "a fact of mathematics or numerics, derived by code, whatever your code does",
             "library": "how a library (PyTorch, Hugging Face) behaves, exercised directly"}
assert set(KIND_LABELS) == set(KINDS)  # a new kind needs a label here


# --- what the pages are made of ----------------------------------------------------------

@dataclass(frozen=True)
class CheckInfo:
    node: str  # checks/test_x.py::test_y
    file: str  # checks/test_x.py
    name: str  # test_y
    start: int  # first line, decorators included
    end: int  # last line
    uses: frozenset[str] = frozenset()  # contract names it reads from `impl` (qbank.bank.checks)

    @property
    def components(self) -> list[str]:
        """The contract components whose names it reads, in curriculum order."""
        return [c for c in contract.COMPONENTS if any(contract.NAMES[n].component == c
                                                      for n in self.uses if n in contract.NAMES)]


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
    check_rest: dict[str, str] = field(default_factory=dict)  # checks/test_x.py -> line ranges of its helpers
    proofs: Proofs = field(default_factory=Proofs)  # the bugs each check fails for, the code it passes with
    proofs_stale: bool = False  # the checks, solutions or contract changed since the proofs were made

    def __post_init__(self) -> None:
        self.by_id = {q.id: q for q in self.questions}
        self.claimed_by: dict[str, list[tuple[Question, str]]] = {}  # check -> (question, what it proves)
        for q in self.questions:
            for entry in [*q.claims, *q.errata]:
                if entry.check:
                    self.claimed_by.setdefault(entry.check, []).append((q, statement(entry)))

    def topic_questions(self, topic: str) -> list[Question]:
        return [q for q in self.questions if q.topic == topic]

    def check_files(self) -> list[str]:
        return sorted({c.file for c in self.checks.values()})

    def figures_of(self, q: Question) -> list[FigureRef]:
        return [f for f in self.figures if q.id in f.questions]

    def components_of(self, entry) -> list[str]:
        """The contract components a `component` claim's check grades (none for a fact)."""
        info = self.checks.get(entry.check) if entry.check else None
        return info.components if info and entry.kind == "component" else []

    def grading(self, component: str) -> list[tuple[Question, object]]:
        """Every claim and erratum (with its question) whose check grades `component`."""
        return [(q, e) for q in self.questions for e in [*q.claims, *q.errata]
                if component in self.components_of(e)]


def statement(entry) -> str:
    """What a claim or an erratum stakes, as one sentence."""
    return entry.claim if hasattr(entry, "claim") else entry.correct


def collect(root: Path, report: Path, bank: Bank | None = None, figures: bool = True,
            reads: dict[str, set[str]] | None = None, proofs: Path | None = None) -> Site:
    """Read everything the pages show. `report` missing means every check is "not run";
    `proofs` (build/check-proofs.json) missing, that no check page lists bugs or libraries.
    `reads` (check -> the contract names it reads) is `qbank.bank.checks.check_functions(root)`,
    the reading `qbank validate` holds kinds to; pass its report's to read the checks once."""
    bank = bank or load_bank(root)
    order = {t: i for i, t in enumerate(TOPICS)}
    questions = sorted(bank.questions, key=lambda q: (order[q.topic], DIFFICULTIES.index(q.difficulty), q.id))
    reads = check_functions(root) if reads is None else reads
    checks, docs, rest = {}, {}, {}
    for path in sorted((root / "checks").glob("test_*.py")):
        file = f"checks/{path.name}"
        found, docs[file], rest[file] = scan_checks(path.read_text(encoding="utf-8"), file)
        checks.update({node: _with_uses(info, reads.get(node, set())) for node, info in found.items()})
    sections = {}
    for path in sorted((root / "solutions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        sections[f"solutions/{path.name}"] = {n.name for n in contract.NAMES.values()
                                              if SECTION.format(name=n.name) in text}
    verification = load_verification(report)
    site = Site(questions, checks, docs, seed_index(), verification,
                solution_sections=sections, stale=_staleness(root, verification), check_rest=rest,
                proofs=load_proofs(proofs) if proofs else Proofs())
    if site.proofs.inputs:
        from qbank.site.digest import check_run_digest

        site.proofs_stale = site.proofs.inputs != check_run_digest(root)
    if figures:
        from qbank.site.figures import FIGURES

        site.figures = [FigureRef(f.name, f.title, f.caption, f.topic,
                                  tuple(q.id for q in questions if f.attach(q))) for f in FIGURES]
    return site


def _with_uses(info: CheckInfo, uses: set[str]) -> CheckInfo:
    return CheckInfo(info.node, info.file, info.name, info.start, info.end, frozenset(uses))


def scan_checks(source: str, file: str) -> tuple[dict[str, CheckInfo], str, str]:
    """Every top-level `test_*` function of a check file with its line range; the module
    docstring; and the line ranges of everything else (imports, helpers), as snippet ranges
    ("1:20,31:40"). Which contract names a check reads is `qbank.bank.checks`' business."""
    tree = ast.parse(source)
    found, others = {}, []
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            found[f"{file}::{node.name}"] = CheckInfo(f"{file}::{node.name}", file, node.name, start, node.end_lineno)
        elif not (node is tree.body[0] and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            others.append((start, node.end_lineno))  # the docstring is shown as prose instead
    lines = source.splitlines()
    merged: list[list[int]] = []
    for start, end in others:
        if merged and not "".join(lines[merged[-1][1]:start - 1]).strip():  # only blank lines between
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return found, ast.get_docstring(tree) or "", ",".join(f"{a}:{b}" for a, b in merged)


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


# --- counting ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    """The counts every page states, computed one way: claims, errata, the claims and errata
    argued without code, and the distinct checks they cite with each one's outcome."""

    questions: int
    claims: int
    errata: int
    argued: int
    checks: dict[str, str]  # check node -> outcome

    @property
    def outcomes(self) -> Counter:
        return Counter(self.checks.values())

    def badge(self) -> str:
        counts, n = self.outcomes, len(self.checks)
        if not n:
            return badge("unprovable", "no code check")
        state = overall(counts)
        if state == "passed":
            return badge("passed", f"{n}/{n} checks passed")
        return badge(state, f"{counts[state]}/{n} checks {LABELS[state]}")

    def words(self) -> str:
        """'6 questions · 53 claims · 10 errata · 45 checks' (questions only when more than one)."""
        parts = [_n(self.questions, "question")] if self.questions != 1 else []
        parts += [_n(self.claims, "claim"), _n(self.errata, "erratum", "errata"), _n(len(self.checks), "check")]
        return " · ".join(p for p in parts if not p.startswith("0 ") or "claim" in p)


def tally(questions: list[Question], site: Site) -> Tally:
    entries = [e for q in questions for e in [*q.claims, *q.errata]]
    checks = {e.check: site.verification.verdict(e.check).outcome for e in entries if e.check}
    return Tally(len(questions), sum(len(q.claims) for q in questions), sum(len(q.errata) for q in questions),
                 sum(1 for e in entries if not e.check), checks)


def overall(counts: Counter) -> str:
    """One word for a set of outcomes: any failure wins, then anything not run, then skips."""
    for outcome in ("failed", "not run", "skipped"):
        if counts[outcome]:
            return outcome
    return "passed" if counts["passed"] else "unprovable"


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


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


def contract_page(component: str) -> str:
    return f"contract/{component}.md"


def contract_anchor(name: str) -> str:
    """Where a contract name is described: its component's page, at its own heading."""
    return f"{contract_page(contract.NAMES[name].component)}#{name}"


CONTRACT = "contract/index.md"
ALL_QUESTIONS = "questions/index.md"
BY_DIFFICULTY = "difficulty.md"
SOURCES = "coverage.md"


def check_link(src: str, node: str, site: Site) -> str:
    info = site.checks.get(node)
    label = f"`{node.removeprefix('checks/')}`"
    if info is None:  # validate reports it (and fails a strict build); the page still names it
        return f"{label} (no such check)"
    return f"[{label}]({rel(src, check_page(info.file) + '#' + info.name)})"


def badge(outcome: str, text: str | None = None) -> str:
    css = outcome.replace(" ", "-")
    return f'<span class="qb-badge qb-{css}">{_html(text or LABELS.get(outcome, outcome))}</span>'


def kind_badge(kind: str | None) -> str:
    if kind is None:
        return ""
    return (f'<span class="qb-kind qb-kind-{kind}" title="{_html(KIND_HELP[kind])}">'
            f"{KIND_LABELS[kind]}</span>")


def kind_legend(entries) -> str:
    """What the kinds of claim on this page mean, one per line."""
    kinds = [k for k in KINDS if any(e.kind == k for e in entries)]
    return "  \n".join(f"{kind_badge(k)} {KIND_HELP[k]}" for k in kinds) + "\n{ .qb-legend }" if kinds else ""


def difficulty_label(difficulty: str) -> str:
    return f'<span class="qb-diff qb-diff-{difficulty}" data-difficulty="{difficulty}">{difficulty}</span>'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(text: str) -> str:
    """Text safe inside one Markdown table cell (or one paragraph line)."""
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


def _details(kind: str, title: str, body: str) -> str:
    """A block collapsed until its title is clicked (pymdownx.details)."""
    return f'??? {kind} "{_attr(title)}"\n{_indent(body)}'


def _attr(text: str) -> str:
    """Text inside double quotes (a collapsed block's title, a link's tooltip)."""
    return " ".join(text.split()).replace('"', "'")


def _unsearched(body: str) -> str:
    """Markdown kept out of the search index (and so out of search previews)."""
    return f"/// html | div[data-search-exclude]\n{body.strip(chr(10))}\n///"


# --- notation ---------------------------------------------------------------------------------

# Claims, short answers and errata are written as plain text ("√d_k", "W_Q", "d_model") while
# the detailed answers use $...$ math; `typeset` turns that plain notation into the same math
# ($\sqrt{d_k}$, $W_Q$, $d_{model}$), leaving code spans and existing $...$ alone. Only a
# one-letter symbol with a one-character or a listed subscript counts, so snake_case names
# (max_len, is_pad, norm_first) stay as written.
_SUBSCRIPT_WORDS = "model|ff|in|out|head|hidden|vocab|max|min|emb"
_SYMBOL = rf"[A-Za-z]_(?:{_SUBSCRIPT_WORDS}|[A-Za-z0-9])"
_NOTATION = re.compile(rf"√(?:(?P<root>{_SYMBOL}|[A-Za-z]|\d+))(?![\w(])|(?<![\w\\$])(?P<sym>{_SYMBOL})(?![\w(])")
_PROTECTED = re.compile(r"(`+)(?:(?!\1).)+\1|\$[^$\n]+\$")  # code spans and math already written as such


def _tex(symbol: str) -> str:
    base, _, sub = symbol.partition("_")
    return f"{base}_{{{sub}}}" if len(sub) > 1 else symbol


def notation_spans(text: str) -> list[tuple[str, str, str]]:
    """`text` cut into ("text", text, text) and ("math", TeX, the plain text it replaces) pieces."""
    pieces: list[tuple[str, str, str]] = []
    pos = 0
    for protected in [*_PROTECTED.finditer(text), None]:
        end = protected.start() if protected else len(text)
        chunk, last = text[pos:end], 0
        for m in _NOTATION.finditer(chunk):
            pieces.append(("text", chunk[last:m.start()], chunk[last:m.start()]))
            tex = f"\\sqrt{{{_tex(m['root'])}}}" if m["root"] else _tex(m["sym"])
            pieces.append(("math", tex, m.group(0)))
            last = m.end()
        pieces.append(("text", chunk[last:], chunk[last:]))
        if protected:
            pieces.append(("text", protected.group(0), protected.group(0)))
            pos = protected.end()
    return [piece for piece in pieces if piece[1]]


def typeset(text: str) -> str:
    """Markdown with plain notation turned into $...$ math (see above)."""
    return "".join(f"${s}$" if kind == "math" else s for kind, s, _ in notation_spans(" ".join(text.split())))


def typeset_indexed(text: str) -> str:
    """Like `typeset`, for text the search index shows: each formula is rendered but kept
    out of the index, which gets the plain text instead (hidden on the page), so a search
    preview reads "√d_k" rather than raw TeX."""
    return "".join(f'<span class="qb-math" data-search-exclude>${s}$</span>'
                   f'<span class="qb-index-only">{_html(raw)}</span>' if kind == "math" else s
                   for kind, s, raw in notation_spans(" ".join(text.split())))


# --- the verification of one claim -------------------------------------------------------

def claim_outcome(entry, site: Site) -> Verdict:
    if entry.check is None:
        return Verdict("unprovable", None, entry.unprovable)
    return site.verification.verdict(entry.check)


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


def _verdict_details(verdict: Verdict) -> str:
    """A failure's message, as a collapsed block of its own (to follow, never to nest in, a
    paragraph); a skip's reason, as a sentence. Empty otherwise."""
    if verdict.outcome == "failed" and verdict.message:
        body = "```text\n" + verdict.message.replace("```", "'''") + "\n```"
        return _details("failure", "What the check reported", body)
    if verdict.outcome == "skipped" and verdict.message:
        return f"*Skipped: {_cell(verdict.message)}.*"
    return ""


def _proof(src: str, entry, site: Site, verb: str = "proved by") -> str:
    """The line under a claim: its kind, the contract names it grades, the check that proves it."""
    if entry.check is None:
        return f"<small>*argued, not checked: {_cell(entry.unprovable)}*</small>"
    info = site.checks.get(entry.check)
    graded = ""
    if entry.kind == "component" and info and info.uses:
        graded = " " + ", ".join(f"[`{n}`]({rel(src, contract_anchor(n))})" for n in sorted(info.uses)) + " ·"
    return f"{kind_badge(entry.kind)}<small>{graded} {verb} {check_link(src, entry.check, site)}</small>"


def render_claims(src: str, entries: list, site: Site) -> str:
    """Claims as a flat run of numbered paragraphs, each followed by its own failure report
    (a Markdown list item would swallow every later claim into the failed one's block)."""
    out = []
    for i, c in enumerate(entries, 1):
        verdict = claim_outcome(c, site)
        out.append(f'<span class="qb-num">{i}</span> {badge(verdict.outcome)} {typeset(c.claim)}<br>\n'
                   f"{_proof(src, c, site)}\n{{ .qb-claim }}")
        if details := _verdict_details(verdict):
            out.append(details)
    return "\n\n".join(out)


def source_line(src: str, item: str, site: Site) -> str:
    """A seed item as a reader sees it: the document's title and what the item is about."""
    meta = site.seeds.items.get(item)
    if meta is None:
        return f"`{item}` (not in the seed index)"
    about = meta.get("about")
    return (f"*{_link_text(site.seeds.document_title(meta['document']))}*, {item_label(item)}"
            + (f": {typeset(about)}" if about else "")
            + f' · [`{item}`]({rel(src, SOURCES + "#item-" + item)} "every question that covers it")')


def render_errata(src: str, errata: list, site: Site, think_first: bool = False) -> str:
    """Errata as flat paragraphs: where, what it says, what is right, and the check. With
    `think_first`, what is right (and its check) is collapsed under what the source says."""
    out = []
    for e in errata:
        verdict = claim_outcome(e, site)
        where = f"{source_line(src, e.source, site)}  \n**It says:** {typeset(e.says)}"
        right = f"**What is right:** {typeset(e.correct)}"
        proof = f"{badge(verdict.outcome)} {_proof(src, e, site, 'shown by')}"
        details = _verdict_details(verdict)
        if think_first:
            body = "\n\n".join(filter(None, [f"{typeset(e.correct)}", proof, details]))
            out += [f"{where}\n{{ .qb-erratum }}", _details("success", "What is right", body)]
        else:
            out.append(f"{where}  \n{right}  \n{proof}\n{{ .qb-erratum }}")
            if details:
                out.append(details)
    return "\n\n".join(out)


def _figure(src: str, fig: FigureRef) -> str:
    """An image and its caption as two plain paragraphs (no HTML block: figures sit inside
    collapsed blocks, where raw HTML and nested generic blocks do not survive)."""
    return (f"![{_link_text(fig.title)}]({rel(src, fig.path)}){{ .qb-figure }}\n\n"
            f"**{_link_text(fig.title)}.** {' '.join(fig.caption.split())}\n{{ .qb-caption }}")


# --- pages -----------------------------------------------------------------------------------

def render_question(q: Question, site: Site) -> str:
    src = question_page(q.id)
    t = tally([q], site)
    out = [_front(q.short_title, tags=q.tags, search={"boost": 2}),
           f"# {typeset_indexed(_link_text(q.short_title))}", "",
           f"{typeset_indexed(q.question)}\n{{ .qb-question }}", "",
           f"[{TOPICS[q.topic]}]({rel(src, topic_page(q.topic))}) · "
           f"[{difficulty_label(q.difficulty)}]({rel(src, BY_DIFFICULTY + '#' + q.difficulty)}) · "
           f"{t.badge()}  \n<small>In the terminal: `qbank show {q.id}`</small>", "",
           "## The answer { #answer data-search-exclude }", ""]

    # The block opens with a paragraph: pymdownx.blocks would otherwise move its last `???`
    # block to the front (tests/test_render.py converts a page to check the order).
    reveal = ["*Try it first: answer out loud or on paper, then reveal one step at a time.*",
              _details("abstract", "Short answer: what you would say in 30 seconds", typeset(q.answer.short)),
              _details("success", "Detailed answer", q.answer.detailed)]
    figures = site.figures_of(q)
    if figures:
        reveal.append(_details("info", f"Figures ({len(figures)})", "\n\n".join(_figure(src, f) for f in figures)))
    claims = [f"Each sentence the answer stakes, with the check that would fail if it were false "
              f"({t.words()}).", kind_legend([*q.claims, *q.errata]),
              _report_line(site), render_claims(src, list(q.claims), site)]
    reveal.append(_details("tip", f"Claims and their checks ({len(q.claims)})", "\n\n".join(claims)))
    if q.solution:
        code = []
        for ref in q.solution:
            module, name = ref.split(":")
            file = module.replace(".", "/") + ".py"
            contract_link = (f" · its contract: [`{name}`]({rel(src, contract_anchor(name))})"
                             if name in contract.NAMES else "")
            code += [f"`{file}` · `{name}`{contract_link}", f'```python\n--8<-- "{file}:{name}"\n```']
        reveal.append(_details("example", "Reference solution", "\n\n".join(code)))
    if q.errata:
        body = ("Where a source document gets this wrong, and the check that shows it.\n\n"
                + render_errata(src, list(q.errata), site))
        reveal.append(_details("bug", f"Errata: where the sources go wrong ({len(q.errata)})", body))
    out += [_unsearched("\n\n".join(reveal)), ""]

    related = [r for r in q.related if r in site.by_id]
    if related:
        out += ["## Related questions { data-search-exclude }", ""]
        out += [f"- [{_link_text(site.by_id[r].short_title)}]({rel(src, question_page(r))}) "
                f"· {difficulty_label(site.by_id[r].difficulty)}" for r in related]
        out.append("")

    out += ["## Sources { data-search-exclude }", "",
            f"The items of the source documents this question covers ([all sources]({rel(src, SOURCES)})):", ""]
    out += [f"- {source_line(src, item, site)}" for item in q.sources]
    out.append("")

    components = sorted({c for e in [*q.claims, *q.errata] for c in site.components_of(e)},
                        key=list(contract.COMPONENTS).index)
    files = sorted({site.checks[n].file for n in q.checks if n in site.checks})
    if files or components:
        out += ["## Practise it { data-search-exclude }", ""]
        if components:
            out += ["Implement " + ", ".join(f"[{contract.COMPONENTS[c].title}]({rel(src, contract_page(c))})"
                                             for c in components)
                    + " yourself: the claims marked *grades your code* then grade your file "
                    f"(`qbank practice {components[0]}`, then `qbank grade {components[0]}.py`).", ""]
        if files:
            out += ["```sh", f".venv/bin/pytest {' '.join(files)}", "```", ""]
    return "\n".join(out)


def question_table(src: str, questions: list[Question], site: Site, columns: tuple[str, ...]) -> str:
    """A table of questions (short title, with the full question as its tooltip) that reflows
    into one card per question on a phone (see qbank.css: .qb-table)."""
    heads = {"question": "Question", "topic": "Topic", "difficulty": "Difficulty", "tags": "Tags",
             "verification": "Checks"}
    rows = ["| " + " | ".join(heads[c] for c in columns) + " |", "|" + "---|" * len(columns)]
    for q in questions:
        cells = {
            "question": f'[{_link_text(q.short_title)}]({rel(src, question_page(q.id))} "{_attr(q.question)}")',
            "topic": f'<span data-topic="{q.topic}">[{_link_text(TOPICS[q.topic])}]({rel(src, topic_page(q.topic))})'
                     "</span>",
            "difficulty": difficulty_label(q.difficulty),
            "tags": " ".join(f'<span class="qb-tag" data-tag="{t}">{t}</span>' for t in q.tags),
            "verification": tally([q], site).badge(),
        }
        rows.append("| " + " | ".join(_cell(cells[c]) for c in columns) + " |")
    return '<div class="qb-table" markdown>\n\n' + "\n".join(rows) + "\n\n</div>"


def render_topic(topic: str, site: Site) -> str:
    src = topic_page(topic)
    questions = site.topic_questions(topic)
    out = [_front(TOPICS[topic]), f"# {TOPICS[topic]}", ""]
    if not questions:
        return "\n".join(out + ["No questions on this topic yet.", ""])
    t = tally(questions, site)
    by_difficulty = Counter(q.difficulty for q in questions)
    out += [f"{t.words()} {t.badge()}", "",
            "By difficulty: " + " · ".join(
                f"[{difficulty_label(d)} {by_difficulty[d]}]({rel(src, ALL_QUESTIONS)}?topic={topic}&difficulty={d})"
                for d in DIFFICULTIES if by_difficulty[d]) + ". Open a question, answer it, then reveal.", "",
            question_table(src, questions, site, ("question", "difficulty", "tags", "verification")), ""]
    grading = Counter(c for q in questions for e in [*q.claims, *q.errata] for c in site.components_of(e))
    if grading:
        out += ["## Implement it yourself", "",
                "The claims of this topic that run the implementation under test grade yours too:", ""]
        out += [f"- [{contract.COMPONENTS[c].title}]({rel(src, contract_page(c))}): graded by "
                f"{_n(n, 'claim')} of this topic (`qbank practice {c}`)"
                for c, n in sorted(grading.items(), key=lambda cn: list(contract.COMPONENTS).index(cn[0]))]
        out.append("")
    figures = [f for f in site.figures if f.topic == topic]
    if figures:
        out += ["## Figures { data-search-exclude }", "",
                _details("info", f"The figures of this topic ({len(figures)}); they show answers",
                         "\n\n".join(_figure(src, f) for f in figures)), ""]
    return "\n".join(out)


def render_topics(site: Site) -> str:
    return "\n".join([_front("By topic"), "# Topics", "", topic_cards(site, "topics/index.md"), ""])


def topic_cards(site: Site, src: str) -> str:
    """Material grid cards: one per topic, with its counts, its difficulties and its status."""
    out = ['<div class="grid cards" markdown>', ""]
    for topic, title in TOPICS.items():
        questions = site.topic_questions(topic)
        t = tally(questions, site)
        status = t.badge() if questions else ""
        counts = Counter(q.difficulty for q in questions)
        levels = " · ".join(f"[{d} {counts[d]}]({rel(src, ALL_QUESTIONS)}?topic={topic}&difficulty={d})"
                            for d in DIFFICULTIES if counts[d])
        out += [f"-   **[{title}]({rel(src, topic_page(topic))})**", "", "    ---", "",
                f"    {_n(len(questions), 'question')} · {_n(t.claims, 'claim')} {status}", ""]
        if levels:
            out += [f"    {levels}", ""]
    out += ["</div>"]
    return "\n".join(out)


def bank_summary(site: Site) -> str:
    """One paragraph of numbers for the home page, counted as every other page counts."""
    t = tally(site.questions, site)
    covered = {s for q in site.questions for s in q.sources}
    status = ", ".join(f"{badge(o)} {t.outcomes[o]}" for o in OUTCOMES if t.outcomes[o])
    return (f"**{_n(len(site.questions), 'question')}** on {len({q.topic for q in site.questions})} topics "
            f"stake **{_n(t.claims, 'claim')}** and correct **{_n(t.errata, 'source error')}** (errata). "
            f"They cite **{_n(len(t.checks), 'check')}** (test functions; one check can back several claims): "
            f"{status or 'none yet'}"
            + (f"; {t.argued} claims and errata are argued without code" if t.argued else "") + ". "
            f"They cover {len(covered & set(site.seeds.items))} of the {len(site.seeds.items)} items of "
            f"the [five source documents]({SOURCES}). {_report_line(site)}")


def render_all_questions(site: Site) -> str:
    """Every question in one table, with a filter by topic, difficulty, tag and words (the
    filter is a small script, qbank.js; its state is in the address, e.g. #difficulty=hard)."""
    src = ALL_QUESTIONS
    topics = [t for t in TOPICS if site.topic_questions(t)]
    tags = Counter(tag for q in site.questions for tag in q.tags)

    def select(name: str, everything: str, options: list[tuple[str, str]]) -> str:
        opts = "".join(f'<option value="{_html(v)}">{_html(label)}</option>' for v, label in options)
        return (f'<label>{name.capitalize()} <select data-filter="{name}"><option value="">{everything}</option>'
                f"{opts}</select></label>")

    controls = ('<form class="qb-filter" data-search-exclude hidden>'
                + select("topic", "all topics", [(t, TOPICS[t]) for t in topics])
                + select("difficulty", "all", [(d, d) for d in DIFFICULTIES])
                + select("tag", "all tags", [(tag, f"{tag} ({n})") for tag, n in sorted(tags.items())])
                + '<label>Words <input type="search" data-filter="words" placeholder="in the title or question">'
                  "</label>"
                + '<output class="qb-filter-count" aria-live="polite"></output>'
                  '<button type="reset">Show all</button></form>')
    return "\n".join([
        _front("All questions", search={"exclude": True}), "# All questions", "",
        f"{tally(site.questions, site).words()}. Filter them by topic, difficulty, tag or words; the "
        "filter is kept in the page's address, so a filtered list can be bookmarked. "
        f"[By difficulty]({rel(src, BY_DIFFICULTY)}), [by topic]({rel(src, 'topics/index.md')}) and "
        f"[by tag]({rel(src, 'tags.md')}) are the same lists, static.", "",
        controls, "",
        question_table(src, site.questions, site, ("question", "topic", "difficulty", "tags", "verification")), ""])


def render_difficulty(site: Site) -> str:
    src = BY_DIFFICULTY
    counts = Counter(q.difficulty for q in site.questions)
    out = [_front("By difficulty", search={"exclude": True}), "# Questions by difficulty", "",
           " · ".join(f"[{difficulty_label(d)} {counts[d]}](#{d})" for d in DIFFICULTIES)
           + f", across every topic. To narrow it down by topic or tag too, use the "
             f"[filter]({rel(src, ALL_QUESTIONS)}).", ""]
    for d in DIFFICULTIES:
        questions = [q for q in site.questions if q.difficulty == d]
        out += [f"## {d.capitalize()} {{ #{d} }}", ""]
        out += [question_table(src, questions, site, ("question", "topic", "tags", "verification"))
                if questions else "None yet.", ""]
    return "\n".join(out)


def render_checks_index(site: Site) -> str:
    """The verification page: what the last run proved, and what it did not."""
    src = "checks/index.md"
    v = site.verification
    t = tally(site.questions, site)
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
    kinds = Counter()
    for node in site.checks:
        found = {e.kind for q in site.questions for e in [*q.claims, *q.errata] if e.check == node}
        kinds[next(iter(sorted(found))) if len(found) == 1 else "mixed" if found else "unclaimed"] += 1
    out += [f"**{_n(len(site.checks), 'check')}** in {_n(len(site.check_files()), 'file')}; the bank's "
            f"{_n(t.claims, 'claim')} and {_n(t.errata, 'erratum', 'errata')} cite {len(t.checks)} of them "
            "(one check can back several claims). "
            + "; ".join(f"{kinds[k]} {kind_badge(k)}" for k in KINDS if kinds[k])
            + (f"; {kinds['mixed']} cited with different kinds" if kinds["mixed"] else "")
            + (f"; {kinds['unclaimed']} cited by no claim" if kinds["unclaimed"] else "") + ".", ""]
    totals = Counter(v.verdict(n).outcome for n in site.checks)
    out += ["## Checks by file", "", "| check file | " + " | ".join(LABELS[o] for o in OUTCOMES) + " |",
            "|---|---:|---:|---:|---:|"]
    for file in site.check_files():
        c = Counter(v.verdict(n).outcome for n, i in site.checks.items() if i.file == file)
        out.append(f"| [`{file}`]({rel(src, check_page(file))}) | "
                   + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    out.append("| **all** | " + " | ".join(f"**{totals[o]}**" for o in OUTCOMES) + " |")
    out.append("")
    for outcome, heading in (("failed", "Failed"), ("skipped", "Skipped"), ("not run", "Not run")):
        nodes = [n for n in site.checks if v.verdict(n).outcome == outcome]
        if not nodes:
            continue
        out += [f"## {heading} {{ data-search-exclude }}", ""]  # check names read as claims
        for n in nodes:
            out.append(f"{badge(outcome)} {check_link(src, n, site)}\n{{ .qb-claim }}")
            if details := _verdict_details(v.verdict(n)):
                out.append(details)
            out.append("")
    unprovable = [(q, c) for q in site.questions for c in [*q.claims, *q.errata] if c.check is None]
    if unprovable:
        out += ["## Claims no code can settle { data-search-exclude }", "",
                "Stated in an answer, but argued rather than checked:", ""]
        out += [f"- [{_link_text(q.short_title)}]({rel(src, question_page(q.id))}): "
                f"{typeset(statement(c))} *({_cell(c.unprovable)})*" for q, c in unprovable]
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
    if site.proofs_stale:
        out += ['!!! warning "The bugs and libraries listed here may be out of date"',
                _indent("The checks, the solutions or the contract changed since `make proofs` found which "
                        "classic bugs each check fails for and which libraries it passes with. Run "
                        "`make proofs`, then `make site`."), ""]
    out += ["```sh", f".venv/bin/pytest {file}                       # against solutions/",
            f".venv/bin/pytest {file} --impl your_file.py   # against your implementation", "```", ""]
    for info in sorted((i for i in site.checks.values() if i.file == file), key=lambda i: i.start):
        verdict = v.verdict(info.node)
        timing = f" in {_seconds(verdict.duration)}" if verdict.duration is not None else ""
        graded = (" · reads " + ", ".join(f"[`{n}`]({rel(src, contract_anchor(n))})" for n in sorted(info.uses))
                  if info.uses else "")
        out += [f"## `{info.name}` {{ #{info.name} }}", "", f"{badge(verdict.outcome)}{timing}{graded}", ""]
        if details := _verdict_details(verdict):
            out += [details, ""]
        claimed = site.claimed_by.get(info.node, [])
        if claimed:
            out += ["Proves:", ""]
            out += [f"- {typeset(text)} ([{_link_text(q.short_title)}]({rel(src, question_page(q.id))}))"
                    for q, text in claimed]
            out.append("")
        else:
            out += ["*No question claims this check yet.*", ""]
        out += proof_lines(site.proofs, info.node)
        out += ["```python", f'--8<-- "{file}:{info.start}:{info.end}"', "```", ""]
    if site.check_rest.get(file):
        out += ['??? note "The rest of the file: imports and helpers"', "", "    ```python",
                f'    --8<-- "{file}:{site.check_rest[file]}"', "    ```", ""]
    return "\n".join(out)


def proof_lines(proofs: Proofs, node: str) -> list[str]:
    """What proves a check itself: the classic bugs it fails for (so it can fail) and the
    libraries and code bases it passes with (so it accepts correct code written by others)."""
    out = []
    if bugs := proofs.fails_for(node):
        out += [f'??? success "Fails for {_n(len(bugs), "classic bug")}: it can fail"', "",
                *(_indent(f"- {_html(bug)} (`{file}`)") for file, bug in bugs), ""]
    if passes := proofs.passes_with(node):
        out += ["Passes with " + ", ".join(_html(p) for p in passes) + ".", ""]
    return out


def render_errata_page(site: Site) -> str:
    src = "errata.md"
    errata = [(q, e) for q in site.questions for e in q.errata]
    out = [_front("Errata", search={"exclude": True}), "# Errata", "",
           f"{_n(len(errata), 'place')} where a source document is wrong, in "
           f"{_n(len({q.id for q, _ in errata}), 'question')}, grouped by topic. Each says where and what "
           "the source says; think about what is wrong with it, then open *What is right* for the correction "
           f"and the check that demonstrates it. The documents are described on [Sources]({rel(src, SOURCES)}).",
           ""]
    for topic, title in TOPICS.items():
        questions = [q for q in site.topic_questions(topic) if q.errata]
        if not questions:
            continue
        out += [f"## {title} {{ #{topic} }}", ""]
        for q in questions:
            out += [f"### [{_link_text(q.short_title)}]({rel(src, question_page(q.id))})", "",
                    render_errata(src, list(q.errata), site, think_first=True), ""]
    if not errata:
        out += ["No errata yet.", ""]
    return "\n".join(out)


def render_coverage(site: Site) -> str:
    src = SOURCES
    covering: dict[str, list[Question]] = {}
    for q in site.questions:
        for s in q.sources:
            covering.setdefault(s, []).append(q)
    items = site.seeds.items
    missing = [i for i in items if i not in covering]
    out = [_front("Sources", search={"exclude": True}), "# Sources", "",
           f"The bank was written from {_n(len(site.seeds.documents) or 5, 'document')}, read critically: "
           f"every item in them, what it is about, and the bank's questions that cover it "
           f"(**{len(items) - len(missing)} of {len(items)} items covered**). Where an item is wrong, the "
           f"question covering it has an [erratum]({rel(src, 'errata.md')}).", ""]
    if missing:
        out += ['!!! warning "Not covered yet"',
                _indent(", ".join(f"[`{m}`](#item-{m})" for m in missing)), ""]
    for doc in sorted({meta["document"] for meta in items.values()}):
        info = site.seeds.documents.get(doc) or {}
        out += [f"## {_link_text(site.seeds.document_title(doc))} {{ #doc-{doc} }}", ""]
        if info:
            out += [f"Document {doc}: {info.get('kind', '')} (`seeds/{info.get('file', '')}`).", ""]
        rows = ["| item | about | covered by |", "|---|---|---|"]
        for item, meta in items.items():
            if meta["document"] != doc:
                continue
            qs = "<br>".join(f"[{_cell(_link_text(q.short_title))}]({rel(src, question_page(q.id))})"
                             for q in covering.get(item, [])) or "**not covered**"
            rows.append(f'| <span id="item-{item}"></span>`{item}` {item_label(item)}, line {meta["line"]} '
                        f"| {_cell(typeset(meta.get('about', '')))} | {qs} |")
        out += ['<div class="qb-table" markdown>', "", *rows, "", "</div>", ""]
    return "\n".join(out)


def _contract_uses(site: Site) -> dict[str, list[str]]:
    """contract name -> the checks that read it."""
    uses: dict[str, list[str]] = {}
    for node, info in site.checks.items():
        for name in info.uses:
            uses.setdefault(name, []).append(node)
    return uses


def render_contract(site: Site) -> str:
    """The contract's front page: how grading works, the conventions, and one line per component
    (each component has a page of its own: `render_contract_component`)."""
    src = CONTRACT
    doc = contract.__doc__ or ""
    _, _, conventions = doc.partition("Conventions, the same in every component:")
    conventions = conventions.split("Nothing here imports torch.")[0].strip()
    out = [_front("Implementation contract"), "# The implementation contract", "",
           "The checks never import the reference solutions: they ask *the implementation under test* "
           "for the names each component's page lists. Write any of them in a file of your own, and the same checks "
           "that prove this bank grade your code; the checks of a name your file lacks are skipped, naming it. "
           f"On the question pages, the claims marked {kind_badge('component')} are the ones that do.", "",
           "```sh", ".venv/bin/qbank practice attention           # writes attention.py: the stubs to fill in",
           ".venv/bin/qbank grade attention.py             # which claims hold for your code",
           ".venv/bin/pytest checks --impl attention.py    # the same checks, straight from pytest",
           ".venv/bin/pytest checks --impl qbank.adapters.pytorch   # PyTorch's own modules pass them too",
           "```", "", "## Components", "",
           '<div class="qb-table" markdown>', "", "| component | names | graded by |", "|---|---|---|"]
    for comp in contract.COMPONENTS.values():
        names = ", ".join(f"[`{n.name}`]({rel(src, contract_anchor(n.name))})" for n in comp.names)
        out.append(f"| [{_cell(comp.title)}]({rel(src, contract_page(comp.name))}) | {names} "
                   f"| {_n(len(site.grading(comp.name)), 'claim')} |")
    out += ["", "</div>", ""]
    if conventions:
        out += ["## Conventions", "", textwrap.dedent(conventions), ""]
    return "\n".join(out)


def render_contract_component(name: str, site: Site) -> str:
    """One component's page of the contract: its stubs, the claims that grade it, the checks
    that read each name and the reference solution behind a click."""
    comp = contract.COMPONENTS[name]
    src = contract_page(name)
    uses = _contract_uses(site)
    file = f"solutions/{comp.name}.py"
    grading = site.grading(comp.name)
    out = [_front(comp.title), f"# {comp.title}", "", comp.summary, "",
           f"[Starter file `{comp.name}.py`]({rel(src, 'starters/' + comp.name + '.py')})"
           f'{{ download="{comp.name}.py" }}: these stubs, to fill in '
           f"(or `qbank practice {comp.name}`). The conventions every component follows are on the "
           f"[contract's first page]({rel(src, CONTRACT)}#conventions).", ""]
    if grading:
        lines = [f"- {typeset(statement(e))} ([{_link_text(q.short_title)}]({rel(src, question_page(q.id))})"
                 f" · {check_link(src, e.check, site)})" for q, e in grading]
        out += [_unsearched(_details(
            "tip", f"The {_n(len(grading), 'claim')} that {'grades' if len(grading) == 1 else 'grade'} it "
            "(they state the answers)",
            "Every claim of the bank whose check runs this component: what `qbank grade` holds your "
            "file to.\n\n" + "\n".join(lines))), ""]
    for n in comp.names:
        graders = uses.get(n.name, [])
        out += [f"## `{n.name}` {{ #{n.name} }}", "", "```python", n.stub.rstrip("\n"), "```", ""]
        if graders:  # check names read as claims: kept out of search previews too
            out += [_unsearched(f"Graded by {_n(len(graders), 'check')}: "
                                + ", ".join(check_link(src, g, site) for g in sorted(graders)) + "."), ""]
        if n.name in site.solution_sections.get(file, set()):
            out += [_unsearched('??? example "Reference solution (try yours first)"\n\n    ```python\n'
                                f'    --8<-- "{file}:{n.name}"\n    ```'), ""]
    return "\n".join(out)


def starter_files() -> dict[str, str]:
    """starters/<component>.py -> the stubs of the contract, ready to fill in."""
    return {f"starters/{c}.py": contract.starter_file(c) for c in contract.COMPONENTS}


def pages(site: Site) -> dict[str, str]:
    """Every generated page: docs-relative path -> Markdown."""
    out = {question_page(q.id): render_question(q, site) for q in site.questions}
    out.update({topic_page(t): render_topic(t, site) for t in TOPICS})
    out.update({check_page(f): render_check_file(f, site) for f in site.check_files()})
    out[ALL_QUESTIONS] = render_all_questions(site)
    out[BY_DIFFICULTY] = render_difficulty(site)
    out["topics/index.md"] = render_topics(site)
    out["checks/index.md"] = render_checks_index(site)
    out["errata.md"] = render_errata_page(site)
    out[SOURCES] = render_coverage(site)
    out[CONTRACT] = render_contract(site)
    out.update({contract_page(c): render_contract_component(c, site) for c in contract.COMPONENTS})
    return out


def nav(site: Site) -> list:
    """The navigation: MkDocs `nav:` structure (paths relative to the docs dir). Questions are
    listed by their short titles (the pages' `title`)."""
    topics = [{title: [topic_page(t), *(question_page(q.id) for q in site.topic_questions(t))]}
              for t, title in TOPICS.items()]
    return [
        {"Home": "index.md"},
        {"Questions": [ALL_QUESTIONS, {"By difficulty": BY_DIFFICULTY}, {"By topic": "topics/index.md"},
                       {"By tag": "tags.md"}, *topics]},
        {"Errata": "errata.md"},
        {"Sources": SOURCES},
        {"Contract": [CONTRACT, *(contract_page(c) for c in contract.COMPONENTS)]},
        {"Verification": ["checks/index.md", *(check_page(f) for f in site.check_files())]},
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
