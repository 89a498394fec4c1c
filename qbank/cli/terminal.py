"""Make the bank readable in a terminal: TeX and plain notation to Unicode, rich renderables
for questions and answers, single-key input, and a pager.

`tex_to_unicode` is a small pure converter for the TeX the answers use (fractions, roots,
scripts, Greek, operators, fonts, matrices): `\\frac{QK^\\top}{\\sqrt{d_k}}` -> `QKᵀ/√dₖ`,
`\\sin\\theta` -> `sin θ`. Anything it does not know degrades to the command's name, never
to an error. Matrices, `cases`, `aligned` and `\\underbrace` are laid out on several lines
(a 2-D block, aligned on the line of the surrounding text). `display_lines` lays out a
display equation for a given width, breaking a line that is too wide only where an
equation allows it: between the equations of a `\\qquad` list, then before `=` (aligned
under the first), then before `+` and `-`.

Text outside math is written in plain notation ("√d_k", "W_Q", "d_model"): `notation`
gives it the same Unicode as the math (`√dₖ`), by the rule the study site uses to typeset
it (`qbank.site.render.notation_spans`: a one-letter symbol with a one-character or a
listed subscript), so claims and answers read alike.

Questions are drawn with `inline` (math, `code`, **bold**), which avoids importing rich's
Markdown (~100 ms) before the first card is on screen; `markdown` renders a detailed
answer: its prose through rich's Markdown, its display math as unwrapped blocks.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache

SYMBOLS = {
    # Greek
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "varrho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "partial": "∂", "nabla": "∇", "infty": "∞",
    "top": "⊤", "intercal": "⊤", "dagger": "†", "prime": "′", "circ": "∘",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱",
    "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖", "Vert": "‖", "vert": "|", "lvert": "|",
    "rvert": "|", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "forall": "∀", "exists": "∃",
    "emptyset": "∅", "varnothing": "∅", "neg": "¬", "lnot": "¬", "ell": "ℓ", "hbar": "ħ",
}
BIG_OPERATORS = {"sum": "Σ", "prod": "Π", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}
FUNCTIONS = {"exp", "log", "ln", "lg", "max", "min", "sup", "inf", "lim", "arg", "argmax", "argmin", "sin", "cos",
             "tan", "sinh", "cosh", "tanh", "det", "dim", "ker", "Var", "Cov", "Pr", "deg", "gcd", "sgn"}
BINARY = {
    "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "sim": "~", "simeq": "≃", "equiv": "≡", "propto": "∝", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "Rightarrow": "⇒", "implies": "⇒", "iff": "⇔", "mapsto": "↦", "pm": "±",
    "mp": "∓", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "ll": "≪", "gg": "≫", "div": "÷",
    "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨", "setminus": "∖", "gets": "←", "mid": "|",
    "Leftrightarrow": "⇔", "leftrightarrow": "↔", "coloneqq": "≔", "succ": "≻", "prec": "≺",
    "succeq": "⪰", "preceq": "⪯",
}
FONTS = {"mathrm", "text", "textrm", "mathbf", "textbf", "mathit", "textit", "mathsf", "mathtt", "texttt",
         "operatorname", "boldsymbol", "bm", "mathcal", "mathscr", "mathfrak", "emph", "mbox", "hbox"}
DOUBLE_STRUCK = dict(zip("RNZQCEP1", "ℝℕℤℚℂ𝔼ℙ𝟙"))
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
           "overline": "\u0305", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
SPACES = {"quad": "  ", ",": " ", ";": " ", ":": " ", " ": " ", "!": "", "enspace": " ",
          "thinspace": " ", "displaystyle": "", "textstyle": "", "limits": "", "nolimits": "", "nonumber": "",
          "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "",
          "Bigl": "", "Bigr": "", "biggl": "", "biggr": "", "middle": "", "label": None}
MATRICES = {"matrix": ("", ""), "pmatrix": ("(", ")"), "bmatrix": ("[", "]"), "Bmatrix": ("{", "}"),
            "vmatrix": ("|", "|"), "Vmatrix": ("‖", "‖"), "smallmatrix": ("", ""), "array": ("", ""),
            "cases": ("{", "")}
ALIGNED = {"aligned", "align", "align*", "split", "gathered", "gather", "gather*", "alignedat", "eqnarray"}
SUPERSCRIPT = dict(zip("0123456789+-=()niTtkdxhjlmoprsuvwabcefg⊤′*", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵗᵏᵈˣʰʲˡᵐᵒᵖʳˢᵘᵛʷᵃᵇᶜᵉᶠᵍᵀ′*"))
SUBSCRIPT = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
SUPERSCRIPT["−"] = "⁻"

# Marks left in the text while converting, resolved once the whole expression is known.
_FUNC = "\ue001"  # after an operator name (sin, max): a space if a letter follows
_BIG = "\ue002"  # after Σ, Π, ∫: a space after its limits, unless the text ends or closes
_FRAC = "\ue003"  # after a fraction: a space if a term follows (1/N Σ, not 1/NΣ)
_BREAK = "\ue004"  # \qquad: between two equations (a display may break the line there)
_WORD = "\ue005"  # before a word in \mathrm: a space if it follows a term (W₂ᵀ diag(...))
_BLOCK0 = 0xE100  # one private-use character per 2-D block (matrix, cases, underbrace)
_SCRIPTS = "".join(sorted(set(SUPERSCRIPT.values()) | set(SUBSCRIPT.values())))
_AFTER_SCRIPTS = rf"((?:[{re.escape(_SCRIPTS)}]|[_^](?:\([^()]*\)|[\w′]+))*+)"  # possessive: all of them
_TERM_START = r"[\w√∛∜∂∇ΣΠ∫∮⋃⋂(\[{|‖⟨" + re.escape(_FUNC + _BIG) + r"]"
_WORD_START = r"[\w√∛∜∂∇ΣΠ∫∮⋃⋂|‖⟨" + re.escape(_FUNC + _BIG) + r"]"  # a term, but not a bracket

_TOKEN = re.compile(r"\\[A-Za-z]+\*?\s*|\\.|[{}^_&~]|\s+|[^\\{}^_&~\s]", re.S)


def width(text: str) -> int:
    """Columns a string takes in a terminal (combining marks take none)."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


