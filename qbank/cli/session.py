"""One interactive quiz session: show a question, let the learner think or type, reveal the
short answer, the detail on request, and record the self-grade.

Every grade is saved (one transaction) before the next question appears, so an
interrupted session loses nothing already answered. Like Anki, a card that comes out of
a grade still learning (due within LEARN_AHEAD, e.g. after "again") is asked again at the
end of the session. Input comes from `read(prompt)`: `Console.input` in a terminal,
stdin under a pipe or typer's CliRunner. End of input ends the session quietly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from qbank.progress import srs
from qbank.cli import terminal
from qbank.bank.catalog import TOPICS
from qbank.cli.quiz import Slot, parse_rating
from qbank.progress.store import Store, utc

LEARN_AHEAD = timedelta(minutes=20)  # Anki's default learn-ahead limit
CHOICES = ("[bold]d[/] detail · [bold]1[/] again · [bold]2[/] hard · [bold]3[/] good · [bold]4[/] easy · "
           "[bold]s[/] skip · [bold]q[/] quit")


@dataclass
class Summary:
    ratings: list[tuple[str, int]] = field(default_factory=list)  # (question id, rating)
    skipped: int = 0
    quit: bool = False

    @property
    def reviews(self) -> int:
        return len(self.ratings)


def run(console, store: Store, slots: list[Slot], read: Callable[[str], str],
        clock: Callable[[], datetime] = srs.now) -> Summary:
    summary = Summary()
    queue = list(slots)
    again: dict[str, tuple[Slot, datetime]] = {}  # still learning after this session's grade
    position, total = 0, len(queue)
    while True:
        if not queue:
            soon = sorted(again.values(), key=lambda x: x[1])
            if not soon or soon[0][1] > clock() + LEARN_AHEAD:
                return summary
            slot = Slot(soon[0][0].entry, "learning")
            del again[slot.entry.id]
        else:
            slot = queue.pop(0)
            position += 1
        try:
            rating, card = _ask(console, store, slot, position, total, read, clock)
        except EOFError:
            console.print()
            return summary
        if rating is None:
            summary.quit = True
            return summary
        if rating == 0:
            summary.skipped += 1
            continue
        summary.ratings.append((slot.entry.id, rating))
        due = utc(card["due"])
        if due <= clock() + LEARN_AHEAD:
            again[slot.entry.id] = (slot, due)
        else:
            again.pop(slot.entry.id, None)


def _ask(console, store: Store, slot: Slot, position: int, total: int, read, clock) -> tuple[int | None, dict]:
    """Show one card; return the rating given (1-4; 0 for skip, None for quit) and the new card."""
    from rich.panel import Panel

    e = slot.entry
    label = {"new": "new", "due": "due", "ahead": "not due yet", "learning": "again"}[slot.kind]
    title = f"{position}/{total} · {TOPICS[e.topic]} · {e.difficulty} · {label}"
    if slot.kind == "learning":
        title = f"again · {TOPICS[e.topic]} · {e.difficulty}"
    console.print()
    console.print(Panel(terminal.inline(e.question), title=title, title_align="left", border_style="cyan",
                        subtitle=e.id, subtitle_align="right"))
    started = time.monotonic()
    read("[dim]Think, or type your answer; press Enter to see the answer.[/]\n> ")
    console.print(Panel(terminal.inline(e.short), title="Answer", title_align="left", border_style="green"))
    shown_detail = False
    while True:
        choice = read(f"{CHOICES}\n> ").strip().lower()
        if choice in ("d", "detail", "?") and not shown_detail:
            _detail(console, e)
            shown_detail = True
            continue
        if choice in ("q", "quit"):
            return None, {}
        if choice in ("s", "skip"):
            return 0, {}
        rating = parse_rating(choice)
        if rating is None:
            console.print("[yellow]Type 1-4 (again, hard, good, easy), d for the detail, s to skip or q to quit.[/]")
            continue
        elapsed = int((time.monotonic() - started) * 1000)
        when = clock()
        card = srs.review(store, e.id, rating, when, elapsed)
        console.print(f"[green]Saved[/]: {srs.RATINGS[rating]}. "
                      f"Next review {srs.describe_interval(utc(card['due']) - when)}.")
        return rating, card


def _detail(console, e) -> None:
    from rich.rule import Rule

    console.print(Rule("Detailed answer", align="left", style="dim"))
    console.print(terminal.markdown(e.detailed))
    console.print(Rule("Claims", align="left", style="dim"))
    for c in e.claims:
        mark = "[green]✓[/]" if c.check else "[yellow]?[/]"
        console.print(f" {mark}", terminal.inline(c.claim))
    for x in e.errata:
        console.print(f" [red]✗[/] [bold]{x.source}[/] says:", terminal.inline(x.says))
        console.print("   [bold]right:[/]", terminal.inline(x.correct))
    console.print(f"[dim]✓ proven by a check, ? not provable by code. `qbank verify {e.id}` runs the checks.[/]")
