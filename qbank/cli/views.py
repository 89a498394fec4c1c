"""What the browsing and reporting commands print: rich tables and panels, nothing else."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from qbank.progress import srs
from qbank.cli import terminal
from qbank.bank.catalog import TOPICS, Catalog, Entry
from qbank.progress.store import Store, utc

if TYPE_CHECKING:
    from qbank.grading.grade import Run

MARKS = {"passed": "[green]✓ holds[/]", "failed": "[bold red]✗ fails[/]", "skipped": "[yellow]- skipped[/]",
         "not run": "[yellow]? not run[/]"}


def _when(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "new"
    if due <= now:
        return "[bold]due now[/]"
    return f"due {srs.describe_interval(due - now)}"


def _percent(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def progress_table(console, catalog: Catalog, store: Store) -> None:
    from rich.markup import escape
    from rich.table import Table

    from qbank.progress.stats import compute

    now = srs.now()
    cards, reviews = store.cards(), store.reviews()
    s = compute(catalog.entries, cards, reviews, now)
    seen = [cards[e.id] for e in catalog.entries if e.id in cards]
    recall = sum(srs.retrievability(c, now) for c in seen) / len(seen) if seen else None
    console.print(f"Progress in {escape(str(store.path))}" + ("" if store.path.exists() else " (no review yet)"))
    console.print(f"Reviews: [bold]{s.reviews}[/] ({s.reviews_today} today) · "
                  f"questions seen: [bold]{s.total.seen}[/] of {s.total.questions} · "
                  f"due now: [bold]{s.total.due_now}[/] · due today: [bold]{s.total.due_today}[/]")
    retention = (f"[bold]{_percent(s.total.retention)}[/] of {s.total.recalls} recall"
                 f"{'s' if s.total.recalls != 1 else ''}" if s.total.recalls else "no recall yet")
    console.print(f"Retention: {retention} (a question's first review is not a recall) · "
                  f"predicted recall now: {_percent(recall)}"
                  + (f" · next review {srs.describe_interval(s.next_due - now)}" if s.next_due and not s.total.due_now
                     else ""))
    table = Table(title="Per topic", title_justify="left")
    for name, justify in (("topic", "left"), ("questions", "right"), ("seen", "right"), ("due today", "right"),
                          ("mature", "right"), ("retention", "right"), ("progress", "left")):
        table.add_column(name, justify=justify)
    for line in s.topics:
        done = round(10 * line.seen / line.questions)
        table.add_row(line.label, str(line.questions), str(line.seen), str(line.due_today),
                      str(line.mature), _percent(line.retention), "█" * done + "░" * (10 - done))
    console.print(table)


def question_table(console, entries: list[Entry], due: dict[str, datetime], progress: bool = True) -> None:
    from rich.table import Table
    from rich.text import Text

    now = srs.now()
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("question", ratio=1)
    table.add_column("level", no_wrap=True)
    table.add_column("claims", no_wrap=True, justify="right")
    table.add_column("review", no_wrap=True)
    topic = None
    for e in entries:
        if e.topic != topic:
            topic = e.topic
            table.add_row(Text(TOPICS[topic], style="bold magenta"), end_section=False)
        proven = sum(1 for c in e.claims if c.check)
        cell = Text.assemble((e.id, "bold cyan"), "\n", terminal.inline(e.short_title))
        table.add_row(cell, e.difficulty, f"{proven}/{len(e.claims)}", _when(due.get(e.id), now) if progress else "?")
    console.print(table)
    console.print(f"{len(entries)} question{'s' if len(entries) != 1 else ''} · claims: proven by a check / made · "
                  f"qbank show ID shows one in full")


# -- one question in full (`show`, and the quiz's detail) -----------------------------------

LEGEND_REPORT = ("✓ its check passed in the last run{when} · ✗ it failed · – skipped · ○ not run · "
                 "? argued: no code can settle it")
LEGEND_NO_REPORT = ("• a check proves it (no verification report yet: `qbank verify {id}` runs them) · "
                    "? argued: no code can settle it")
VERDICT_MARKS = {"passed": "[green]✓[/]", "failed": "[bold red]✗[/]", "skipped": "[yellow]–[/]",
                 "not run": "[dim]○[/]"}


@cache
def seeds():
    """The seed index (documents and items) that `sources:` and errata cite, read with libyaml."""
    import yaml

    from qbank.bank import validate
    from qbank.bank.catalog import Loader

    text = Path(validate.__file__).with_name("seed_index.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=Loader)  # libyaml: validate.seed_index() reads it in pure Python
    return validate.SeedIndex(data["canonical"], data["items"], data.get("documents") or {})


def source_title(item: str) -> str:
    """Where a seed item is, as a reader understands it: 'Complete list of Transformer interview
    questions, Q34' (its document's title and the item's place in it)."""
    from qbank.bank.validate import item_label

    meta = seeds().items.get(item)
    if meta is None:
        return f"{item} (not in the seed index)"
    return f"{seeds().document_title(meta['document'])}, {item_label(item)}"


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


