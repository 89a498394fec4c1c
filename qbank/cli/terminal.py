"""Make the bank readable in a terminal: TeX to Unicode, and rich renderables for questions.

`tex_to_unicode` is a small pure converter for the TeX the answers use (fractions, roots,
scripts, Greek, operators, fonts): `\\frac{QK^\\top}{\\sqrt{d_k}}` -> `QKᵀ/√dₖ`. Anything it
does not know degrades to the command's name, never to an error. `markdown_for_terminal`
replaces `$...$` by its Unicode and `$$...$$` blocks by an indented block, leaving code
alone; rich renders the rest. Questions are drawn with `inline` (math, `code`, **bold**),
which avoids importing rich's Markdown (~100 ms) before the first card is on screen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

SYMBOLS = {
    # Greek
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    # big operators and functions
    "sum": "Σ", "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇", "infty": "∞",
    "exp": "exp", "log": "log", "ln": "ln", "max": "max", "min": "min", "arg": "arg", "argmax": "argmax",
    "argmin": "argmin", "sin": "sin", "cos": "cos", "tanh": "tanh", "det": "det", "Var": "Var",
    "top": "⊤", "intercal": "⊤", "dagger": "†", "prime": "′", "circ": "∘",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱",
    "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖", "Vert": "‖", "vert": "|", "mid": "|",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "forall": "∀", "exists": "∃",
    "emptyset": "∅", "neg": "¬", "lnot": "¬", "ell": "ℓ", "hbar": "ħ",
}
BINARY = {
    "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "sim": "~", "simeq": "≃", "equiv": "≡", "propto": "∝", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "Rightarrow": "⇒", "implies": "⇒", "iff": "⇔", "mapsto": "↦", "pm": "±",
    "mp": "∓", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "ll": "≪", "gg": "≫", "div": "÷",
    "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨", "setminus": "∖", "gets": "←",
}
FONTS = {"mathrm", "text", "textrm", "mathbf", "textbf", "mathit", "textit", "mathsf", "mathtt", "texttt",
         "operatorname", "boldsymbol", "bm", "mathcal", "mathscr", "mathfrak", "emph", "mbox", "hbox"}
DOUBLE_STRUCK = dict(zip("RNZQCEP1", "ℝℕℤℚℂ𝔼ℙ𝟙"))
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
           "overline": "\u0305", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
SPACES = {"quad": "  ", "qquad": "    ", ",": " ", ";": " ", ":": " ", " ": " ", "!": "", "enspace": " ",
          "thinspace": " ", "displaystyle": "", "textstyle": "", "limits": "", "nolimits": "", "nonumber": "",
          "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "",
          "Bigl": "", "Bigr": "", "biggl": "", "biggr": "", "middle": "", "label": None}
SUPERSCRIPT = dict(zip("0123456789+-=()niTtkdxhjlmoprsuvwabcefg⊤′*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵗᵏᵈˣʰʲˡᵐᵒᵖʳˢᵘᵛʷᵃᵇᶜᵉᶠᵍᵀ′*"))
SUBSCRIPT = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
SUPERSCRIPT["−"] = "⁻"

_TOKEN = re.compile(r"\\[A-Za-z]+\s*|\\.|[{}^_&~]|\s+|[^\\{}^_&~\s]", re.S)


def tex_to_unicode(tex: str) -> str:
    """Readable Unicode for a TeX math expression (without its $ delimiters)."""
    tokens = [t.rstrip() if t.startswith("\\") and t[1:2].isalpha() else t for t in _TOKEN.findall(tex)]
    text, _ = _render(tokens, 0, stop=None)
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    return unicodedata.normalize("NFC", text)  # x + combining hat -> one character where one exists


def _render(tokens: list[str], i: int, stop: str | None) -> tuple[str, int]:
    out: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == stop:
            return "".join(out), i
        if tok == "{":
            inner, i = _render(tokens, i, "}")
            out.append(inner)
        elif tok == "}":
            continue  # unbalanced: ignore
        elif tok in "^_" and len(tok) == 1:
            arg, i = _argument(tokens, i)
            out.append(_script(arg, SUPERSCRIPT if tok == "^" else SUBSCRIPT, tok))
        elif tok == "&":
            continue
        elif tok == "~":
            out.append(" ")
        elif tok == "'":
            out.append("′")
        elif tok == "\\\\":
            out.append("\n")
        elif tok.startswith("\\"):
            piece, i = _command(tok[1:], tokens, i)
            out.append(piece)
        elif tok.isspace():
            out.append(" ")
        else:
            out.append(tok)
    return "".join(out), i


def _argument(tokens: list[str], i: int) -> tuple[str, int]:
    """The next argument: a {group}, a command (with its own arguments) or one character."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return "", i
    tok = tokens[i]
    if tok == "{":
        return _render(tokens, i + 1, "}")
    if tok.startswith("\\"):
        return _command(tok[1:], tokens, i + 1)
    return tok, i + 1


