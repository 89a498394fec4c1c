"""The answers' Markdown parsed, and styled words wrapped into lines, without rich: the
detailed answers and one question in full (`qbank show`, the quiz's `d`).

Importing and running rich's console costs ~80 ms, 40 % of `qbank show`'s 0.2 s budget. Here
a text is a list of words, each a list of (piece, styles) with its own escape codes, so a
line break never cuts a style; the width of a word is that of its visible characters
(terminal.width). `Plain` (terminal.py) decides whether there are colours at all.

    lines = wrap(inline_words("the $\\sqrt{d_k}$ scale"), 60, out, first="  • ", rest="    ")
    lines = markdown_lines(e.detailed, out, 80)
"""

from __future__ import annotations

import re

from qbank.cli.terminal import INLINE_MARKUP, INLINE_MATH, Plain, display_lines, notation, tex_to_unicode, width

Piece = tuple[str, tuple[str, ...]]
Word = list[Piece]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # a style's escape code: no width


# -- the answers' Markdown, parsed ------------------------------------------------------------

# The answers use a small part of Markdown: paragraphs, bullet and numbered lists, pipe tables,
# **bold**, *italic*, `code` and math. Parsing and laying it out here costs ~1 ms; importing rich's
# Markdown (markdown-it and pygments) costs ~60 ms, a third of `qbank show`'s budget. A test renders
# every answer of the bank both ways and compares the words.
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SPAN = re.compile(r"(?P<code>`+)(?P<c>.+?)(?P=code)|\*\*(?P<b>.+?)\*\*|__(?P<b2>.+?)__"
                   r"|(?<![*\w\\])\*(?P<i>[^*\s](?:.*?[^*\s])?)\*(?![*\w])"
                   r"|(?<![\w\\])_(?P<i2>[^_\s](?:.*?[^_\s])?)_(?!\w)"
                   r"|\[(?P<lt>[^\]]+)\]\((?P<lu>[^)\s]+)\)"
                   r"|" + INLINE_MATH + r"|\\(?P<esc>[\\`*_{}\[\]()#+\-.!|$<>])", re.S)


