"""One interactive quiz session, as Anki runs one: show a question, reveal the answer (after
typing one, if you like), grade yourself with one key, and go on.

Keys (in a terminal, each acts at once, no Enter needed):

    question   Space or Enter  show the answer      t  type your answer first, then see it
    answer     1 again · 2 hard · 3 good · 4 easy, each labelled with the interval it gives
               d  the detailed answer, its claims and errata
    anywhere   s skip (nothing saved)   u undo the last grade   q quit   ? the keys

Without a terminal (stdin piped, typer's CliRunner) the session reads whole lines: an empty
line reveals, any other text is your typed answer, and at the answer `1`-`4` (or again, hard,
good, easy; a, h, g, e), `d`, `s`, `u`, `q`. A line that is exactly q, s or u (or quit, skip,
undo) is that command wherever it is typed, never an answer. `--type` asks for a typed
answer at every question in a terminal too.

Every grade is saved (one transaction) before the next question appears, so an interrupted
session loses nothing already graded. `u` takes the last grade of this session back (the
review-log row deleted and the card restored in one transaction) and shows that question
again; repeated, it goes further back. Like Anki, a card that comes out of a grade still
learning (due within LEARN_AHEAD, e.g. after "again") is asked again at the end of the
session; the header's count includes those. End of input ends the session quietly.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from qbank.bank.catalog import TOPICS
from qbank.cli import terminal
from qbank.cli.quiz import Slot, parse_rating
from qbank.cli.terminal import ENTER, EOF, SPACE
from qbank.progress import srs
from qbank.progress.store import Store, utc

LEARN_AHEAD = timedelta(minutes=20)  # Anki's default learn-ahead limit
TRAILING_ENTER = 0.6  # seconds: an Enter this soon after a grade key finishes that key ("3⏎"), it reveals nothing
COMMANDS = {"q": "quit", "quit": "quit", "s": "skip", "skip": "skip", "u": "undo", "undo": "undo"}
KINDS = {"new": "new", "due": "due", "ahead": "not due yet"}
HELP = ("[bold]Space[/] or [bold]Enter[/] shows the answer, [bold]t[/] lets you type yours first. "
        "At the answer: [bold]1[/] again, [bold]2[/] hard, [bold]3[/] good, [bold]4[/] easy (each with the "
        "interval it gives), [bold]d[/] the detail. Anywhere: [bold]s[/] skip (nothing saved), [bold]u[/] undo "
        "the last grade, [bold]q[/] quit (every grade given is saved), Ctrl-C too.")
LINE_HELP = ("Press Enter to see the answer (or type yours first). At the answer: 1 again, 2 hard, 3 good, "
             "4 easy, d the detail. Anywhere: s skip, u undo the last grade, q quit.")


@dataclass
class Summary:
    ratings: list[tuple[str, int]] = field(default_factory=list)  # (question id, rating), undone ones removed
    skipped: list[str] = field(default_factory=list)
    undone: int = 0
    quit: bool = False
    interrupted: bool = False

    @property
    def reviews(self) -> int:
        return len(self.ratings)


@dataclass
class _Done:
    slot: Slot
    graded: srs.Graded
    again_before: tuple[Slot, datetime] | None  # its entry in the session's "comes back" list before


class Session:
    def __init__(self, console, store: Store, ui: terminal.LineInput, clock: Callable[[], datetime] = srs.now,
                 type_answers: bool = False):
        self.console, self.store, self.ui, self.clock = console, store, ui, clock
        self.type_answers = type_answers
        self.summary = Summary()
        self.history: list[_Done] = []
        self.again: dict[str, tuple[Slot, datetime]] = {}  # still learning after this session's grade
        self.acted_at = float("-inf")  # when the last grade key was read

    # -- the loop ----------------------------------------------------------------------------

    def run(self, slots: list[Slot]) -> Summary:
        queue = deque(slots)
        finished = 0  # cards graded or skipped
        while True:
            if queue:
                slot = queue.popleft()
            else:
                soon = sorted(self.again.values(), key=lambda x: x[1])
                if not soon or soon[0][1] > self.clock() + LEARN_AHEAD:
                    return self.summary
                slot = soon[0][0]
                del self.again[slot.entry.id]
            position = finished + 1
            total = position + len(queue) + len(self.again)
            try:
                outcome = self.ask(slot, position, total)
            except EOFError:
                self.console.print()
                return self.summary
            except KeyboardInterrupt:
                self.console.print()
                self.summary.interrupted = True
                return self.summary
            if outcome == "quit":
                self.summary.quit = True
                return self.summary
            if outcome == "skip":
                finished += 1
                self.summary.skipped.append(slot.entry.id)
                continue
            if outcome == "undo":
                done = self.history.pop()
                self._undo(done)
                if slot.entry.id != done.slot.entry.id:  # the card on screen comes after the one taken back
                    queue.appendleft(slot)
                queue.appendleft(done.slot)
                finished -= 1
                continue
            graded: srs.Graded = outcome
            finished += 1
            e = slot.entry
            self.history.append(_Done(slot, graded, self.again.pop(e.id, None)))
            self.summary.ratings.append((e.id, graded.rating))
            due = utc(graded.card["due"])
            if due <= self.clock() + LEARN_AHEAD:
                self.again[e.id] = (Slot(e, "learning", graded.rating), due)

    def _undo(self, done: _Done) -> None:
        e = done.slot.entry
        srs.undo(self.store, done.graded, e.id)
        self.summary.ratings.pop()
        self.summary.undone += 1
        self.again.pop(e.id, None)
        if done.again_before is not None:
            self.again[e.id] = done.again_before
        self.console.print(f"[yellow]Undone[/]: your [bold]{srs.RATINGS[done.graded.rating]}[/] for "
                           f"“{terminal.plain(e.short_title)}”; its card is back as it was, and here it is again.")

    # -- one card ----------------------------------------------------------------------------

    def ask(self, slot: Slot, position: int, total: int):
        """Show one card; return "quit", "skip", "undo" or the Graded review."""
        self._front(slot, position, total)
        started = time.monotonic()
        answer = self._read_front()
        if answer in ("quit", "skip", "undo"):
            return self._command(answer, slot)
        self._reveal(slot.entry, answer)
        outcome = self._read_back(slot, started)
        return self._command(outcome, slot) if isinstance(outcome, str) else outcome

    def _command(self, command: str, slot: Slot) -> str:
        if command == "skip":
            word = {"new": "new", "due": "due"}.get(slot.kind, "as it was")
            self.console.print(f"[yellow]Skipped[/]: nothing saved; “{terminal.plain(slot.entry.short_title)}” "
                               f"stays {word}.")
        return command

    def _front(self, slot: Slot, position: int, total: int) -> None:
        from rich.panel import Panel

        e = slot.entry
        title = f"{position}/{total} · {self._label(slot)}"
        if e.title:  # a title of its own (one derived from the question would only repeat it)
            title += f" · {terminal.plain(e.title)}"
        self.console.print()
        self.console.print(Panel(terminal.inline(e.question), title=title,
                                 title_align="left", border_style="cyan",
                                 subtitle=f"{TOPICS[e.topic]} · {e.difficulty} · {e.id}", subtitle_align="right"))

    def _label(self, slot: Slot) -> str:
        if slot.kind != "learning":
            return KINDS[slot.kind]
        card = self.store.cards().get(slot.entry.id) or {}
        step = "relearning" if card.get("state") == 3 else "learning"
        graded = f", graded {srs.RATINGS[slot.last_rating]}" if slot.last_rating else ""
        return f"back again ({step}{graded})"

    def _can_undo(self) -> bool:
        if self.history:
            return True
        self.console.print("[yellow]Nothing to undo[/]: no grade given in this session yet.")
        return False

    def _read_front(self) -> str | None:
        """"quit", "skip", "undo", or the answer typed (None: none) once the learner wants to see it."""
        ui = self.ui
        if not ui.keys or self.type_answers:
            prompt = ("[dim]Type your answer (or just Enter) to see the answer · s skip · u undo · q quit[/]\n> "
                      if ui.keys else "[dim]Think, or type your answer; press Enter to see the answer "
                                      "(s skip · u undo · q quit).[/]\n> ")
            while True:
                text = ui.line(prompt).strip()
                command = COMMANDS.get(text.lower())
                if command == "undo" and not self._can_undo():
                    continue
                if command:
                    return command
                if text in ("?", "help"):
                    self.console.print(LINE_HELP if not ui.keys else HELP)
                    continue
                return text or None
        prompt = ("[dim][bold]Space[/bold] show the answer · [bold]t[/bold] type yours · [bold]s[/bold] skip · "
                  "[bold]u[/bold] undo · [bold]q[/bold] quit ›[/] ")
        show = True
        while True:
            key = ui.key(prompt if show else None)
            show = True
            if key == ENTER and time.monotonic() - self.acted_at < TRAILING_ENTER:
                show = False  # the Enter of "3⏎": that key has already acted
                continue
            if key in (SPACE, ENTER):
                self.console.print()
                return None
            if key == EOF or key in "qQ":
                self.console.print("quit")
                return "quit"
            if key in "sS":
                self.console.print("skip")
                return "skip"
            if key in "uU":
                self.console.print("undo")
                if self._can_undo():
                    return "undo"
                continue
            if key in "tT":
                self.console.print()
                text = ui.line("[dim]Your answer (Enter to see the answer):[/] ").strip()
                command = COMMANDS.get(text.lower())
                if command == "undo" and not self._can_undo():
                    continue
                return command or text or None
            self.console.print()
            if key in "1234":
                self.console.print("[yellow]See the answer first[/] (Space), then grade it.")
            else:
                self.console.print(HELP)

    def _reveal(self, e, typed: str | None) -> None:
        from rich.panel import Panel
        from rich.text import Text

        if typed:
            self.console.print(Panel(Text(typed), title="Your answer", title_align="left", border_style="dim"))
        self.console.print(Panel(terminal.inline(e.short), title="Answer", title_align="left", border_style="green"))

    def _read_back(self, slot: Slot, started: float):
        """A Graded review, or "quit", "skip", "undo"."""
        e = slot.entry
        when = self.clock()
        saved = self.store.cards().get(e.id)
        outcomes = srs.preview(saved, e.id, when)
        labels = {r: srs.short_interval(utc(card["due"]) - when) for r, card in outcomes.items()}
        ratings = " · ".join(f"[bold]{r}[/] {word} [cyan]{labels[r]}[/]" for r, word in srs.RATINGS.items())
        shown_detail = False
        ui = self.ui
        while True:
            if ui.keys:
                key = ui.key(f"{ratings}   [dim][bold]d[/bold] detail · [bold]s[/bold] skip · [bold]u[/bold] undo · "
                             f"[bold]q[/bold] quit ›[/] ")
                if key == EOF:
                    key = "q"
                text = {ENTER: "", SPACE: ""}.get(key, key).lower()
                rating = int(text) if text in ("1", "2", "3", "4") else None
                self.console.print(srs.RATINGS[rating] if rating else COMMANDS.get(text, "detail" if text == "d" else ""))
            else:
                text = ui.line(f"{ratings}\n[dim]d detail · s skip · u undo · q quit[/]\n> ").strip().lower()
                rating = parse_rating(text)
            if rating is not None:
                self.acted_at = time.monotonic()
                return self._grade(e, rating, started)
            command = COMMANDS.get(text)
            if command == "undo" and not self._can_undo():
                continue
            if command:
                return command
            if text in ("d", "detail") and not shown_detail:
                self._detail(e)
                shown_detail = True
                continue
            if text in ("d", "detail"):
                self.console.print("[dim](the detail is above)[/]")
                continue
            self.console.print("[yellow]Grade it[/]: " + ("press 1-4" if ui.keys else "type 1-4 (again, hard, good, easy)")
                               + ", d for the detail, s to skip, u to undo the last grade or q to quit.")

    def _grade(self, e, rating: int, started: float) -> srs.Graded:
        elapsed = int((time.monotonic() - started) * 1000)
        when = self.clock()
        graded = srs.grade(self.store, e.id, rating, when, elapsed)
        due = utc(graded.card["due"])
        back = " (it comes back later in this session)" if due <= when + LEARN_AHEAD else ""
        self.console.print(f"[green]Saved[/]: {srs.RATINGS[rating]}. Next review {srs.describe_interval(due - when)}"
                           f"{back}.")
        return graded

    def _detail(self, e) -> None:
        from qbank.cli.views import detail_lines

        out = terminal.Plain(self.console.file, width=self.console.width, terminal=self.console.is_terminal)
        out.color = self.console.is_terminal and not self.console.no_color and self.console.color_system is not None
        for line in detail_lines(e, out):
            out.print(line)
        self.console.file.flush()


def run(console, store: Store, slots: list[Slot], ui: terminal.LineInput, clock: Callable[[], datetime] = srs.now,
        type_answers: bool = False) -> Summary:
    return Session(console, store, ui, clock, type_answers).run(slots)
