"""Math and code readable in a terminal: TeX to Unicode, Markdown with math, question text."""

import io
import re

import pytest

from qbank.cli.layout import markdown_lines
from qbank.cli.terminal import (Plain, display_lines, inline, map_math, markdown_for_terminal, notation,
                                notation_spans, plain, tex_to_unicode)


@pytest.mark.parametrize("tex, text", [
    (r"\sqrt{d_k}", "√dₖ"),
    (r"QK^\top", "QKᵀ"),
    (r"\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V", "softmax(QKᵀ/√dₖ)V"),
    (r"\frac{1}{\sqrt{d_k}}", "1/√dₖ"),
    (r"\frac{a+b}{c}", "(a+b)/c"),
    (r"Q \in \mathbb{R}^{T\times d_k}", "Q ∈ ℝ^(T × dₖ)"),
    (r"\mathrm{Var}(q \cdot k) = d_k", "Var(q · k) = dₖ"),
    (r"\sum_{i=1}^{d_k} q_i k_i", "Σᵢ₌₁^(dₖ) qᵢ kᵢ"),
    (r"x^{-1} + y^2", "x⁻¹ + y²"),
    (r"d_{\text{model}}", "d_model"),
    (r"\alpha \le \beta \ne \gamma", "α ≤ β ≠ γ"),
    (r"\hat{y}", "ŷ"),
    (r"\|x\|_2", "‖x‖₂"),
    (r"-\infty", "-∞"),
    (r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "a = b\nc = d"),
    (r"\begin{aligned} xy &= b \\ c &= d + e \end{aligned}", "xy = b\nc  = d + e"),
    (r"\unknowncommand{x}", "unknowncommandx"),
    # operator names keep their space (the review's finding 15: "sinθ", "coskwᵢ")
    (r"\sin\theta", "sin θ"),
    (r"\cos kw_i", "cos kwᵢ"),
    (r"\max(0, x)", "max(0, x)"),
    (r"\tanh\!\left(W_q q_t\right)", "tanh(W_q qₜ)"),
    (r"\frac{1}{N}\sum_{n} x_{nj}", "1/N Σₙ xₙⱼ"),
    (r"\sum_{i}\cos\big((t-s)\,w_i\big)", "Σᵢ cos((t-s) wᵢ)"),
    (r"\mu = \frac{x - \mu}{\sqrt{v + \varepsilon}}", "μ = (x - μ)/√(v + ε)"),
    (r"W_2^\top \mathrm{diag}(p)", "W₂ᵀ diag(p)"),
    (r"\beta \log Z", "β log Z"),  # and from a term before them, as TeX spaces an operator
    (r"x\log x - (\log x)", "x log x - (log x)"),
    (r"y_w \succ y_l", "y_w ≻ yₗ"),
    (r"p(y \mid x)", "p(y | x)"),
    (r"a\xrightarrow{T=S}b", "a ─T=S→ b"),
    (r"\frac{a}{", "a/"),  # unbalanced input degrades, never raises
])
def test_tex_becomes_readable_unicode(tex, text):
    assert tex_to_unicode(tex) == text


def test_inline_math_is_converted_and_escaped_for_markdown():
    md = markdown_for_terminal(r"Scores $q_t \cdot k_s / \sqrt{d_k}$ and $d_{\text{model}}$.")
    assert md == r"Scores qₜ · kₛ / √dₖ and d\_model."


def test_display_math_becomes_a_block_of_its_own():
    md = markdown_for_terminal("Before\n\n$$\n\\frac{QK^\\top}{\\sqrt{d_k}}\n$$\n\nAfter")
    assert "```text\nQKᵀ/√dₖ\n```" in md and "$" not in md


def test_code_is_left_alone():
    md = "Use `x.sum($dim)` here and\n\n```python\ncost = $a$ + 1\n```\n\nbut $a$ here."
    out = markdown_for_terminal(md)
    assert "`x.sum($dim)`" in out and "cost = $a$ + 1" in out and out.endswith("but a here.")