class _Block:
    """A piece of math laid out on several lines; `base` is the line level with the text around it."""

    def __init__(self, lines: list[str], base: int):
        w = max((width(line) for line in lines), default=0)
        self.lines = [line + " " * (w - width(line)) for line in lines]
        self.base = base
        self.width = w


class _Converter:
    def __init__(self):
        self.blocks: list[_Block] = []

    # -- tokens to text --------------------------------------------------------------------

    def render(self, tokens: list[str], i: int, stop: str | None) -> tuple[str, int]:
        out: list[str] = []
        while i < len(tokens):
            tok = tokens[i]
            i += 1
            if tok == stop:
                return "".join(out), i
            if tok == "{":
                inner, i = self.render(tokens, i, "}")
                out.append(inner)
            elif tok == "}":
                continue  # unbalanced: ignore
            elif tok in ("^", "_"):
                arg, i = self.argument(tokens, i)
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
                piece, i = self.command(tok[1:], tokens, i)
                out.append(piece)
            elif tok.isspace():
                out.append(" ")
            else:
                out.append(tok)
        return "".join(out), i

    def argument(self, tokens: list[str], i: int) -> tuple[str, int]:
        """The next argument: a {group}, a command (with its own arguments) or one character."""
        i = _skip_space(tokens, i)
        if i >= len(tokens):
            return "", i
        tok = tokens[i]
        if tok == "{":
            return self.render(tokens, i + 1, "}")
        if tok.startswith("\\"):
            return self.command(tok[1:], tokens, i + 1)
        return tok, i + 1

    def command(self, name: str, tokens: list[str], i: int) -> tuple[str, int]:
        if name in SYMBOLS:
            return SYMBOLS[name], i
        if name in BIG_OPERATORS:
            return BIG_OPERATORS[name] + _BIG, i
        if name in FUNCTIONS:
            return _WORD + name + _FUNC, i  # spaced from a term before it, as TeX does: β log Z
        if name in BINARY:
            return f" {BINARY[name]} ", i
        if name == "qquad":
            return _BREAK, i
        if name in SPACES:
            if name in ("left", "right", "middle") or name.startswith(("big", "Big")):
                j = _skip_space(tokens, i)
                if j < len(tokens) and tokens[j] == ".":
                    return "", j + 1  # \left. is an invisible delimiter
                if j < len(tokens) and tokens[j] in ("\\{", "\\}"):
                    return tokens[j][1:], j + 1
            if SPACES[name] is None:  # \label{...}: drop with its argument
                return "", self.argument(tokens, i)[1]
            return SPACES[name], i
        if name == "operatorname":
            arg, i = self.argument(tokens, i)
            return arg + _FUNC, i
        if name in FONTS:
            arg, i = self.argument(tokens, i)
            return (_WORD + arg if name in ("mathrm", "operatorname") and re.fullmatch(r"[A-Za-z]{2,}", arg)
                    else arg), i
        if name == "mathbb":
            arg, i = self.argument(tokens, i)
            return "".join(DOUBLE_STRUCK.get(c, c) for c in arg), i
        if name in ACCENTS:
            arg, i = self.argument(tokens, i)
            return (arg + ACCENTS[name] if len(arg) == 1 else arg), i
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            top, i = self.argument(tokens, i)
            bottom, i = self.argument(tokens, i)
            return f"{_wrap(top)}/{_wrap(bottom)}{_FRAC}", i
        if name == "sqrt":
            degree = ""
            if i < len(tokens) and tokens[i] == "[":
                j = tokens.index("]", i) if "]" in tokens[i:] else i
                degree, i = "".join(tokens[i + 1:j]), j + 1
            arg, i = self.argument(tokens, i)
            root = {"": "√", "3": "∛", "4": "∜"}.get(degree, _script(degree, SUPERSCRIPT, "^") + "√")
            return root + _wrap(arg), i
        if name in ("underbrace", "overbrace"):
            return self.brace(name, tokens, i)
        if name in ("xrightarrow", "xleftarrow"):
            if i < len(tokens) and tokens[i] == "[":  # optional label below: keep only the one above
                i = tokens.index("]", i) + 1 if "]" in tokens[i:] else i
            label, i = self.argument(tokens, i)
            label = " ".join(label.split())
            return (f" ─{label}→ " if name == "xrightarrow" else f" ←{label}─ "), i
        if name == "begin":
            env, i = self.argument(tokens, i)
            return self.environment(env.strip(), tokens, i)
        if name == "end":
            _, i = self.argument(tokens, i)  # an \end without its \begin
            return "", i
        if name in ("{", "}", "%", "$", "#", "&", "_", "|"):
            return {"|": "‖"}.get(name, name), i
        return name, i  # unknown command: its name reads better than nothing

    # -- 2-D pieces --------------------------------------------------------------------------

    def block(self, lines: list[str], base: int) -> str:
        self.blocks.append(_Block(lines, base))
        return chr(_BLOCK0 + len(self.blocks) - 1)

    def environment(self, env: str, tokens: list[str], i: int) -> tuple[str, int]:
        body, i = _until_end(tokens, i, env)
        if env in ("array", "alignedat") and body and body[0] == "{":  # column spec
            _, j = self.render(body, 1, "}")
            body = body[j:]
        rows = [[self.cell(c) for c in _split(row, "&")] for row in _split(body, "\\\\")]
        rows = [r for r in rows if any(r)]
        if not rows:
            return "", i
        if env in ALIGNED:
            return self.grid(rows, " ", "", ""), i
        left, right = MATRICES.get(env, ("", ""))
        return self.grid(rows, "  ", left, right, cases=env == "cases"), i

    def cell(self, tokens: list[str]) -> str:
        text, _ = self.render(tokens, 0, None)
        return _flatten(self, _tidy(text)).strip()

    def grid(self, rows: list[list[str]], gap: str, left: str, right: str, cases: bool = False) -> str:
        columns = max(len(r) for r in rows)
        widths = [max((width(r[c]) if c < len(r) else 0) for r in rows) for c in range(columns)]
        lines = []
        for r in rows:
            cells = [(r[c] if c < len(r) else "") for c in range(columns)]
            # numbers right-aligned, like a matrix; text and aligned equations left-aligned
            line = gap.join(_pad(text, widths[c], right_align=not cases and gap == "  " and _numeric(text))
                            for c, text in enumerate(cells))
            lines.append(line.rstrip() if not left and not right else line)
        n = len(lines)
        if left or right:
            lines = [_fence(left, k, n, "left") + line + _fence(right, k, n, "right") for k, line in enumerate(lines)]
        return self.block(lines, (n - 1) // 2)

    def brace(self, name: str, tokens: list[str], i: int) -> tuple[str, int]:
        body, i = self.argument(tokens, i)
        body = _flatten(self, _tidy(body)).strip()
        j = _skip_space(tokens, i)
        label = ""
        if j < len(tokens) and tokens[j] == ("_" if name == "underbrace" else "^"):
            label, i = self.argument(tokens, j + 1)
            label = " ".join(_flatten(self, _tidy(label)).split())
        w = max(width(body), width(label), 1)
        curl = ("╰" + "─" * (w - 2) + "╯") if w >= 2 else "┴"
        if w >= 3:
            mid = w // 2
            curl = curl[:mid] + ("┬" if name == "underbrace" else "┴") + curl[mid + 1:]
        if name == "overbrace":
            curl = curl.replace("╰", "╭").replace("╯", "╮")
            lines, base = ([label.center(w)] if label else []) + [curl, body.center(w)], 2 if label else 1
        else:
            lines, base = [body.center(w), curl] + ([label.center(w)] if label else []), 0
        return self.block(lines, base), i


def _skip_space(tokens: list[str], i: int) -> int:
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    return i


def _until_end(tokens: list[str], i: int, env: str) -> tuple[list[str], int]:
    """The tokens of an environment's body, and the index after its \\end{env}."""
    depth, start = 0, i
    while i < len(tokens):
        if tokens[i] == "\\begin":
            depth += 1
        elif tokens[i] == "\\end":
            if depth == 0:
                j = _skip_space(tokens, i + 1)
                if j < len(tokens) and tokens[j] == "{":
                    close = tokens.index("}", j) if "}" in tokens[j:] else len(tokens) - 1
                    return tokens[start:i], close + 1
                return tokens[start:i], j
            depth -= 1
        i += 1
    return tokens[start:], i


def _split(tokens: list[str], sep: str) -> list[list[str]]:
    """Split at `sep` outside braces and nested environments."""
    parts, current, depth = [], [], 0
    for tok in tokens:
        if tok in ("{", "\\begin"):
            depth += 1
        elif tok in ("}", "\\end"):
            depth -= 1
        if tok == sep and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    return parts


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-−+]?[\d.,]+|[-−+]?∞", text))


