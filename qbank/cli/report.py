"""What `qbank grade` and `qbank verify` print: one line per check, failures first.

Each failure shows the claim it disproves (the most direct one, and about "your FILE" rather
than "the reference implementation" when grading), the reason in words, every input by name,
expected against got with the largest difference and where, where in the learner's code the
error was raised, and the command that re-runs that one check with the same examples. Then
the count, and the failing claims again, one line each, so nothing needs scrolling back.

On a terminal, lines wrap to its width with a hanging indent; piped, no line is ever wrapped.
Kept apart from the other views so that grading imports neither the progress store nor FSRS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qbank.bank.catalog import Entry
    from qbank.grading.grade import Run

KIND_WORDS = {"component": "grades code", "fact": "fact", "library": "library behaviour"}
INDENT = 10


def claim_report(console, run: Run, entries: list[Entry] | None = None, learner: Path | None = None,
                 failed_only: bool = False, quiet: bool = False, rerun: list[str] | None = None) -> None:
    """One line per check, failures first (each with its inputs by name, expected against got,
    where it was raised and the command that re-runs it), then the count and the failing
    claims again, one line each. `rerun` is the command that ran (to re-run one check);
    `failed_only` leaves out the checks that hold, `quiet` prints only the closing lines."""
    from qbank.grading.grade import explain, not_implemented

    yours = f"your {learner.name}" if learner else None
    say = _Sayer(console)
    failures = run.failures
    if not quiet:
        grouped = _not_implemented_groups(failures, learner)
        shown_group = set()
        for r in failures:
            reason = explain(r.verdict, learner)
            if not_implemented(r.verdict) and len(grouped.get(reason, ())) > 1:
                if reason not in shown_group:
                    shown_group.add(reason)
                    say.line("", f"{len(grouped[reason])} checks fail because {reason}:", style="bold red",
                             indent=0)
                say.line("✗ fails", _sentence(r, yours), mark_style="bold red")
                continue
            say.line("✗ fails", _sentence(r, yours) + ("" if learner else _kind_tag(r)), mark_style="bold red")
            _failure_details(say, r, reason, rerun)
        for r in run.results:
            if r.verdict.outcome == "failed" or (failed_only and r.verdict.outcome == "passed"):
                continue
            tag = "" if learner else _kind_tag(r)
            if r.verdict.outcome == "passed":
                say.line("✓ holds", _sentence(r, yours) + tag, mark_style="green")
            else:
                mark = "- skipped" if r.verdict.outcome == "skipped" else "? not run"
                say.line(mark, _sentence(r, yours) + tag, mark_style="yellow")
                say.line("", _yours(explain(r.verdict, learner), learner), style="dim")
        console.print()
    _closing(console, say, run, learner, yours)


class _Sayer:
    """Lines with a hanging indent: wrapped to the terminal's width on a terminal, never
    wrapped when piped (each line whole, for grep and for a narrow log viewer)."""

    def __init__(self, console):
        self.console = console
        self.width = console.width if console.is_terminal else None

    def line(self, mark: str, text: str, mark_style: str = "", style: str = "", indent: int = INDENT) -> None:
        import textwrap

        from rich.text import Text

        first = True
        for paragraph in text.splitlines() or [""]:
            pieces = (textwrap.wrap(paragraph, max(20, self.width - indent), break_long_words=False,
                                    break_on_hyphens=False, subsequent_indent="  " if indent else "")
                      if self.width else [paragraph]) or [""]
            for piece in pieces:
                out = Text(mark.ljust(indent) if first else " " * indent, style=mark_style if first else "")
                out.append(piece, style=style)
                self.console.print(out, soft_wrap=True)
                first = False


def _sentence(r, yours: str | None) -> str:
    from qbank.cli import terminal

    label = f"erratum {r.headline.erratum}: " if r.headline.erratum else ""
    text = terminal.plain(label + r.headline.sentence).replace("`", "")
    return _as_yours(text, yours) if yours else text


_REFERENCE = re.compile(r"\b([Tt])he reference (?:implementation|solution)(?: here)?\b")


def _as_yours(text: str, yours: str) -> str:
    """A claim written about the bank's reference implementation, read about the learner's file."""
    return _REFERENCE.sub(lambda m: ("Y" if m.group(1) == "T" else "y") + yours[1:], text)


def _yours(text: str, learner: Path | None) -> str:
    return text.replace("this implementation", f"your {learner.name}") if learner else text


def _kind_tag(r) -> str:
    kind = KIND_WORDS.get(r.headline.kind or "")
    return f"  [{kind}]" if kind else ""


def _not_implemented_groups(failures, learner) -> dict[str, list]:
    from qbank.grading.grade import explain, not_implemented

    groups: dict[str, list] = {}
    for r in failures:
        if not_implemented(r.verdict):
            groups.setdefault(explain(r.verdict, learner), []).append(r)
    return groups


def _failure_details(say: _Sayer, r, reason: str, rerun: list[str] | None) -> None:
    v = r.verdict
    if reason:
        say.line("", reason)
    if not v.message.startswith("NotImplementedError"):
        for i, (name, value) in enumerate(v.inputs):
            say.line("input" if i == 0 else "", f"{name} = {value}", style="", mark_style="bold")
        if v.case:
            say.line("case", v.case.strip("[]"), mark_style="bold")
        compare = v.compare or {}
        if "expected" in compare:
            say.line("expected", compare["expected"], mark_style="bold")
            say.line("got", compare["got"], mark_style="bold")
        if compare.get("summary"):
            say.line("", compare["summary"])
        for note in v.notes[:3]:
            say.line("note", note, style="dim", mark_style="dim")
    if rerun:
        say.line("re-run", " ".join([*rerun, "--check", r.name]), style="cyan", mark_style="bold")
    if v.reproduce:
        say.line("", f"(or decorate the check with {v.reproduce})", style="dim")
    say.line("", r.node, style="dim")
    say.console.print()


def _closing(console, say: _Sayer, run: Run, learner: Path | None, yours: str | None) -> None:
    from rich.markup import escape

    held, failed = run.count("passed"), run.count("failed")
    skipped = run.count("skipped") + run.count("not run")
    total = len(run.results)
    checks = f"{total} check{'s' if total != 1 else ''}"
    what = f"{checks} grade {yours}" if learner else f"{checks} prove these claims"
    colour = "red" if failed else "green" if held == total else "yellow"
    parts = [f"{held} hold"] + ([f"{failed} fail"] if failed else []) + ([f"{skipped} skipped"] if skipped else [])
    timing = f"{run.examples} Hypothesis examples a check, seed {run.seed}, {run.elapsed:.1f} s"
    console.print(f"[bold {colour}]{escape(what)}: {', '.join(parts)}.[/] [dim]({timing})[/]", soft_wrap=True)
    if learner:
        console.print("[dim]Each proves a claim of kind component: a claim about your code.[/]", soft_wrap=True)
    if run.failures:
        first = ", the most direct first" if learner and failed > 1 else ""
        console.print(f"\n[bold red]Failing ({failed}){first}:[/]")
        for r in run.failures:
            say.line("  ✗", f"{_sentence(r, yours)}  ({r.name})", mark_style="red", indent=4)
    if run.left_out:
        needed = sorted({c for v in run.left_out.values() for c in v})
        console.print(f"[dim]{len(run.left_out)} more check{'s' if len(run.left_out) != 1 else ''} also need "
                      f"{', '.join(needed)}: implement {'them' if len(needed) > 1 else 'it'} in the same file "
                      f"to include {'them' if len(run.left_out) != 1 else 'it'}.[/]", soft_wrap=True)
    if learner and run.not_graded:
        many = run.not_graded != 1
        console.print(f"[dim]{run.not_graded} other claim{'s' if many else ''} of these questions "
                      f"{'are facts' if many else 'is a fact'} of mathematics or of PyTorch (kind fact or library): "
                      f"{'they do' if many else 'it does'} not depend on your code, "
                      f"so {'they are' if many else 'it is'} "
                      f"not graded (qbank verify proves {'them' if many else 'it'}).[/]", soft_wrap=True)
    if not learner and run.unprovable:
        console.print(f"[dim]{run.unprovable} claim{'s are' if run.unprovable != 1 else ' is'} argued rather than "
                      f"checked (qbank show ID gives the reasons).[/]", soft_wrap=True)
