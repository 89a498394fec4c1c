"""`qbank export anki FILE.apkg`: the bank as an Anki deck (genanki).

Re-importing a newer export updates the notes instead of duplicating them, because Anki
matches notes by their GUID and ours is derived from the question's id only
(`genanki.guid_for(id)`), never from its text; the note type and the decks have fixed
ids too. One sub-deck per topic, tags for topic, difficulty and the question's own tags.

What a card holds, as the study site shows it: the question (front); the short answer, then
collapsed blocks for the detailed answer, the figures, the claims (as sentences, each
marked as proven by a check or argued; check ids are for the terminal and the site), the
errata (which source says what, and what is right) and the sources (each document by its
title). Math is written for Anki's MathJax (`\\(...\\)` and `\\[...\\]`); plain notation in
the short answer, claims and errata ("√d_k") is typeset as math the way the site does it
(`qbank.site.render.typeset`). The browser sorts by the question's short title.

Figures are the site's own (`qbank.site.figures`: drawn with matplotlib from `solutions/`,
so this imports torch, a few seconds), stored as SVG media files named `qbank-<name>.svg`;
`--no-figures` leaves them out. Only content is exported: Anki schedules the cards itself
(genanki cannot carry FSRS state).

The note type keeps its id (MODEL_ID) and its first seven fields from the first release;
later fields were appended, so an earlier deck is updated in place: in Anki's import
dialog, let it update the note type ("Merge note types").
"""

from __future__ import annotations

import hashlib
import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qbank.bank.catalog import TOPICS, Entry
from qbank.cli.terminal import map_math, plain

MODEL_ID = 1_738_204_617  # fixed forever: changing it makes Anki see a new note type
DECK_NAME = "Transformer interview (qbank)"
FIELDS = ["Question", "Answer", "Detail", "Claims", "Topic", "Difficulty", "Id",  # the first release's
          "Title", "Errata", "Sources", "Figures"]
SORT_FIELD = FIELDS.index("Title")
MEDIA_PREFIX = "qbank-"

CSS = """
.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.45; max-width: 46em;
        margin: 0 auto; text-align: left; color: #222; background: #fff; }
.nightMode .card, .card.nightMode { color: #ddd; background: #222; }
.meta { font-size: 13px; color: #888; }
.short { font-size: 19px; }
details { margin-top: 1em; } summary { cursor: pointer; color: #2a6db0; }
.claims li, .errata li, .sources li { margin: .3em 0; }
.mark { font-weight: bold; color: #2e7d32; } .argued { color: #b26a00; } .why { color: #888; font-size: 15px; }
.says { font-weight: bold; } .right { color: #2e7d32; font-weight: bold; }
figure { margin: 1em 0; } figure img { max-width: 100%; background: #fff; }
figcaption { font-size: 14px; color: #888; }
pre, code { font-family: ui-monospace, monospace; font-size: 15px; }
"""
FRONT = ('<div class="meta">{{Topic}} · {{Difficulty}}</div>\n'
         '<div class="question">{{Question}}</div>')
BACK = ('{{FrontSide}}\n<hr id="answer">\n<div class="short">{{Answer}}</div>\n'
        '<details><summary>Detailed answer</summary>{{Detail}}</details>\n'
        '{{#Figures}}<details><summary>Figures</summary>{{Figures}}</details>{{/Figures}}\n'
        '<details><summary>Claims: each sentence the answer stakes</summary>{{Claims}}</details>\n'
        '{{#Errata}}<details><summary>Errata: where a source is wrong</summary>{{Errata}}</details>{{/Errata}}\n'
        '{{#Sources}}<details><summary>Sources</summary>{{Sources}}</details>{{/Sources}}\n'
        '<div class="meta">qbank show {{Id}}</div>')


@dataclass
class Export:
    notes: int
    figures: int = 0
    warnings: list[str] = field(default_factory=list)


def deck_id(name: str) -> int:
    """A fixed id for a deck name, in the range genanki recommends."""
    return (1 << 30) + int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") % (1 << 30)


def note_guid(question_id: str) -> str:
    import genanki

    return genanki.guid_for("qbank", question_id)


def to_html(md: str) -> str:
    """Markdown to HTML, with the math protected from Markdown and written for MathJax."""
    from markdown_it import MarkdownIt

    math: list[str] = []

    def keep(tex: str, left: str, right: str) -> str:
        math.append(left + html.escape(tex.strip(), quote=False) + right)
        return f"QBANKMATH{len(math) - 1}X"

    protected = map_math(md, lambda t: keep(t, r"\(", r"\)"), lambda t: keep(t, r"\[", r"\]"))
    rendered = MarkdownIt("commonmark").enable("table").render(protected)
    for i, tex in reversed(list(enumerate(math))):
        rendered = rendered.replace(f"QBANKMATH{i}X", tex)
    return rendered.strip()


def _typeset(text: str) -> str:
    """Plain notation as math, as the site typesets it."""
    from qbank.site.render import typeset

    return typeset(text)