def _pad(text: str, w: int, right_align: bool) -> str:
    gap = " " * (w - width(text))
    return gap + text if right_align else text + gap


def _fence(char: str, k: int, n: int, side: str) -> str:
    """Row k of n of a tall delimiter."""
    if not char:
        return ""
    if n == 1:
        return char
    tall = {"(": "⎛⎜⎝", ")": "⎞⎟⎠", "[": "⎡⎢⎣", "]": "⎤⎥⎦", "{": "⎧⎨⎩", "|": "│││", "‖": "‖‖‖"}[char]
    if char == "{" and n == 2:
        return "⎰⎱"[k]
    if char == "{":
        return tall[0] if k == 0 else tall[2] if k == n - 1 else tall[1] if k == (n - 1) // 2 else "⎪"
    return tall[0] if k == 0 else tall[2] if k == n - 1 else tall[1]


_ONE_TERM = r"[√∛∜]?[\w\u0300-\u036f\u2080-\u209c\u1d62-\u1d6a\u2070-\u207f⊤ᵀ′.]+"  # letters, scripts, accents
_GROUP = r"\((?:[^()]|\([^()]*\))*\)"


def _wrap(text: str) -> str:
    """Parenthesise a fraction's part or a root's argument unless it is one term."""
    text = text.strip()
    bare = _unmark(text)
    if len(bare) <= 1 or re.fullmatch(_ONE_TERM, bare) or re.fullmatch(rf"[√∛∜]?{_GROUP}", bare):
        return text
    if re.fullmatch(rf"{_ONE_TERM}\^{_GROUP}", bare):  # e^(zᵢ/τ)
        return text
    return f"({text})"