def _command(name: str, tokens: list[str], i: int) -> tuple[str, int]:
    if name in SYMBOLS:
        return SYMBOLS[name], i
    if name in BINARY:
        return f" {BINARY[name]} ", i
    if name in SPACES:
        if name in ("left", "right", "middle") or name.startswith(("big", "Big")):
            if i < len(tokens) and tokens[i] == ".":
                i += 1  # \left. is an invisible delimiter
            elif i < len(tokens) and tokens[i].startswith("\\") and tokens[i][1:] in ("{", "}"):
                return tokens[i][1:], i + 1
        if SPACES[name] is None:  # \label{...}: drop with its argument
            return "", _argument(tokens, i)[1]
        return SPACES[name], i
    if name in FONTS:
        return _argument(tokens, i)
    if name == "mathbb":
        arg, i = _argument(tokens, i)
        return "".join(DOUBLE_STRUCK.get(c, c) for c in arg), i
    if name in ACCENTS:
        arg, i = _argument(tokens, i)
        return (arg + ACCENTS[name] if len(arg) == 1 else arg), i
    if name in ("frac", "dfrac", "tfrac"):
        top, i = _argument(tokens, i)
        bottom, i = _argument(tokens, i)
        return f"{_wrap(top)}/{_wrap(bottom)}", i
    if name == "sqrt":
        degree = ""
        if i < len(tokens) and tokens[i] == "[":
            j = tokens.index("]", i) if "]" in tokens[i:] else i
            degree, i = "".join(tokens[i + 1:j]), j + 1
        arg, i = _argument(tokens, i)
        root = {"": "√", "3": "∛", "4": "∜"}.get(degree, _script(degree, SUPERSCRIPT, "^") + "√")
        return root + _wrap(arg), i
    if name in ("begin", "end"):
        _, i = _argument(tokens, i)  # the environment's name
        return "", i
    if name in ("{", "}", "%", "$", "#", "&", "_", "|"):
        return {"|": "‖"}.get(name, name), i
    if not name[:1].isalpha():
        return name, i
    return name, i  # unknown command: its name reads better than nothing


_ONE_TERM = r"[√∛∜]?[\w\u0300-\u036f\u2080-\u209c\u1d62-\u1d6a\u2070-\u207f⊤ᵀ′.]+"  # letters, scripts, accents


def _wrap(text: str) -> str:
    """Parenthesise a fraction's part or a root's argument unless it is one term."""
    text = text.strip()
    if len(text) <= 1 or re.fullmatch(_ONE_TERM, text):
        return text
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        return text
    return f"({text})"


def _script(arg: str, table: dict[str, str], mark: str) -> str:
    arg = arg.strip()
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    if len(arg) <= 1 or (mark == "_" and re.fullmatch(r"[\w′]+", arg)):
        return mark + arg
    return f"{mark}({arg})"


# -- Markdown with math --------------------------------------------------------------------

_CODE = re.compile(r"(^|\n)(```|~~~).*?\n\2[^\n]*|`[^`\n]+`", re.S)
_DISPLAY = r"\$\$(.+?)\$\$"
_INLINE = r"(?<![\\$\w])\$(?=\S)((?:[^$\n]|\n(?!\s*\n))+?)(?<![\s\\])\$(?!\w)"
_MATH = re.compile(f"{_DISPLAY}|{_INLINE}", re.S)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def map_math(md: str, inline: Callable[[str], str], display: Callable[[str], str]) -> str:
    """Replace each `$...$` by inline(tex) and each `$$...$$` by display(tex), outside code."""
    def one(m: re.Match) -> str:
        return display(m.group(1)) if m.group(1) is not None else inline(m.group(2))

    parts, last = [], 0
    for m in _CODE.finditer(md):
        parts += [_MATH.sub(one, md[last:m.start()]), m.group(0)]
        last = m.end()
    parts.append(_MATH.sub(one, md[last:]))
    return "".join(parts)


def markdown_for_terminal(md: str) -> str:
    """Markdown whose math is Unicode: inline `$x$` becomes text, a `$$` block an indented block."""
    return map_math(md, lambda tex: _MD_SPECIAL.sub(r"\\\1", tex_to_unicode(tex)),
                    lambda tex: "\n```text\n" + tex_to_unicode(tex) + "\n```\n")


def plain(text: str) -> str:
    """Text with its math made Unicode and no markup (for one-line cells)."""
    return map_math(text, tex_to_unicode, tex_to_unicode)


_INLINE_MARKUP = re.compile(r"`([^`\n]+)`|\*\*(.+?)\*\*|" + _DISPLAY + "|" + _INLINE, re.S)


def inline(text: str):
    """A rich Text for a short paragraph: math as Unicode, `code` and **bold** styled."""
    from rich.text import Text

    out, last = Text(), 0
    for m in _INLINE_MARKUP.finditer(text):
        out.append(text[last:m.start()])
        code, bold, display, math = m.groups()
        if code is not None:
            out.append(code, style="bold cyan")
        elif bold is not None:
            out.append(bold, style="bold")
        else:
            out.append(tex_to_unicode(display if display is not None else math), style="italic")
        last = m.end()
    out.append(text[last:])
    return out


def markdown(md: str):
    """A rich Markdown renderable of an answer, math made readable."""
    from rich.markdown import Markdown

    return Markdown(markdown_for_terminal(md), code_theme="ansi_dark", inline_code_theme="ansi_dark")