def test_dollar_amounts_are_not_math():
    assert plain("It costs $5 and $6 in total.") == "It costs $5 and $6 in total."


def test_map_math_sees_inline_and_display_separately():
    seen = []
    map_math("a $x$ b\n\n$$\ny\n$$\n", lambda t: seen.append(("inline", t)) or "",
             lambda t: seen.append(("display", t)) or "")
    assert seen == [("inline", "x"), ("display", "\ny\n")]


def test_question_text_renders_math_code_and_bold():
    text = inline(r"Why **divide** by $\sqrt{d_k}$ in `attention_weights`?")
    assert text.plain == "Why divide by √dₖ in attention_weights?"
    styles = {text.plain[s.start:s.end]: str(s.style) for s in text.spans}
    assert styles == {"divide": "bold", "√dₖ": "italic", "attention_weights": "bold cyan"}


def test_a_matrix_is_laid_out_in_rows_and_columns_beside_its_text():
    tex = r"R_k = \mathrm{diag}\left(\begin{bmatrix}\cos kw_i & \sin kw_i\\ -\sin kw_i & \cos kw_i\end{bmatrix}\right)_i"
    assert tex_to_unicode(tex).split("\n") == [
        "Rₖ = diag(⎡cos kwᵢ   sin kwᵢ⎤)ᵢ",
        "          ⎣-sin kwᵢ  cos kwᵢ⎦",
    ]
    mask = r"M = \begin{pmatrix} 0&-\infty\\ 0&0\\ 0&0 \end{pmatrix}"
    assert tex_to_unicode(mask).split("\n") == [
        "    ⎛0  -∞⎞",
        "M = ⎜0   0⎟",
        "    ⎝0   0⎠",
    ]


def test_an_underbrace_puts_its_label_under_its_term():
    lines = tex_to_unicode(r"\underbrace{8nd^2}_{\text{proj}} + \underbrace{4n^2 d}_{\text{core}}").split("\n")
    assert lines[0].split() == ["8nd²", "+", "4n²", "d"]
    assert lines[1].count("┬") == 2 and lines[2].split() == ["proj", "core"]
    assert lines[2].index("proj") < lines[0].index("+") < lines[2].index("core")


def test_display_math_breaks_between_equations_then_before_relations_never_inside_a_term():
    tex = r"\mathbb{E}[q\cdot k] = 0, \qquad \mathrm{Var}(q\cdot k) = \sum_{i=1}^{d_k} \mathrm{Var}(q_i k_i) = d_k"
    assert display_lines(tex, 100) == ["𝔼[q · k] = 0,   Var(q · k) = Σᵢ₌₁^(dₖ) Var(qᵢ kᵢ) = dₖ"]
    assert display_lines(tex, 40) == ["𝔼[q · k] = 0,", "Var(q · k) = Σᵢ₌₁^(dₖ) Var(qᵢ kᵢ) = dₖ"]
    narrow = display_lines(tex, 25)
    assert narrow == ["𝔼[q · k] = 0,", "Var(q · k)", "           = Σᵢ₌₁^(dₖ) Var(qᵢ kᵢ)", "           = dₖ"], narrow
    terms = display_lines(r"y = a_1 + a_2 + a_3 + a_4 + a_5 + a_6", 16)
    assert all(len(line) <= 16 for line in terms) and "".join(terms).replace(" ", "") == "y=a₁+a₂+a₃+a₄+a₅+a₆"


def test_the_detailed_answer_keeps_each_display_equation_whole():
    md = "Text before.\n\n$$\nV = \\mathrm{softmax}(QK^\\top) \\qquad W = \\frac{a}{b} + c + d\n$$\n\nAfter."
    lines = [line.rstrip() for line in markdown_lines(md, Plain(io.StringIO()), 30)]
    assert "    V = softmax(QKᵀ)" in lines and "    W = a/b + c + d" in lines, lines


# -- plain notation: the same rule as the site ---------------------------------------------------