def _script(arg: str, table: dict[str, str], mark: str) -> str:
    arg = _unmark(arg).strip()
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    if len(arg) <= 1 or (mark == "_" and re.fullmatch(r"[\w′]+", arg)):
        return mark + arg
    return f"{mark}({arg})"


def _unmark(text: str) -> str:
    return text.replace(_FUNC, "").replace(_BIG, "").replace(_FRAC, "").replace(_WORD, "")


def _tidy(text: str) -> str:
    """Resolve the spacing marks and squeeze the spaces (lines and blocks kept)."""
    text = re.sub(_FUNC + _AFTER_SCRIPTS + rf"(?={_WORD_START})", r"\1 ", text)
    text = re.sub(_BIG + _AFTER_SCRIPTS + r"(?=[^\s)\]},.;:])", r"\1 ", text)
    text = re.sub(_FRAC + rf"(?={_TERM_START})", " ", text)
    text = re.sub(rf"(?<=[\w)\]{re.escape(_SCRIPTS)}]){_WORD}", " ", text)
    text = _unmark(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"(?<=\S)([=+≈≤≥]) (?=\S)", r" \1 ", text)  # as TeX spaces a relation or a +
    text = re.sub(r"(?<=\S) ([=≈≤≥])(?=[^\s)])", r" \1 ", text)  # (not a unary + or -)
    text = re.sub(r"([(\[]) | ([)\]])", r"\1\2", text)  # TeX ignores spaces inside brackets
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _flatten(conv: _Converter, text: str) -> str:
    """A block inside a block (a matrix in a cell) goes back to one line."""
    def one(m: re.Match) -> str:
        b = conv.blocks[ord(m.group(0)) - _BLOCK0]
        return " ".join(line.strip() for line in b.lines)
    return re.sub(f"[{chr(_BLOCK0)}-{chr(_BLOCK0 + 0x7FF)}]", one, text)


