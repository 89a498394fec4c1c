"""What the browsing and reporting commands print: listings and one question in full (plain
text, terminal.Plain and layout.py), panels and reports (rich)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from qbank.progress import srs
from qbank.cli import terminal
from qbank.cli.layout import inline_words, markdown_lines, rule, text_words, wrap
from qbank.bank.catalog import TOPICS, Catalog, Entry
from qbank.progress.store import Store, utc


def _when(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "new"
    if due <= now:
        return "[bold]due now[/]"
    return f"due {srs.describe_interval(due - now)}"


def _percent(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def progress_table(out: terminal.Plain, catalog: Catalog, store: Store) -> None:
    from qbank.progress.stats import compute

    now = srs.now()
    cards, reviews = store.cards(), store.reviews()
    s = compute(catalog.entries, cards, reviews, now)
    seen = [cards[e.id] for e in catalog.entries if e.id in cards]
    recall = sum(srs.retrievability(c, now) for c in seen) / len(seen) if seen else None
    b = lambda x: out.style(str(x), "bold")  # noqa: E731
    out.print(f"Progress in {store.path}" + (" (no review yet)" if store.is_new else ""))
    out.print(f"Reviews: {b(s.reviews)} ({s.reviews_today} today) · questions seen: {b(s.total.seen)} of "
              f"{s.total.questions} · due now: {b(s.total.due_now)} · due today: {b(s.total.due_today)}")
    retention = (f"{b(_percent(s.total.retention))} of {s.total.recalls} recall{'s' if s.total.recalls != 1 else ''}"
                 if s.total.recalls else "no recall yet")
    out.print(f"Retention: {retention} (a question's first review is not a recall) · predicted recall now: "
              f"{_percent(recall)}" + (f" · next review {srs.describe_interval(s.next_due - now)}"
                                       if s.next_due and not s.total.due_now else ""))
    head = ("topic", "questions", "seen", "due today", "mature", "retention", "progress")
    rows = [(line.label, str(line.questions), str(line.seen), str(line.due_today), str(line.mature),
             _percent(line.retention), "█" * round(10 * line.seen / line.questions)
             + "░" * (10 - round(10 * line.seen / line.questions))) for line in s.topics]
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]

    def fmt(row) -> str:
        return "  ".join(c.ljust(w) if k in (0, 6) else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))

    out.print()
    out.print(out.style("Per topic", "bold"))
    out.print(out.style(fmt(head).rstrip(), "bold"))
    for row in rows:
        out.print(fmt(row).rstrip())


def question_table(out: terminal.Plain, entries: list[Entry], due: dict[str, datetime], progress: bool = True) -> None:
    """The questions grouped by topic, two lines each: id, level, claims proven / made and when it
    is due; then its short title. Printed without rich (see terminal.Plain)."""
    now = srs.now()
    rows = [(e, e.difficulty, f"{sum(1 for c in e.claims if c.check)}/{len(e.claims)}",
             _when_plain(due.get(e.id), now) if progress else "?") for e in entries]
    meta_w = [max((len(r[k]) for r in rows), default=0) for k in (1, 2, 3)]
    topic = None
    for e, level, claims, review in rows:
        if e.topic != topic:
            if topic is not None:
                out.print()
            topic = e.topic
            out.print(out.style(TOPICS[topic], "bold", "magenta"))
        meta = f"{level:<{meta_w[0]}}  {claims:>{meta_w[1]}}  {review:<{meta_w[2]}}".rstrip()
        gap = max(2, out.width - 2 - len(e.id) - len(meta))
        out.print("  ", out.style(e.id, "bold", "cyan"), " " * gap, out.style(meta, "bold") if review == "due now"
                  else meta)
        out.print("    ", terminal.plain(e.short_title))
    out.print()
    out.print(out.style(f"{len(entries)} question{'s' if len(entries) != 1 else ''} · level · claims proven by a "
                        f"check / made · next review · qbank show ID shows one in full", "dim"))


def _when_plain(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "new"
    if due <= now:
        return "due now"
    return f"due {srs.describe_interval(due - now)}"


# -- one question in full (`show`, and the quiz's detail) -----------------------------------

LEGEND_REPORT = ("✓ its check passed in the last run{when} · ✗ it failed · – skipped · ○ not run · "
                 "? argued: no code can settle it")
LEGEND_NO_REPORT = ("• a check proves it (no verification report yet: `qbank verify {id}` runs them) · "
                    "? argued: no code can settle it")
VERDICT_MARKS = {"passed": ("✓", "green"), "failed": ("✗", "bold", "red"), "skipped": ("–", "yellow"),
                 "not run": ("○", "dim")}  # the mark, then its styles


_seed_root: list[Path] = []  # the bank whose cache remembers the seed index (set by `use_bank`)


def use_bank(root: Path) -> None:
    _seed_root[:] = [root]


@cache
def seeds():
    """The seed index (documents and items) that `sources:` and errata cite."""
    if _seed_root:
        from qbank.cli.catalog_cache import seed_index

        return seed_index(_seed_root[0])
    from qbank.bank.seeds import seed_index

    return seed_index()


def source_title(item: str) -> str:
    """Where a seed item is, as a reader understands it: 'Complete list of Transformer interview
    questions, Q34' (its document's title and the item's place in it)."""
    return seeds().place(item)


