"""What the browsing and reporting commands print: rich tables and panels, nothing else."""

from __future__ import annotations

from datetime import datetime

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


def question_table(console, entries: list[Entry], due: dict[str, datetime]) -> None:
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
        cell = Text.assemble((e.id, "bold cyan"), "\n", terminal.inline(e.question))
        table.add_row(cell, e.difficulty, f"{proven}/{len(e.claims)}", _when(due.get(e.id), now))
    console.print(table)
    console.print(f"{len(entries)} question{'s' if len(entries) != 1 else ''} · claims: proven by a check / made · "
                  f"qbank show ID shows one in full")


def show_entry(console, e: Entry, card: dict | None, reviews: int) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.rule import Rule

    now = srs.now()
    meta = f"{TOPICS[e.topic]} · {e.difficulty}"
    console.print(Panel(terminal.inline(e.question), title=e.id, title_align="left", subtitle=meta,
                        subtitle_align="right", border_style="cyan"))
    console.print(Panel(terminal.inline(e.short), title="Short answer", title_align="left", border_style="green"))
    console.print(Rule("Detailed answer", align="left"))
    console.print(terminal.markdown(e.detailed))
    console.print(Rule("Claims", align="left"))
    for c in e.claims:
        console.print(" • ", terminal.inline(c.claim))
        how = f"proven by {c.check}" if c.check else f"unprovable: {c.unprovable}"
        console.print(f"   [dim]{escape(how)}[/]")
    if e.errata:
        console.print(Rule("Errata (where a source is wrong)", align="left"))
        for x in e.errata:
            console.print(f" • [bold]{x.source}[/] says: ", terminal.inline(x.says))
            console.print("   right: ", terminal.inline(x.correct))
            how = f"shown by {x.check}" if x.check else f"unprovable: {x.unprovable}"
            console.print(f"   [dim]{escape(how)}[/]")
    console.print(Rule(style="dim"))
    facts = [f"tags: {', '.join(e.tags)}", f"sources: {', '.join(e.sources)}"]
    if e.solution:
        facts.append(f"solution: {', '.join(e.solution)}")
    if e.related:
        facts.append(f"related: {', '.join(e.related)}")
    progress = (f"{reviews} review{'s' if reviews != 1 else ''}, {_when(utc(card['due']), now)}"
                if card else "not reviewed yet")
    console.print("[dim]" + escape("\n".join(facts)) + "[/]")
    console.print(f"[dim]your progress: {progress}[/]")