def _layout(conv: _Converter, line: str) -> list[str]:
    """One line of text with blocks in it, as the terminal lines it takes."""
    pieces = re.split(f"([{chr(_BLOCK0)}-{chr(_BLOCK0 + 0x7FF)}])", line)
    if len(pieces) == 1:
        return [line]
    blocks = [conv.blocks[ord(p) - _BLOCK0] if i % 2 else _Block([p], 0) for i, p in enumerate(pieces) if p]
    above = max(b.base for b in blocks)
    below = max(len(b.lines) - b.base - 1 for b in blocks)
    rows = []
    for k in range(-above, below + 1):
        row = ""
        for b in blocks:
            j = b.base + k
            row += b.lines[j] if 0 <= j < len(b.lines) else " " * b.width
        rows.append(row.rstrip())
    return rows


def _convert(tex: str) -> tuple[_Converter, str]:
    # a space after a control word is TeX's delimiter, not a space (\\top k -> ᵀk)
    tokens = [t.rstrip() if t.startswith("\\") and t[1:2].isalpha() else t for t in _TOKEN.findall(tex)]
    conv = _Converter()
    text, _ = conv.render(tokens, 0, stop=None)
    return conv, _tidy(text)


@lru_cache(maxsize=1024)
def tex_to_unicode(tex: str) -> str:
    """Readable Unicode for a TeX math expression (without its $ delimiters)."""
    conv, text = _convert(tex)
    text = re.sub(rf" ?{_BREAK} ?", "   ", text).strip()
    lines = [row for line in text.split("\n") for row in _layout(conv, line)]
    return unicodedata.normalize("NFC", "\n".join(lines))  # x + combining hat -> one character where one exists