@cache
def verification(root: Path | None):
    """The last verification report of the bank (build/verification.json), if it graded the
    reference solutions; None if there is none or it cannot be read."""
    if root is None:
        return None
    from qbank.grading.verification import DEFAULT_REPORT, ReportError, load_verification

    try:
        report = load_verification(root / DEFAULT_REPORT)
    except ReportError:
        return None
    if not report.ran or report.implementation not in (None, "solutions"):
        return None
    return report


def _root(e: Entry) -> Path | None:
    return e.path.parents[2] if e.path is not None and len(e.path.parents) > 2 else None


def claims_and_errata(e: Entry, out: terminal.Plain) -> list[str]:
    """Every claim with its check (and the check's last verdict, if a report exists), then the
    errata: what a source says, what is right, and the check that shows it."""
    cols = out.width
    report = verification(_root(e))
    lines = [rule(f"Claims ({len(e.claims)}): each sentence the answer stakes", cols, out, "dim")]
    if report is not None:
        when = report.generated_at()
        legend = LEGEND_REPORT.format(when=f" ({when:%Y-%m-%d})" if when else "")
    else:
        legend = LEGEND_NO_REPORT.format(id=e.id)
    lines += wrap(text_words(legend, "dim"), cols, out)

    def node(check: str, note: str) -> str:  # a check's node id on a line of its own, never wrapped (copy it whole)
        return out.style("     " + check + note, "dim")

    for c in e.claims:
        if c.check:
            mark = VERDICT_MARKS[report.verdict(c.check).outcome] if report is not None else ("•",)
            lines += wrap(inline_words(c.claim), cols, out, first=" " + out.style(*mark) + " ")
            lines.append(node(c.check, f" ({c.kind})" if c.kind else ""))
        else:
            lines += wrap(inline_words(c.claim), cols, out, first=" " + out.style("?", "yellow") + " ")
            lines += wrap(text_words(f"argued: {c.unprovable}", "dim"), cols, out, first="   ")
    if not e.errata:
        return lines
    lines.append(rule(f"Errata ({len(e.errata)}): where a source document is wrong", cols, out, "dim"))
    for x in e.errata:
        lines += wrap([*text_words(source_title(x.source), "bold"), *text_words("says:"), *inline_words(x.says)],
                      cols, out, first=" • ")
        lines += wrap([*text_words("What is right:", "bold", "green"), *inline_words(x.correct)], cols, out,
                      first="   ")
        if x.check:
            verdict = report.verdict(x.check).outcome if report is not None else None
            lines.append(node(x.check, f" (shows it; {verdict})" if verdict else " (shows it)"))
        elif x.unprovable:
            lines += wrap(text_words(f"argued: {x.unprovable}", "dim"), cols, out, first="   ")
    lines.append(out.style(f"`qbank verify {e.id}` runs these checks now.", "dim"))
    return lines


def detail_lines(e: Entry, out: terminal.Plain) -> list[str]:
    """The quiz's `d`: the detailed answer, then the claims and errata."""
    return [rule("Detailed answer", out.width, out, "dim"), *markdown_lines(e.detailed, out, out.width), "",
            *claims_and_errata(e, out)]


def show_lines(e: Entry, out: terminal.Plain, card: dict | None, reviews: int,
               progress_note: str | None = None) -> list[str]:
    """Everything about one question (`qbank show`): question, answers, claims, errata, sources."""
    cols = out.width
    lines = [rule(terminal.plain(e.short_title), cols, out, "bold", "cyan"),
             *wrap(inline_words(e.question), cols, out, first="  "),
             out.style(f"  {TOPICS[e.topic]} · {e.difficulty} · {e.id}", "dim"), "",
             rule("Short answer", cols, out, "green"), *wrap(inline_words(e.short), cols, out, first="  "), "",
             rule("Detailed answer", cols, out), *markdown_lines(e.detailed, out, cols), "",
             *claims_and_errata(e, out)]
    if e.sources:
        lines.append(rule(f"Sources ({len(e.sources)}): the items of the source documents it covers", cols, out, "dim"))
        for item in e.sources:
            lines += wrap(text_words(plain_describe(item)), cols, out, first=" • ")
    lines.append(rule("", cols, out, "dim"))
    facts = [f"tags: {', '.join(e.tags)}"]
    if e.solution:
        facts.append(f"solution: {', '.join(e.solution)}")
    if e.related:
        facts.append(f"related: {', '.join(e.related)}")
    if progress_note is not None:
        progress = progress_note
    else:
        progress = (f"{reviews} review{'s' if reviews != 1 else ''}, {_when_plain(utc(card['due']), srs.now())}"
                    if card else "not reviewed yet")
    return lines + [out.style(line, "dim") for line in [*facts, f"your progress: {progress}"]]


def plain_describe(item: str) -> str:
    """A seed item in words: its document's title, its place and what it asks."""
    return terminal.notation(seeds().describe(item))
