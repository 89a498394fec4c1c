"""`qbank export anki FILE.apkg`: the bank as an Anki deck (genanki).

Re-importing a newer export updates the notes instead of duplicating them, because Anki
matches notes by their GUID and ours is derived from the question's id only
(`genanki.guid_for(id)`), never from its text; the note type and the decks have fixed
ids too. One sub-deck per topic, tags for topic, difficulty and the question's own tags.
Math is written for Anki's MathJax (`\\(...\\)` and `\\[...\\]`), Markdown as HTML.
Only content is exported: Anki schedules the cards itself (genanki cannot carry FSRS state).
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from qbank.bank.catalog import TOPICS, Entry
from qbank.cli.terminal import map_math

MODEL_ID = 1_738_204_617  # fixed forever: changing it makes Anki see a new note type
DECK_NAME = "Transformer interview (qbank)"
FIELDS = ["Question", "Answer", "Detail", "Claims", "Topic", "Difficulty", "Id"]

CSS = """
.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.45; max-width: 46em;
        margin: 0 auto; text-align: left; color: #222; background: #fff; }
.nightMode .card, .card.nightMode { color: #ddd; background: #222; }
.meta { font-size: 13px; color: #888; }
.short { font-size: 19px; }
details { margin-top: 1em; } summary { cursor: pointer; color: #2a6db0; }
.claims li { margin: .25em 0; } .claims code { font-size: 12px; color: #888; }
pre, code { font-family: ui-monospace, monospace; font-size: 15px; }
"""
FRONT = '<div class="meta">{{Topic}} · {{Difficulty}}</div>\n<div class="question">{{Question}}</div>'
BACK = ('{{FrontSide}}\n<hr id="answer">\n<div class="short">{{Answer}}</div>\n'
        '<details><summary>Detailed answer</summary>{{Detail}}</details>\n'
        '<details><summary>Claims, each proven by a check</summary>{{Claims}}</details>')


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


def fields(e: Entry) -> list[str]:
    claims = "".join(
        f"<li>{to_html(c.claim).removeprefix('<p>').removesuffix('</p>')}<br>"
        + (f"<code>{html.escape(c.check)}</code>" if c.check
           else f"<em>unprovable: {html.escape(c.unprovable or '')}</em>")
        + "</li>" for c in e.claims)
    return [to_html(e.question), to_html(e.short), to_html(e.detailed), f'<ul class="claims">{claims}</ul>',
            TOPICS[e.topic], e.difficulty, e.id]


def build_package(entries: list[Entry]):
    import genanki

    model = genanki.Model(MODEL_ID, "qbank question", fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Question → answer", "qfmt": FRONT, "afmt": BACK}], css=CSS)
    decks: dict[str, genanki.Deck] = {}
    for e in entries:
        name = f"{DECK_NAME}::{TOPICS[e.topic]}"
        deck = decks.get(name) or decks.setdefault(name, genanki.Deck(deck_id(name), name))
        tags = ["qbank", f"topic::{e.topic}", f"difficulty::{e.difficulty}", *e.tags]
        deck.add_note(genanki.Note(model=model, fields=fields(e), guid=note_guid(e.id), tags=tags,
                                   sort_field=e.id))
    return genanki.Package(list(decks.values()))


def export(entries: list[Entry], path: Path) -> int:
    """Write the deck to `path`; returns the number of notes."""
    build_package(entries).write_to_file(str(path))
    return len(entries)