def text_html(text: str) -> str:
    """A short text (claim, short answer, erratum) as inline HTML: notation typeset, math for MathJax."""
    return to_html(_typeset(text)).removeprefix("<p>").removesuffix("</p>")


def claims_html(e: Entry) -> str:
    items = []
    for c in e.claims:
        if c.check:
            items.append(f'<li><span class="mark" title="a check proves it">✓</span> {text_html(c.claim)}</li>')
        else:
            items.append(f'<li><span class="argued" title="argued: no code can settle it">?</span> '
                         f'{text_html(c.claim)}<br><span class="why">Argued, not checked: '
                         f'{html.escape(c.unprovable or "")}</span></li>')
    legend = ('<p class="why">✓ a check in the bank proves it (<code>qbank verify ' + html.escape(e.id)
              + '</code> runs them) · ? argued: no code can settle it</p>')
    return f'{legend}<ul class="claims">{"".join(items)}</ul>'


def errata_html(e: Entry) -> str:
    if not e.errata:
        return ""
    from qbank.cli.views import source_title

    items = [f'<li><span class="says">{html.escape(source_title(x.source))} says:</span> {text_html(x.says)}<br>'
             f'<span class="right">What is right:</span> {text_html(x.correct)}'
             + ("" if x.check else f'<br><span class="why">Argued: {html.escape(x.unprovable or "")}</span>')
             + "</li>" for x in e.errata]
    return f'<ul class="errata">{"".join(items)}</ul>'


def sources_html(e: Entry) -> str:
    if not e.sources:
        return ""
    from qbank.cli.views import seeds

    return '<ul class="sources">' + "".join(f"<li>{text_html(seeds().describe(item))}</li>"
                                            for item in e.sources) + "</ul>"


def figures_html(figures) -> str:
    return "".join(f'<figure><img src="{MEDIA_PREFIX}{f.name}.svg" alt="{html.escape(f.title)}">'
                   f"<figcaption><b>{html.escape(f.title)}.</b> {text_html(f.caption)}</figcaption></figure>"
                   for f in figures)


def title(e: Entry) -> str:
    """The short title as plain Unicode text (Anki's browser sorts and shows it as text)."""
    return plain(e.short_title)


def fields(e: Entry, figures=()) -> list[str]:
    return [to_html(e.question), text_html(e.short), to_html(e.detailed), claims_html(e), TOPICS[e.topic],
            e.difficulty, e.id, html.escape(title(e)), errata_html(e), sources_html(e), figures_html(figures)]


def figures_for(entries: list[Entry], root: Path | None) -> tuple[dict[str, list], list[str]]:
    """question id -> the site's figures attached to it; and warnings if they cannot be drawn."""
    import sys

    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))  # the figures draw from solutions/, beside the bank
    try:
        from qbank.site.figures import FIGURES
    except ImportError as e:
        return {}, [f"figures left out: {e} (they need the docs extra: pip install 'qbank[docs]')"]
    return {e.id: [f for f in FIGURES if f.attach(e)] for e in entries}, []


def build_package(entries: list[Entry], figures: dict[str, list] | None = None, media: list[str] = ()):
    import genanki

    model = genanki.Model(MODEL_ID, "qbank question", fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Question → answer", "qfmt": FRONT, "afmt": BACK}], css=CSS,
                          sort_field_index=SORT_FIELD)
    decks: dict[str, genanki.Deck] = {}
    for e in entries:
        name = f"{DECK_NAME}::{TOPICS[e.topic]}"
        deck = decks.get(name) or decks.setdefault(name, genanki.Deck(deck_id(name), name))
        tags = ["qbank", f"topic::{e.topic}", f"difficulty::{e.difficulty}", *e.tags]
        deck.add_note(genanki.Note(model=model, fields=fields(e, (figures or {}).get(e.id, ())),
                                   guid=note_guid(e.id), tags=tags, sort_field=title(e)))
    return genanki.Package(list(decks.values()), media_files=list(media))


def export(entries: list[Entry], path: Path, root: Path | None = None, figures: bool = True) -> Export:
    """Write the deck to `path`."""
    attached, warnings = figures_for(entries, root) if figures else ({}, [])
    used = {f.name: f for fs in attached.values() for f in fs}
    with tempfile.TemporaryDirectory(prefix="qbank-anki-") as tmp:
        media = []
        if used:
            from qbank.site.figures import svg

            for name, figure in sorted(used.items()):
                try:
                    data = svg(figure)
                except Exception as e:  # a figure that cannot be drawn leaves the deck without it
                    warnings.append(f"figure {name} left out: {type(e).__name__}: {e}")
                    for fs in attached.values():
                        if figure in fs:
                            fs.remove(figure)
                    continue
                file = Path(tmp) / f"{MEDIA_PREFIX}{name}.svg"
                file.write_bytes(data)
                media.append(str(file))
        build_package(entries, attached, media).write_to_file(str(path))
    return Export(len(entries), len(media), warnings)