def _marked(console, mark: str, text, indent: int = 1) -> None:
    """One item with a hanging indent: wrapped lines start under the text, not under the mark."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, width=indent + 1)
    grid.add_column(ratio=1)
    grid.add_row(" " * indent + mark, text)
    console.print(grid)


def _node(console, node: str, note: str = "", indent: int = 5) -> None:
    """A check's node id on a line of its own, never wrapped inside (copy it whole)."""
    from rich.markup import escape

    console.print(f"{' ' * indent}[dim]{escape(node)}{escape(note)}[/]", soft_wrap=True, overflow="ignore",
                  crop=False)


def claims_and_errata(console, e: Entry) -> None:
    """Every claim with its check (and the check's last verdict, if a report exists), then the
    errata: what a source says, what is right, and the check that shows it."""
    from rich.markup import escape
    from rich.rule import Rule
    from rich.text import Text

    report = verification(_root(e))
    console.print(Rule(f"Claims ({len(e.claims)}): each sentence the answer stakes", align="left", style="dim"))
    if report is not None:
        when = report.generated_at()
        console.print(Text(LEGEND_REPORT.format(when=f" ({when:%Y-%m-%d})" if when else ""), style="dim"))
    else:
        console.print(Text(LEGEND_NO_REPORT.format(id=e.id), style="dim"))
    for c in e.claims:
        if c.check:
            mark = VERDICT_MARKS[report.verdict(c.check).outcome] if report is not None else "•"
            _marked(console, mark, terminal.inline(c.claim))
            _node(console, c.check, f" ({c.kind})" if c.kind else "")
        else:
            _marked(console, "[yellow]?[/]", terminal.inline(c.claim))
            _marked(console, "", Text(f"argued: {c.unprovable}", style="dim"), indent=3)
    if not e.errata:
        return
    console.print(Rule(f"Errata ({len(e.errata)}): where a source document is wrong", align="left", style="dim"))
    for x in e.errata:
        says = Text.assemble((source_title(x.source), "bold"), " says: ", terminal.inline(x.says))
        _marked(console, "•", says)
        _marked(console, "", Text.assemble(("What is right: ", "bold green"), terminal.inline(x.correct)), indent=3)
        if x.check:
            verdict = report.verdict(x.check).outcome if report is not None else None
            _node(console, x.check, f" (shows it; {verdict})" if verdict else " (shows it)")
        elif x.unprovable:
            _marked(console, "", Text(f"argued: {x.unprovable}", style="dim"), indent=3)
    console.print(f"[dim]`qbank verify {escape(e.id)}` runs these checks now.[/]")


def detail(console, e: Entry) -> None:
    """The quiz's `d`: the detailed answer, then the claims and errata."""
    from rich.rule import Rule

    console.print(Rule("Detailed answer", align="left", style="dim"))
    console.print(terminal.markdown(e.detailed))
    claims_and_errata(console, e)


