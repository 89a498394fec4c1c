"""What the browsing and reporting commands print: listings (plain text), panels and reports (rich)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from qbank.progress import srs
from qbank.cli import terminal
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
VERDICT_MARKS = {"passed": "[green]✓[/]", "failed": "[bold red]✗[/]", "skipped": "[yellow]–[/]",
                 "not run": "[dim]○[/]"}


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


def _marked(mark: str, text, indent: int = 1):
    """One item with a hanging indent: wrapped lines start under the text, not under the mark."""
    return terminal.Hanging(" " * indent + mark, text)


def _node(node: str, note: str = "", indent: int = 5):
    """A check's node id on a line of its own, never wrapped inside (copy it whole)."""
    from rich.text import Text

    return Text(" " * indent + node + note, style="dim", no_wrap=True, overflow="ignore")


def claims_and_errata(e: Entry) -> list:
    """Every claim with its check (and the check's last verdict, if a report exists), then the
    errata: what a source says, what is right, and the check that shows it."""
    from rich.rule import Rule
    from rich.text import Text

    report = verification(_root(e))
    out: list = [Rule(f"Claims ({len(e.claims)}): each sentence the answer stakes", align="left", style="dim")]
    if report is not None:
        when = report.generated_at()
        out.append(Text(LEGEND_REPORT.format(when=f" ({when:%Y-%m-%d})" if when else ""), style="dim"))
    else:
        out.append(Text(LEGEND_NO_REPORT.format(id=e.id), style="dim"))
    for c in e.claims:
        if c.check:
            mark = VERDICT_MARKS[report.verdict(c.check).outcome] if report is not None else "•"
            out += [_marked(mark, terminal.inline(c.claim)), _node(c.check, f" ({c.kind})" if c.kind else "")]
        else:
            out += [_marked("[yellow]?[/]", terminal.inline(c.claim)),
                    _marked("", Text(f"argued: {c.unprovable}", style="dim"), indent=3)]
    if not e.errata:
        return out
    out.append(Rule(f"Errata ({len(e.errata)}): where a source document is wrong", align="left", style="dim"))
    for x in e.errata:
        out.append(_marked("•", Text.assemble((source_title(x.source), "bold"), " says: ", terminal.inline(x.says))))
        out.append(_marked("", Text.assemble(("What is right: ", "bold green"), terminal.inline(x.correct)), indent=3))
        if x.check:
            verdict = report.verdict(x.check).outcome if report is not None else None
            out.append(_node(x.check, f" (shows it; {verdict})" if verdict else " (shows it)"))
        elif x.unprovable:
            out.append(_marked("", Text(f"argued: {x.unprovable}", style="dim"), indent=3))
    out.append(Text(f"`qbank verify {e.id}` runs these checks now.", style="dim"))
    return out


def detail(console, e: Entry) -> None:
    """The quiz's `d`: the detailed answer, then the claims and errata."""
    from rich.console import Group
    from rich.rule import Rule

    console.print(Group(Rule("Detailed answer", align="left", style="dim"), terminal.markdown(e.detailed),
                        *claims_and_errata(e)), crop=False)


def show_entry(console, e: Entry, card: dict | None, reviews: int, progress_note: str | None = None) -> None:
    """Everything about one question, printed at once."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    now = srs.now()
    out: list = [
        Panel(terminal.inline(e.question), title=terminal.plain(e.short_title), title_align="left",
              subtitle=f"{TOPICS[e.topic]} · {e.difficulty} · {e.id}", subtitle_align="right", border_style="cyan"),
        Panel(terminal.inline(e.short), title="Short answer", title_align="left", border_style="green"),
        Rule("Detailed answer", align="left"), terminal.markdown(e.detailed), *claims_and_errata(e)]
    if e.sources:
        out.append(Rule(f"Sources ({len(e.sources)}): the items of the source documents it covers",
                        align="left", style="dim"))
        out += [_marked("•", Text(plain_describe(item))) for item in e.sources]
    out.append(Rule(style="dim"))
    facts = [f"tags: {', '.join(e.tags)}"]
    if e.solution:
        facts.append(f"solution: {', '.join(e.solution)}")
    if e.related:
        facts.append(f"related: {', '.join(e.related)}")
    if progress_note is not None:
        progress = progress_note
    else:
        progress = (f"{reviews} review{'s' if reviews != 1 else ''}, {_when_plain(utc(card['due']), now)}"
                    if card else "not reviewed yet")
    out.append(Text("\n".join([*facts, f"your progress: {progress}"]), style="dim"))
    console.print(Group(*out), crop=False)  # crop=False: a check id longer than the line stays whole


def plain_describe(item: str) -> str:
    """A seed item in words: its document's title, its place and what it asks."""
    return terminal.notation(seeds().describe(item))