_RELATION = re.compile(r" (?=[=≈≤≥<>≠≡∝⇒→⇔] )")
_TERM = re.compile(r" (?=[+\-−] )")


def display_lines(tex: str, columns: int | None = None) -> list[str]:
    """A display equation as terminal lines, at most `columns` wide where it can be broken
    (between equations, before a relation, before + or -), never inside a term."""
    conv, text = _convert(tex)
    out: list[str] = []
    for line in text.split("\n"):
        equations = [e.strip() for e in line.split(_BREAK) if e.strip()]
        current = ""
        for eq in equations:
            if current and (columns is None or width(current) + 3 + width(eq) <= columns):
                current += "   " + eq
                continue
            if current:
                out += _fit(conv, current, columns)
            current = eq
        if current:
            out += _fit(conv, current, columns)
    return [unicodedata.normalize("NFC", line) for line in out]


def _top_level(text: str, pattern: re.Pattern) -> list[int]:
    """Where `pattern` matches outside brackets."""
    depth, spots = 0, []
    found = {m.start() for m in pattern.finditer(text)}
    for i, c in enumerate(text):
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif i in found and depth == 0:
            spots.append(i)
    return spots


def _pack(parts: list[str], columns: int, indent: str) -> list[str]:
    """Join the parts greedily into lines of at most `columns`; lines after the first are indented."""
    lines, current = [], parts[0]
    for part in parts[1:]:
        if width(current) + 1 + width(part) <= columns:
            current += " " + part
        else:
            lines.append(current)
            current = indent + part
    return [*lines, current]