def blocks(md: str) -> list[tuple[str, object]]:
    """("para", text) | ("list", [(marker, text)]) | ("table", rows) | ("code", text) | ("math", tex)."""
    lines = md.replace("\t", "    ").split("\n")
    blocks: list[tuple[str, object]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.strip().startswith("$$"):  # display math: up to the closing $$
            body = [line.strip()[2:]]
            i += 1
            while "$$" not in body[-1] and i < len(lines):
                body.append(lines[i])
                i += 1
            tex = "\n".join(body)
            blocks.append(("math", tex[:tex.rindex("$$")] if "$$" in tex else tex))
        elif _FENCE.match(line):
            fence, body = _FENCE.match(line).group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            i += 1
            blocks.append(("code", "\n".join(body)))
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not _TABLE_RULE.match(lines[i]):
                    rows.append(_cells(lines[i]))
                i += 1
            blocks.append(("table", rows))
        elif _starts_list(line):
            items, ordered = [], _ITEM.match(line).group(2)[0].isdigit()
            while i < len(lines) and lines[i].strip():
                m = _ITEM.match(lines[i])
                if m and m.group(2)[0].isdigit() != ordered:
                    break  # another kind of list starts
                if m:
                    items.append([m.group(2), m.group(3)])
                else:  # a continuation line of the item
                    items[-1][1] += " " + lines[i].strip()
                i += 1
                nxt = _ITEM.match(lines[i + 1]) if i + 1 < len(lines) else None
                if i < len(lines) and not lines[i].strip() and nxt and nxt.group(2)[0].isdigit() == ordered:
                    i += 1  # a loose list: items separated by blank lines
            blocks.append(("list", [tuple(x) for x in items]))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not _starts_list(lines[i]) \
                    and not lines[i].strip().startswith("$$") and not _FENCE.match(lines[i]):
                para.append(lines[i].strip())
                i += 1
            text = " ".join(para)
            if text.startswith("#"):
                text = "**" + text.lstrip("#").strip() + "**"
            blocks.append(("para", text))
    return blocks


def _starts_list(line: str) -> bool:
    """A list starts with a bullet, or with the number 1 ("2020) weigh..." continues a paragraph)."""
    m = _ITEM.match(line)
    return bool(m) and (m.group(2) in "-*+" or m.group(2)[:-1] == "1")


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


# -- words and lines ---------------------------------------------------------------------------

def _words(pieces: list[Piece]) -> list[Word]:
    """Pieces of text split at spaces into words; pieces that touch (`(` then `x`) stay one word."""
    words: list[Word] = [[]]
    for text, styles in pieces:
        parts = text.split(" ")
        for k, part in enumerate(parts):
            if k:
                words.append([])
            if part:
                words[-1].append((part, styles))
    return [w for w in words if w]


def _show(word: Word, out: Plain) -> str:
    return "".join(out.style(text, *styles) for text, styles in word)


def _width(word: Word) -> int:
    return sum(width(text) for text, _ in word)


def text_words(text: str, *styles: str) -> list[Word]:
    """Plain text as words, all in `styles`."""
    return _words([(" ".join(text.split()), styles)])


def inline_pieces(text: str, *styles: str) -> list[Piece]:
    """A short text (a question, a claim) as styled pieces: notation and math as Unicode, `code`
    bold cyan, **bold** bold, math italic. terminal.inline makes a rich Text of the same pieces."""
    pieces: list[Piece] = []
    text, last = " ".join(text.split()), 0
    for m in INLINE_MARKUP.finditer(text):
        pieces.append((notation(text[last:m.start()]), styles))
        code, bold, display, math = m.groups()
        if code is not None:
            pieces.append((code, (*styles, "bold", "cyan")))
        elif bold is not None:
            pieces.append((notation(bold), (*styles, "bold")))
        else:
            pieces.append((" ".join(tex_to_unicode(display if display is not None else math).split()),
                           (*styles, "italic")))
        last = m.end()
    pieces.append((notation(text[last:]), styles))
    return pieces


def inline_words(text: str, *styles: str) -> list[Word]:
    """`inline_pieces` as words."""
    return _words(inline_pieces(text, *styles))


def _md_pieces(text: str, styles: tuple[str, ...]) -> list[Piece]:
    pieces: list[Piece] = []
    text, last = " ".join(text.split()), 0
    for m in _SPAN.finditer(text):
        pieces.append((text[last:m.start()], styles))
        g = m.groupdict()
        if g["c"] is not None:
            pieces.append((g["c"].strip(), (*styles, "bold", "cyan")))
        elif g["b"] is not None or g["b2"] is not None:
            pieces += _md_pieces(g["b"] or g["b2"], (*styles, "bold"))
        elif g["i"] is not None or g["i2"] is not None:
            pieces += _md_pieces(g["i"] or g["i2"], (*styles, "italic"))
        elif g["lt"] is not None:
            pieces += _md_pieces(g["lt"], styles)
            pieces.append((f" ({g['lu']})", (*styles, "dim")))
        elif g["esc"] is not None:
            pieces.append((g["esc"], styles))
        else:
            pieces.append((" ".join(tex_to_unicode(m.group(m.lastindex)).split()), (*styles, "italic")))
        last = m.end()
    pieces.append((text[last:], styles))
    return pieces


def md_words(text: str, *styles: str) -> list[Word]:
    """Inline Markdown as words: `code`, **bold**, *italic*, links (their address dim), math as Unicode."""
    return _words(_md_pieces(text, styles))


def wrap(words: list[Word], columns: int, out: Plain, first: str = "", rest: str | None = None) -> list[str]:
    """The words filled into lines of at most `columns` (a longer word gets a line of its own),
    the first line starting with `first` and the others with `rest` (a hanging indent: as wide
    as `first` by default)."""
    rest = " " * width(_ANSI.sub("", first)) if rest is None else rest
    lines, line, used, lead = [], [], 0, first
    room = max(1, columns - width(_ANSI.sub("", lead)))
    for word in words:
        w = _width(word)
        if line and used + 1 + w > room:
            lines.append(lead + " ".join(line))
            line, used, lead = [], 0, rest
            room = max(1, columns - width(rest))
        line.append(_show(word, out))
        used += w + (1 if used else 0)
    lines.append(lead + " ".join(line))
    return lines


def rule(title: str, columns: int, out: Plain, *styles: str) -> str:
    """── title ─────── across the line."""
    head = f"── {title} " if title else ""
    return out.style(head + "─" * max(3, columns - width(head)), *styles)


def markdown_lines(md: str, out: Plain, columns: int) -> list[str]:
    """A detailed answer: paragraphs, lists with a hanging indent, tables, each display equation
    on lines of its own (never wrapped mid-term), code in cyan."""
    lines: list[str] = []
    for kind, body in blocks(md):
        if lines:
            lines.append("")
        if kind == "para":
            lines += wrap(md_words(body), columns, out)
        elif kind == "math":
            lines += ["    " + line for line in display_lines(body, max(20, columns - 4))]
        elif kind == "code":
            lines += [out.style(line, "cyan") for line in body.split("\n")]
        elif kind == "list":
            w = max(len(marker) for marker, _ in body)
            for marker, text in body:
                mark = " " + ("•" if marker in "-*+" else marker).rjust(w) + " "
                lines += wrap(md_words(text), columns, out, first=mark)
        elif kind == "table":
            lines += table_lines(body, out, columns)
    return lines


def table_lines(rows: list[list[str]], out: Plain, columns: int) -> list[str]:
    """A pipe table: a bold header, a rule, the rows; columns narrowed (their cells wrapped) to
    fit `columns` when they can, never below their longest word."""
    cells = [[md_words(c, "bold") if r == 0 else md_words(c) for c in row] for r, row in enumerate(rows)]
    n = max(len(row) for row in cells)
    cells = [row + [[]] * (n - len(row)) for row in cells]
    natural = [max(sum(_width(w) for w in cell) + max(len(cell) - 1, 0) for cell in col) for col in zip(*cells)]
    floor = [max((_width(w) for cell in col for w in cell), default=0) for col in zip(*cells)]
    widths, room = list(natural), columns - 2 * (n - 1)
    while sum(widths) > room:
        k = max(range(n), key=lambda i: widths[i] - floor[i])
        if widths[k] <= floor[k]:
            break
        widths[k] -= 1
    lines = []
    for r, row in enumerate(cells):
        wrapped = [wrap(cell, w, out) if cell else [""] for cell, w in zip(row, widths)]
        for k in range(max(len(c) for c in wrapped)):
            parts = []
            for c, w in zip(wrapped, widths):
                text = c[k] if k < len(c) else ""
                parts.append(text + " " * max(0, w - width(_ANSI.sub("", text))))
            lines.append("  ".join(parts).rstrip())
        if r == 0:
            lines.append(out.style("  ".join("─" * w for w in widths), "dim"))
    return lines