def show_entry(console, e: Entry, card: dict | None, reviews: int, progress_note: str | None = None) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    now = srs.now()
    console.print(Panel(terminal.inline(e.question), title=terminal.plain(e.short_title), title_align="left",
                        subtitle=f"{TOPICS[e.topic]} · {e.difficulty} · {e.id}", subtitle_align="right",
                        border_style="cyan"))
    console.print(Panel(terminal.inline(e.short), title="Short answer", title_align="left", border_style="green"))
    console.print(Rule("Detailed answer", align="left"))
    console.print(terminal.markdown(e.detailed))
    claims_and_errata(console, e)
    if e.sources:
        console.print(Rule(f"Sources ({len(e.sources)}): the items of the source documents it covers",
                           align="left", style="dim"))
        for item in e.sources:
            _marked(console, "•", Text(plain_describe(item)))
    console.print(Rule(style="dim"))
    facts = [f"tags: {', '.join(e.tags)}"]
    if e.solution:
        facts.append(f"solution: {', '.join(e.solution)}")
    if e.related:
        facts.append(f"related: {', '.join(e.related)}")
    for line in facts:
        console.print(f"[dim]{escape(line)}[/]")
    if progress_note is not None:
        progress = progress_note
    else:
        progress = (f"{reviews} review{'s' if reviews != 1 else ''}, {_when(utc(card['due']), now)}"
                    if card else "not reviewed yet")
    console.print(f"[dim]your progress: {progress}[/]")


def plain_describe(item: str) -> str:
    """A seed item in words: its document's title, its place and what it asks."""
    return terminal.notation(seeds().describe(item))


def claim_report(console, run: Run, entries: list[Entry] | None = None, learner: Path | None = None) -> None:
    """Each claim's verdict in words, grouped by question; failures with their reason and
    Hypothesis's smallest failing example."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from qbank.grading.grade import explain

    by_question: dict[str, list] = {}
    for c in run.claims:
        by_question.setdefault(c.question, []).append(c)
    unprovable = {e.id: [c for c in e.claims if c.unprovable] for e in entries or []}
    for question in dict.fromkeys([*(e.id for e in entries or []), *by_question]):
        items = by_question.get(question, [])
        if not items and not unprovable.get(question):
            continue
        console.print(f"\n[bold]{question}[/]")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=11, no_wrap=True)
        grid.add_column(ratio=1)
        for c in items:
            label = f"erratum {c.erratum}: " if c.erratum else ""
            parts = [terminal.inline(label + c.claim)]
            if c.verdict.outcome != "passed":
                reason = explain(c.verdict, learner)
                if reason:
                    parts.append(Text(reason, style="" if c.verdict.outcome == "failed" else "dim"))
                example = c.verdict.example and "NotImplementedError" not in c.verdict.message  # any input fails
                if c.verdict.outcome == "failed" and example:
                    parts.append(Text.assemble(("smallest failing example:\n", "bold"), c.verdict.example))
            parts.append(Text(c.check, style="dim", overflow="fold"))
            grid.add_row(MARKS[c.verdict.outcome], Group(*parts))
        for c in unprovable.get(question, []):
            why = Text(c.unprovable or "", style="dim")
            grid.add_row("[dim]· unprovable[/]", Group(terminal.inline(c.claim), why))
        console.print(grid)
    held, failed, skipped = run.count("passed"), run.count("failed"), run.count("skipped") + run.count("not run")
    total = len(run.claims)
    colour = "red" if failed else "green" if held else "yellow"
    console.print(f"\n[bold {colour}]{held} of {total} claim{'s' if total != 1 else ''} hold[/], "
                  f"{failed} fail, {skipped} skipped.")
    if run.left_out:
        needed = sorted({c for v in run.left_out.values() for c in v})
        console.print(f"[dim]{len(run.left_out)} more check{'s' if len(run.left_out) != 1 else ''} also need "
                      f"{', '.join(needed)}: implement {'them' if len(needed) > 1 else 'it'} in the same file "
                      f"to include {'them' if len(run.left_out) != 1 else 'it'}.[/]")