def _split_at(text: str, pattern: re.Pattern) -> list[str]:
    cuts = [0, *(s + 1 for s in _top_level(text, pattern)), len(text)]
    return [text[a:b].strip() for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


def _fit(conv: _Converter, text: str, columns: int | None) -> list[str]:
    """One equation as lines of at most `columns` where it can break: before each relation
    (continuations aligned under the first), then before + and -."""
    if columns is None or width(_flatten(conv, text)) <= columns:
        return _layout(conv, text)
    lines = [text]
    parts = _split_at(text, _RELATION)
    if len(parts) > 1:
        indent = " " * (width(_flatten(conv, parts[0])) + 1) if width(parts[0]) < columns // 2 else "    "
        lines = _pack(parts, columns, indent)
    out = []
    for line in lines:
        if width(_flatten(conv, line)) > columns:
            lead = " " * (len(line) - len(line.lstrip()))
            terms = _split_at(line.strip(), _TERM)
            if len(terms) > 1:
                out += [lead + piece if k else lead + piece for k, piece in
                        enumerate(_pack(terms, columns - len(lead), "  "))]
                continue
        out.append(line)
    return [row for line in out for row in _layout(conv, line)]


# -- plain notation ------------------------------------------------------------------------

# The study site's rule (qbank.site.render: _SUBSCRIPT_WORDS, _SYMBOL, _NOTATION), kept in step
# by tests/test_cli_terminal.py, which compares the two on every text of the bank.
_SUBSCRIPT_WORDS = "model|ff|in|out|head|hidden|vocab|max|min|emb"
_SYMBOL = rf"[A-Za-z]_(?:{_SUBSCRIPT_WORDS}|[A-Za-z0-9])"
_NOTATION = re.compile(rf"√(?:(?P<root>{_SYMBOL}|[A-Za-z]|\d+))(?![\w(])|(?<![\w\\$])(?P<sym>{_SYMBOL})(?![\w(])")


def notation_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, TeX) of each piece of plain notation in `text` (code and $math$ aside)."""
    spans = []
    protected = [(m.start(), m.end()) for m in re.finditer(r"(`+)(?:(?!\1).)+\1|\$[^$\n]+\$", text)]
    for m in _NOTATION.finditer(text):
        if any(a <= m.start() < b for a, b in protected):
            continue
        sym = m["root"] or m["sym"]
        base, _, sub = sym.partition("_")
        tex = f"{base}_{{{sub}}}" if len(sub) > 1 else sym
        spans.append((m.start(), m.end(), f"\\sqrt{{{tex}}}" if m["root"] else tex))
    return spans


def notation(text: str) -> str:
    """Plain text with its notation in Unicode: 'q_t·k_s/√d_k' -> 'qₜ·kₛ/√dₖ'."""
    out, last = [], 0
    for start, end, tex in notation_spans(text):
        out += [text[last:start], tex_to_unicode(tex)]
        last = end
    out.append(text[last:])
    return "".join(out)


# -- Markdown with math --------------------------------------------------------------------

_CODE = re.compile(r"(^|\n)(```|~~~).*?\n\2[^\n]*|`[^`\n]+`", re.S)
_DISPLAY = r"\$\$(.+?)\$\$"
INLINE_MATH = r"(?<![\\$\w])\$(?=\S)((?:[^$\n]|\n(?!\s*\n))+?)(?<![\s\\])\$(?!\w)"
_MATH = re.compile(f"{_DISPLAY}|{INLINE_MATH}", re.S)
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


def _inline_md(tex: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(tex_to_unicode(tex).split()))


def markdown_for_terminal(md: str) -> str:
    """Markdown whose math is Unicode: inline `$x$` becomes text, a `$$` block an indented block."""
    return map_math(md, _inline_md, lambda tex: "\n```text\n" + tex_to_unicode(tex) + "\n```\n")


def plain(text: str) -> str:
    """Text with its math and notation made Unicode and no markup (for one-line cells)."""
    return notation(map_math(text, lambda t: " ".join(tex_to_unicode(t).split()), tex_to_unicode))


INLINE_MARKUP = re.compile(r"`([^`\n]+)`|\*\*(.+?)\*\*|" + _DISPLAY + "|" + INLINE_MATH, re.S)


def inline(text: str):
    """A rich Text for a short paragraph (the quiz's panels): the pieces of layout.inline_pieces,
    math and plain notation as Unicode, `code` and **bold** styled."""
    from rich.text import Text

    from qbank.cli.layout import inline_pieces

    out = Text()
    for piece, styles in inline_pieces(text):
        out.append(piece, style=" ".join(styles))
    return out


# -- plain output ---------------------------------------------------------------------------


class Plain:
    """Styled lines without rich, for the listings (`list`, `stats`) and `show`: importing and
    running rich's console costs ~40-80 ms, a fifth or more of their start-up budget. Colours
    only on a terminal, and not with NO_COLOR or TERM=dumb (rich's rules); the width is the
    terminal's (or $COLUMNS, or 80)."""

    CODES = {"bold": "1", "dim": "2", "italic": "3", "red": "31", "green": "32", "yellow": "33", "magenta": "35",
             "cyan": "36"}

    def __init__(self, file=None, width: int | None = None, height: int | None = None, terminal: bool | None = None):
        import shutil

        self.file = file or sys.stdout
        tty = getattr(self.file, "isatty", lambda: False)() if terminal is None else terminal
        self.terminal = tty
        self.color = bool(os.environ.get("FORCE_COLOR")) or (
            tty and os.environ.get("TERM") != "dumb" and not os.environ.get("NO_COLOR"))
        size = shutil.get_terminal_size()
        self.width, self.height = width or size.columns, height or size.lines

    def style(self, text: str, *styles: str) -> str:
        if not self.color or not styles or not text:
            return text
        return f"\x1b[{';'.join(self.CODES[s] for s in styles)}m{text}\x1b[0m"

    def print(self, *parts: str) -> None:
        self.file.write("".join(parts) + "\n")


# -- keys ----------------------------------------------------------------------------------

ENTER, SPACE, EOF, INTERRUPT = "enter", "space", "eof", "interrupt"


class LineInput:
    """Input one line at a time: piped stdin, typer's CliRunner, or a terminal without termios."""

    keys = False

    def __init__(self, console):
        self.console = console

    def line(self, prompt: str) -> str:
        """A line of text (EOFError at the end of input)."""
        return self.console.input(prompt)


class KeyInput(LineInput):
    """Single keypresses from a terminal (cbreak mode: no Enter needed, Ctrl-C still works),
    and whole lines when the learner types an answer."""

    keys = True

    def __init__(self, console, fd: int | None = None):
        super().__init__(console)
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.typed = ""  # keys read but not used yet (fast typing delivers several at once)

    def key(self, prompt: str | None) -> str:
        """One key: a character, or ENTER, SPACE, EOF (Ctrl-D); arrows and the like are ignored.
        The prompt (if any) is printed first, on the current line."""
        if prompt is not None:
            self.console.print(prompt, end="")
        self.console.file.flush()
        while True:
            if not self.typed:
                self.typed = self._read()
                if self.typed is None:
                    self.typed = ""
                    return EOF
            c, self.typed = self.typed[0], self.typed[1:]
            if c in "\r\n":
                return ENTER
            if c == " ":
                return SPACE
            if c == "\x04":
                return EOF
            if c == "\x03":  # Ctrl-C when the terminal does not send SIGINT
                raise KeyboardInterrupt
            if c.isprintable():
                return c

    def _read(self) -> str | None:
        """What the terminal has for us, waiting for at least one key (None at end of input)."""
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)
            while True:
                data = os.read(self.fd, 64)
                if not data:
                    return None
                text = data.decode("utf-8", "replace")
                text = re.sub(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?", "", text)  # arrow keys and the like
                if text:
                    return text
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def line(self, prompt: str) -> str:
        self.typed = ""  # a line is typed afresh
        return super().line(prompt)


def input_for(console, force_lines: bool = False) -> LineInput:
    """Single keys when stdin and stdout are a terminal with termios, else whole lines."""
    if not force_lines and sys.stdin.isatty() and console.is_terminal:
        try:
            import termios  # noqa: F401
            import tty  # noqa: F401
        except ImportError:  # Windows: lines
            return LineInput(console)
        return KeyInput(console)
    return LineInput(console)


# -- pager ---------------------------------------------------------------------------------

def page(out: Plain, lines: list[str], use_pager: bool = True) -> None:
    """Print `lines`; through a pager, like git, when the output is a terminal and the text is
    taller than the screen ($PAGER, else `less -FRX`; PAGER=cat turns it off)."""
    text = "".join(line + "\n" for line in lines)
    if not (use_pager and out.terminal) or len(lines) < out.height - 1:
        out.file.write(text)
        out.file.flush()
        return
    import shlex
    import subprocess

    pager = os.environ.get("QBANK_PAGER") or os.environ.get("PAGER") or "less"
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # quit if one screen, keep colours, leave the text on screen
    try:
        proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE, env=env)
    except OSError:
        out.file.write(text)
        return
    try:
        proc.communicate(text.encode("utf-8", "replace"))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    proc.wait()