@pytest.mark.parametrize("text, shown", [
    ("The weight is q_t·k_s/√d_k.", "The weight is qₜ·kₛ/√dₖ."),
    ("d_model and W_Q stay; top_k, max_len and is_pad are names.", "d_model and W_Q stay; top_k, max_len and is_pad are names."),
    ("`x_i` in code, $x_i$ in math, x_i in text.", "`x_i` in code, $x_i$ in math, xᵢ in text."),
])
def test_plain_notation_in_claims_reads_like_the_math_of_the_answers(text, shown):
    assert notation(text) == shown


def test_the_terminal_finds_the_same_notation_as_the_site_in_every_text_of_the_bank():
    from qbank.bank.catalog import load_catalog
    from qbank.site.render import notation_spans as site_spans

    checked = 0
    for e in load_catalog().entries:
        for text in [e.short_title, e.question, e.short, *(c.claim for c in e.claims),
                     *(x.says for x in e.errata), *(x.correct for x in e.errata)]:
            text = " ".join(text.split())
            site = [tex for kind, tex, _ in site_spans(text) if kind == "math"]
            ours = [tex for _, _, tex in notation_spans(text)]
            assert ours == site, text
            checked += len(ours)
    assert checked > 100  # the bank does use plain notation


def test_claims_and_answers_use_the_same_notation():
    # the review's finding 15: claims said d_k while answers said dₖ
    assert inline("Dividing by √d_k keeps the variance of q·k at 1.").plain == "Dividing by √dₖ keeps the variance of q·k at 1."
    assert inline("Dividing by $\\sqrt{d_k}$ keeps it at 1.").plain == "Dividing by √dₖ keeps it at 1."


def words_of(text: str, numbers: bool = False) -> list[str]:
    text = re.sub(r"[•\u2500-\u257f]", " ", text)  # bullets and table rules
    return text.split() if numbers else re.sub(r"(?m)^\s*\d+[.)]?\s", " ", text).split()  # list numbers, "1" or "1."


def rich_words(renderable) -> list[str]:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return words_of(console.file.getvalue())


def our_words(md: str, columns: int = 200, numbers: bool = False) -> list[str]:
    return words_of("\n".join(markdown_lines(md, Plain(io.StringIO()), columns)), numbers)


def test_answers_render_to_the_same_words_as_with_rich_markdown():
    """`markdown_lines` (qbank/cli/layout.py) renders the answers' Markdown itself, without rich
    (whose Markdown costs ~60 ms of start-up, its console ~40 more): every detailed answer of
    the bank gives the same words as rich's Markdown renderer (order aside: table cells wrap
    differently), at the width of a wide terminal and of a phone-sized one."""
    from rich.markdown import Markdown

    from qbank.bank.catalog import load_catalog

    entries = load_catalog().entries
    assert len(entries) > 20
    for e in entries:
        ours, theirs = our_words(e.detailed), rich_words(Markdown(markdown_for_terminal(e.detailed)))
        assert sorted(ours) == sorted(theirs), e.id
        if "|" not in e.detailed:
            assert ours == theirs, e.id
        narrow = our_words(e.detailed, 40, numbers=True)  # wrapped, not cut (a number may now start a line)
        assert sorted(narrow) == sorted(our_words(e.detailed, numbers=True)), e.id


def test_markdown_lists_tables_and_emphasis():
    md = ("Intro with *emphasis*, _too_, **bold** and `code`.\n\n- first item\n  continued\n- second\n\n"
          "1. one\n2. two\n\n| a | b |\n|---|---|\n| $x_1$ | 2 |\n\nEnd (2020)\n2020) is not a list.")
    text = our_words(md)
    assert text[:9] == ["Intro", "with", "emphasis,", "too,", "bold", "and", "code.", "first", "item"]
    assert "continued" in text and "x₁" in text and "2020)" in text
    from qbank.cli.layout import blocks

    kinds = [k for k, _ in blocks(md)]
    assert kinds == ["para", "list", "list", "table", "para"]
