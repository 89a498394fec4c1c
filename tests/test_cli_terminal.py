"""Math and code readable in a terminal: TeX to Unicode, Markdown with math, question text."""

import pytest

from qbank.cli.terminal import inline, map_math, markdown_for_terminal, plain, tex_to_unicode


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
    (r"\unknowncommand{x}", "unknowncommandx"),
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
